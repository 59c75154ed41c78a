"""The attachment policy (R-ATT-1): size limit, blocked types, what the bytes really are.

Pure functions: the command streams the bytes and asks these rules about the file name,
the first bytes and (for zip files) the member names. The client's content type is never
consulted: a file is what its bytes say it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from graph.rules.errors import DomainError, ErrorCode, Problem

# Activity types that carry files (R-ATT-1); calls and texts do not.
ATTACHABLE_ACTIVITY_TYPES = frozenset({"TASK", "EMAIL", "APPOINTMENT"})
# GraphQL `Int` is 32-bit: sizes and limits stay below 2 GiB so they round-trip.
LARGEST_LIMIT = 2**31 - 1
# Bytes the sniffer looks at; enough for every signature below and a text check.
HEAD_BYTES = 8192
MAX_FILE_NAME = 400
EXTENSION = re.compile(r"^[a-z0-9][a-z0-9_+-]{0,19}$")

OCTET_STREAM = "application/octet-stream"
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Office Open XML packages are zip files told apart by their top-level folder.
OOXML = (
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)
MACH_O = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")


@dataclass(frozen=True)
class AttachmentPolicy:
    """What the administrator allows: the largest file and the refused extensions."""

    max_bytes: int
    blocked_extensions: frozenset[str]


def human_size(size: int) -> str:
    """`10 MB`, `512 KB`, `900 bytes`: binary units, as file managers show them."""
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def exact_size(size: int) -> str:
    """`10 MB (10485760 bytes)` when rounding hides the exact figure, else just `900 bytes`."""
    shown = human_size(size)
    return shown if shown == f"{size} bytes" else f"{shown} ({size} bytes)"


def too_large(limit: int, field: Sequence[str] | None = ("input", "file")) -> DomainError:
    return DomainError(
        ErrorCode.FILE_TOO_LARGE,
        f"the file is larger than the limit of {exact_size(limit)}",
        field,
    )


def clean_file_name(name: str | None) -> str:
    """The last path segment, without control characters, trimmed to the column size.

    Clients send whatever the browser or mail client had: `C:\\Users\\x\\a.pdf`,
    `../../a.pdf`, names with NULs. None of that is kept.
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = base.strip()
    if len(base) > MAX_FILE_NAME:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: MAX_FILE_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 20 else base[:MAX_FILE_NAME]
    return base or "unnamed"


def extension_of(name: str) -> str:
    """Lower-case extension after the last dot; trailing dots and spaces do not hide it
    (Windows drops them, so `evil.exe.` runs as `evil.exe`)."""
    trimmed = name.rstrip(". ")
    _, dot, ext = trimmed.rpartition(".")
    return ext.lower() if dot else ""


def check_file_name(policy: AttachmentPolicy, name: str, field: Sequence[str] | None = ("input", "file")) -> None:
    ext = extension_of(name)
    if ext and ext in policy.blocked_extensions:
        raise DomainError(ErrorCode.FILE_TYPE_BLOCKED, f"files of type .{ext} are not allowed", field)


def check_size(policy: AttachmentPolicy, size: int) -> None:
    if size > policy.max_bytes:
        raise too_large(policy.max_bytes)


def is_executable(head: bytes) -> bool:
    """Windows (MZ), Linux (ELF) and macOS (Mach-O) programs, whatever they are called.

    A DOS/PE header is binary from its first bytes (e_lfanew and friends hold zeros); a
    text file that happens to start with the letters "MZ" is not refused.
    """
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        return True
    return head.startswith(b"\x7fELF") or head.startswith(MACH_O)


def check_content(head: bytes, field: Sequence[str] | None = ("input", "file")) -> None:
    if is_executable(head):
        raise DomainError(ErrorCode.FILE_TYPE_BLOCKED, "programs are not allowed as attachments", field)


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC)


def _is_text(head: bytes, complete: bool) -> bool:
    if not head or b"\x00" in head:
        return False
    data = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        # The head may end inside a multi-byte character: only that may fail to decode.
        if complete or error.start < len(data) - 3:
            return False
        text = data[: error.start].decode("utf-8")
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    return controls <= len(text) // 100


def sniff_content_type(head: bytes, file_name: str, *, complete: bool,
                       zip_names: Iterable[str] | None = None) -> str:
    """The content type the bytes show. `complete` says `head` is the whole file.

    The name only picks among text types (a CSV is text whose name says .csv); it never
    makes binary bytes into anything but what their signature says.
    """
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    if is_zip(head):
        names = list(zip_names or ())
        for folder, content_type in OOXML:
            if "[Content_Types].xml" in names and any(n.startswith(folder) for n in names):
                return content_type
        return "application/zip"
    if _is_text(head, complete):
        return "text/csv" if extension_of(file_name) == "csv" else "text/plain"
    return OCTET_STREAM


def normalise_policy(max_bytes: int | None, blocked: Sequence[str] | None,
                     current: AttachmentPolicy) -> AttachmentPolicy:
    """An administrator's change, checked: a positive limit that fits, plain extensions.

    Extensions are accepted with or without the dot, in any case; duplicates collapse.
    """
    problems: list[Problem] = []
    limit = current.max_bytes if max_bytes is None else max_bytes
    if max_bytes is not None and not 1 <= max_bytes <= LARGEST_LIMIT:
        problems.append(Problem(ErrorCode.VALIDATION, f"maxBytes must be between 1 and {LARGEST_LIMIT}",
                                ("input", "maxBytes")))
    extensions = current.blocked_extensions
    if blocked is not None:
        cleaned: set[str] = set()
        for index, raw in enumerate(blocked):
            ext = raw.strip().lstrip(".").lower()
            if not EXTENSION.match(ext):
                problems.append(Problem(ErrorCode.VALIDATION, f"'{raw}' is not a file extension",
                                        ("input", "blockedExtensions", str(index))))
            cleaned.add(ext)
        extensions = frozenset(cleaned)
    if problems:
        raise DomainError(problems=problems)
    return AttachmentPolicy(limit, extensions)
