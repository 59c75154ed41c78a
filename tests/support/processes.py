"""Stopping a server process a test started."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen[bytes], patience: float = 20) -> None:
    """SIGTERM first, so the server shuts down as it would in production; SIGKILL only if it
    does not within `patience` seconds, so a stuck server cannot hold the test run."""
    process.terminate()
    try:
        process.wait(patience)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
