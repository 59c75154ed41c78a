"""CPU time spent by the servers a benchmark measures and by their PostgreSQL backends.

Requests per second flatter a server that burns more CPU per request than the machine can
spare at scale; CPU per request does not. The figures come from /proc (Linux), read
before, during and after a run:

- the server: every process of its process group (the benchmarks start each server in a
  session of its own, so its workers share the group);
- PostgreSQL: every backend serving the benchmark's database (its process title names the
  database), whoever the client is. Backends serving other databases, and PostgreSQL's
  own background processes (WAL writer, checkpointer, autovacuum), are not counted.

A sampler thread re-reads the processes every `interval` seconds, so that a backend that
starts and ends within a run (a pool that churns connections) is counted up to its last
sample rather than missed; the number of backends that appeared is reported with it.
`wait_idle` keeps counting after the load stops until the server is quiet, so the
requests still in flight are counted whole (divide by the requests sent, not answered).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PROC = Path("/proc")


def available() -> bool:
    return (PROC / "self" / "stat").exists()


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(command name, process group, user + system ticks) of a live process."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    name = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    # fields[0] is the state (stat field 3): group is field 5, utime 14, stime 15.
    return name, int(fields[2]), int(fields[11]) + int(fields[12])


def _title(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


@dataclass(frozen=True)
class CpuUsed:
    server_seconds: float
    database_seconds: float
    new_backends: int

    @property
    def seconds(self) -> float:
        return self.server_seconds + self.database_seconds


class CpuMeter:
    """Counts the CPU of process groups and of one database's backends while it runs.

        with CpuMeter([server.pid], "relate_anchor") as meter:
            ...load...
        meter.used.seconds
    """

    def __init__(self, groups: list[int], database: str | None, interval: float = 0.25) -> None:
        self.groups = set(groups)
        self.database = f" {database} " if database else None
        self.interval = interval
        self._kinds: dict[int, str | None] = {}  # pid -> "server" | "db" | None (neither)
        self._first: dict[int, int] = {}
        self._last: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.used = CpuUsed(0.0, 0.0, 0)

    def _kind(self, pid: int, name: str, group: int) -> str | None:
        if group in self.groups:
            return "server"
        if self.database and name == "postgres" and self.database in _title(pid):
            return "db"
        return None

    def _sample(self) -> dict[int, int]:
        seen: dict[int, int] = {}
        for entry in PROC.iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            stat = _stat(pid)
            if stat is None:
                continue
            name, group, ticks = stat
            if pid not in self._kinds:
                self._kinds[pid] = self._kind(pid, name, group)
            if self._kinds[pid] is not None:
                seen[pid] = ticks
        return seen

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._last.update(self._sample())

    def wait_idle(self, quiet: float = 0.05, window: float = 0.5, timeout: float = 30.0) -> None:
        """Return once the process groups used under `quiet` of a core over `window`
        seconds: a load tool that stops leaves requests in flight, which the server goes on
        working on; their CPU belongs to the run that sent them, not to the next one."""
        if self._thread is None:
            return
        deadline = time.monotonic() + timeout
        before = self._group_ticks()
        while time.monotonic() < deadline:
            time.sleep(window)
            now = self._group_ticks()
            if (now - before) / TICKS_PER_SECOND < quiet * window:
                return
            before = now

    def _group_ticks(self) -> int:
        return sum(ticks for pid, ticks in self._sample().items() if self._kinds.get(pid) == "server")

    def __enter__(self) -> CpuMeter:
        if available():
            self._first = self._sample()
            self._last = dict(self._first)
            self._thread = threading.Thread(target=self._run, name="cpu-meter", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._last.update(self._sample())
        totals = {"server": 0, "db": 0}
        for pid, ticks in self._last.items():
            kind = self._kinds.get(pid)
            if kind is not None:
                # A process that appeared during the run spent all its CPU within it.
                totals[kind] += ticks - self._first.get(pid, 0)
        new_backends = sum(1 for pid in self._last if pid not in self._first and self._kinds.get(pid) == "db")
        self.used = CpuUsed(totals["server"] / TICKS_PER_SECOND, totals["db"] / TICKS_PER_SECOND, new_backends)
