"""`relate serve --workers N` (R-LIVE-5): several processes need a shared broker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def relate(*args: str, broadcast_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RELATE_BROADCAST_URL": broadcast_url,
           "RELATE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"}
    return subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("workers", ["2", "8"])
def test_more_than_one_worker_with_memory_broadcast_is_refused(tmp_path: Path, workers: str) -> None:
    result = relate("serve", "--workers", workers, broadcast_url="memory://", tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "memory://" in result.stderr and "RELATE_BROADCAST_URL" in result.stderr
    assert not (tmp_path / "unused.db").exists()  # refused before touching anything
