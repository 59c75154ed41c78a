"""A VTIMEZONE (RFC 5545 §3.6.5) as the file defines it: local time → UTC.

Outlook names its zones "W. Europe Standard Time", which no zone database knows: the
file's own STANDARD/DAYLIGHT observances are the only truth. Supported: each observance's
DTSTART, TZOFFSETFROM/TO, RDATEs and a yearly RRULE by month and weekday (BYDAY=-1SU,
2SU, optionally with BYMONTHDAY), with UNTIL — what calendar programs write.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.mail_import.parsed import MailFormatError

WEEKDAY = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
OFFSET = re.compile(r"^([+-])(\d{2})(\d{2})(\d{2})?$")
BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


def _offset(text: str | None) -> timedelta:
    match = OFFSET.match((text or "").strip())
    if not match:
        raise MailFormatError(f"VTIMEZONE: {text!r} is not a UTC offset")
    sign, hours, minutes, seconds = match.groups()
    span = timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0))
    return -span if sign == "-" else span


def _local(text: str) -> datetime:
    return datetime.strptime(text.strip().rstrip("Z")[:15], "%Y%m%dT%H%M%S")


@dataclass(frozen=True)
class YearlyRule:
    month: int
    days: tuple[tuple[int | None, int], ...]  # (nth or None, weekday)
    month_days: frozenset[int] = frozenset()
    until: datetime | None = None  # naive UTC

    @classmethod
    def parse(cls, text: str) -> YearlyRule | None:
        parts = dict(p.split("=", 1) for p in text.upper().split(";") if "=" in p)
        if parts.get("FREQ") != "YEARLY" or "BYMONTH" not in parts:
            return None
        days = []
        for item in parts.get("BYDAY", "").split(","):
            match = BYDAY.match(item.strip())
            if match:
                days.append((int(match.group(1)) if match.group(1) else None, WEEKDAY[match.group(2)]))
        month_days = frozenset(int(d) for d in parts.get("BYMONTHDAY", "").split(",")
                               if d.strip().lstrip("-").isdigit())
        until = _local(parts["UNTIL"]) if "UNTIL" in parts else None
        return cls(int(parts["BYMONTH"].split(",")[0]), tuple(days), month_days, until)

    def day_in(self, year: int) -> int | None:
        """The day of the month the rule picks in `year`."""
        last = calendar.monthrange(year, self.month)[1]
        candidates = list(range(1, last + 1))
        if self.month_days:
            candidates = [d for d in candidates if d in self.month_days]
        for nth, weekday in self.days or ((None, -1),):
            matching = [d for d in candidates if weekday < 0 or calendar.weekday(year, self.month, d) == weekday]
            if nth is not None:
                index = nth - 1 if nth > 0 else nth
                if -len(matching) <= index < len(matching):
                    return matching[index]
            elif matching:
                return matching[0]
        return None


@dataclass
class Observance:
    start: datetime  # local wall time, in offset_from
    offset_from: timedelta
    offset_to: timedelta
    rule: YearlyRule | None = None
    extra: list[datetime] = field(default_factory=list)

    def onsets(self, years: range) -> Iterator[datetime]:
        """When this observance begins, in UTC (naive), within `years`."""
        if self.rule is None:
            for local in (self.start, *self.extra):
                if local.year in years:
                    yield local - self.offset_from
            return
        for year in years:
            if year < self.start.year:
                continue
            day = self.rule.day_in(year)
            if day is None:
                continue
            onset = datetime(year, self.rule.month, day, self.start.hour, self.start.minute) - self.offset_from
            if onset < self.start - self.offset_from:
                continue
            if self.rule.until is not None and onset > self.rule.until:
                continue
            yield onset


class VTimezone:
    def __init__(self, observances: list[Observance]) -> None:
        self.observances = observances

    @classmethod
    def from_component(cls, component: Any) -> VTimezone:
        observances = []
        for child in component.children:
            if child.name not in ("STANDARD", "DAYLIGHT") or child.first("DTSTART") is None:
                continue
            rule_prop = child.first("RRULE")
            extra = [_local(v) for p in child.all("RDATE") for v in p.value.split(",") if v.strip()]
            observances.append(Observance(
                start=_local(child.first("DTSTART").value),
                offset_from=_offset(child.first("TZOFFSETFROM").value if child.first("TZOFFSETFROM") else None),
                offset_to=_offset(child.first("TZOFFSETTO").value if child.first("TZOFFSETTO") else None),
                rule=YearlyRule.parse(rule_prop.value) if rule_prop else None, extra=extra,
            ))
        return cls(observances)

    def offset_at(self, moment: datetime) -> timedelta:
        """The offset in force at a UTC instant (naive UTC)."""
        years = range(moment.year - 1, moment.year + 1)
        latest: tuple[datetime, timedelta] | None = None
        for observance in self.observances:
            for onset in observance.onsets(years):
                if onset <= moment and (latest is None or onset > latest[0]):
                    latest = (onset, observance.offset_to)
        if latest is not None:
            return latest[1]
        earliest = min(self.observances, key=lambda o: o.start, default=None)
        return earliest.offset_from if earliest else timedelta()

    def to_utc(self, local: datetime) -> datetime:
        """Local wall time → aware UTC. In a gap (clocks forward), the earlier offset is used;
        in an overlap (clocks back), the first occurrence."""
        candidates = sorted({o.offset_to for o in self.observances} | {o.offset_from for o in self.observances},
                            reverse=True)
        for offset in candidates:
            moment = local - offset
            if self.offset_at(moment) == offset:
                return moment.replace(tzinfo=UTC)
        # Only a gap gets here; clocks go forward there, so the smaller offset was in force.
        return (local - (candidates[-1] if candidates else timedelta())).replace(tzinfo=UTC)
