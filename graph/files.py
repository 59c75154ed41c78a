"""The file store (R-ATT-1): attachment bytes live outside the database rows.

A directory by default. Files are named by the attachment's id (not by content), so
removing one attachment never touches another's bytes and a rollback can delete exactly
what its transaction wrote. Writes stream in chunks to a temporary file in the same
directory tree, stopping as soon as the size cap is passed, and become visible only by an
atomic rename: a reader never sees a partial file. The rename happens inside the unit of
work; a rollback deletes the file again, and removals are carried out only after commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("relate.files")

CHUNK = 256 * 1024
HEAD_BYTES = 8192
MAX_ZIP_NAMES = 10_000


class SizeCapExceeded(Exception):
    """The stream went past the cap; the partial file is already gone."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"more than {cap} bytes")
        self.cap = cap


@dataclass
class StagedFile:
    """Bytes written to a temporary file, not yet visible under any key."""

    temp_path: Path
    size: int
    sha256: str
    head: bytes

    @property
    def complete_head(self) -> bool:
        """True when `head` is the whole file."""
        return self.size <= len(self.head)


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def temp_dir(self) -> Path:
        # Same file system as the final files, so the rename is atomic.
        return self.root / ".incoming"

    def path_for(self, key: str) -> Path:
        """The file for a storage key; keys are ours (`ab/<uuid>`), never client input."""
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"storage key {key!r} leaves the store")
        return path

    @staticmethod
    def key_for(file_id: uuid.UUID) -> str:
        """Two-character fan-out keeps directories small."""
        return f"{file_id.hex[:2]}/{file_id}"

    async def stage(self, chunks: AsyncIterator[bytes], cap: int) -> StagedFile:
        """Stream chunks to a temporary file, hashing as we go; stop past `cap` bytes."""
        await asyncio.to_thread(self.temp_dir.mkdir, parents=True, exist_ok=True)
        fd, name = await asyncio.to_thread(tempfile.mkstemp, dir=self.temp_dir, prefix="up-")
        temp_path = Path(name)
        digest = hashlib.sha256()
        head = bytearray()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > cap:
                        raise SizeCapExceeded(cap)
                    digest.update(chunk)
                    if len(head) < HEAD_BYTES:
                        head.extend(chunk[: HEAD_BYTES - len(head)])
                    await asyncio.to_thread(out.write, chunk)
                await asyncio.to_thread(out.flush)
                await asyncio.to_thread(os.fsync, out.fileno())
        except BaseException:
            await asyncio.to_thread(_unlink, temp_path)
            raise
        return StagedFile(temp_path, size, digest.hexdigest(), bytes(head))

    async def zip_names(self, staged: StagedFile) -> list[str] | None:
        """Member names of a zip file (from its central directory), or None if it is not one."""
        def read() -> list[str] | None:
            try:
                with zipfile.ZipFile(staged.temp_path) as archive:
                    return [info.filename for info in archive.infolist()[:MAX_ZIP_NAMES]]
            except (zipfile.BadZipFile, OSError, ValueError):
                return None
        return await asyncio.to_thread(read)

    async def discard(self, staged: StagedFile) -> None:
        await asyncio.to_thread(_unlink, staged.temp_path)

    async def publish(self, session: AsyncSession, staged: StagedFile, key: str) -> None:
        """Make the staged file visible under `key`; it is deleted again if the session's
        transaction rolls back, so a refused or failed write leaves nothing behind."""
        final = self.path_for(key)

        def move() -> None:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.temp_path, final)

        await asyncio.to_thread(move)
        _on_session_end(session, rollback=lambda: _unlink(final))

    def delete_after_commit(self, session: AsyncSession, key: str) -> None:
        """Remove the file once the removal of its row is committed (never before: a rollback
        would leave a row without bytes)."""
        final = self.path_for(key)
        _on_session_end(session, commit=lambda: _unlink(final))

    def open_path(self, key: str) -> Path | None:
        path = self.path_for(key)
        return path if path.is_file() else None


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:  # the row is gone either way; an orphan file is only disk space
        log.warning("could not delete %s", path, exc_info=True)


def _on_session_end(session: AsyncSession, *, commit: Callable[[], None] | None = None,
                    rollback: Callable[[], None] | None = None) -> None:
    """Run `commit` after the transaction commits, or `rollback` after it rolls back; once.

    The listeners stay on the session (removing them while SQLAlchemy dispatches the event
    is not allowed); a unit of work's session is used for one transaction and dropped.
    """
    sync_session = session.sync_session
    done = False

    def after_commit(_: Any) -> None:
        nonlocal done
        if not done:
            done = True
            if commit is not None:
                commit()

    def after_rollback(_: Any) -> None:
        nonlocal done
        if not done:
            done = True
            if rollback is not None:
                rollback()

    event.listen(sync_session, "after_commit", after_commit)
    event.listen(sync_session, "after_rollback", after_rollback)
