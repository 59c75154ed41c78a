"""The attachment policy rules (R-ATT-1, R-TRACK-4): names, sizes, and what bytes really are."""

from __future__ import annotations

import io
import zipfile

import pytest

from graph.rules import attachments as rules
from graph.rules.attachments import AttachmentPolicy
from graph.rules.errors import DomainError, ErrorCode

POLICY = AttachmentPolicy(max_bytes=1024, blocked_extensions=frozenset({"exe", "bat", "js"}))
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
# A DOS/PE header: "MZ", zeros, e_lfanew at 0x3c pointing at "PE\0\0".
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x40\x00\x00\x00" + b"PE\x00\x00"


def zipped(*names: str) -> tuple[bytes, list[str]]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue(), list(names)


@pytest.mark.parametrize(("name", "ext"), [
    ("report.PDF", "pdf"), ("archive.tar.gz", "gz"), ("evil.exe.", "exe"), ("evil.exe .", "exe"),
    ("README", ""), (".bashrc", "bashrc"),
])
def test_r_att_1_extension_is_the_last_one_and_trailing_dots_do_not_hide_it(name: str, ext: str) -> None:
    assert rules.extension_of(name) == ext


@pytest.mark.parametrize("name", ["setup.exe", "RUN.BAT", "evil.exe.", "photo.jpg.exe", "a.Js"])
def test_r_att_1_blocked_extensions_are_refused_whatever_the_case(name: str) -> None:
    with pytest.raises(DomainError) as refused:
        rules.check_file_name(POLICY, name)
    assert refused.value.code == ErrorCode.FILE_TYPE_BLOCKED
    assert refused.value.problems[0].field == ("input", "file")


@pytest.mark.parametrize("name", ["offer.pdf", "exe", "notes.txt", "archive"])
def test_r_att_1_other_names_pass(name: str) -> None:
    rules.check_file_name(POLICY, name)


@pytest.mark.parametrize(("given", "kept"), [
    ("C:\\Users\\sam\\offer.pdf", "offer.pdf"), ("../../etc/passwd", "passwd"), ("a\x00b\n.txt", "ab.txt"),
    ("", "unnamed"), (None, "unnamed"), ("  spaced.txt ", "spaced.txt"),
])
def test_r_att_1_file_names_lose_paths_and_control_characters(given: str | None, kept: str) -> None:
    assert rules.clean_file_name(given) == kept


def test_r_att_1_a_long_name_keeps_its_extension() -> None:
    cleaned = rules.clean_file_name("x" * 1000 + ".pdf")
    assert len(cleaned) == rules.MAX_FILE_NAME and cleaned.endswith(".pdf")


def test_r_att_1_the_size_limit_is_inclusive_and_the_message_names_it() -> None:
    rules.check_size(POLICY, 1024)
    with pytest.raises(DomainError) as refused:
        rules.check_size(POLICY, 1025)
    assert refused.value.code == ErrorCode.FILE_TOO_LARGE
    assert "1 KB (1024 bytes)" in refused.value.problems[0].message


@pytest.mark.parametrize(("size", "shown"), [(900, "900 bytes"), (1536, "1.5 KB"), (10 << 20, "10 MB"), (3 << 30, "3 GB")])
def test_human_size(size: int, shown: str) -> None:
    assert rules.human_size(size) == shown


@pytest.mark.parametrize(("head", "executable"), [
    (PE, True), (b"\x7fELF\x02\x01\x01" + b"\x00" * 9, True), (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", True),
    (b"MZ Holdings quarterly report\n", False), (b"%PDF-1.7\n", False), (PNG, False), (b"", False),
])
def test_r_att_1_programs_are_recognised_by_their_bytes(head: bytes, executable: bool) -> None:
    assert rules.is_executable(head) is executable
    if executable:
        with pytest.raises(DomainError) as refused:
            rules.check_content(head)
        assert refused.value.code == ErrorCode.FILE_TYPE_BLOCKED


DOCX = zipped("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX = zipped("[Content_Types].xml", "xl/workbook.xml")
PPTX = zipped("[Content_Types].xml", "ppt/presentation.xml")
PLAIN_ZIP = zipped("a.txt", "word/not-office.xml")


@pytest.mark.parametrize(("head", "name", "zip_names", "expected"), [
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "x.bin", None, "application/pdf"),
    (PNG, "picture.txt", None, "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "photo", None, "image/jpeg"),
    (b"GIF89a\x01\x00", "anim.png", None, "image/gif"),
    (DOCX[0], "contract.pdf", DOCX[1], "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (XLSX[0], "numbers.zip", XLSX[1], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (PPTX[0], "deck", PPTX[1], "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    (PLAIN_ZIP[0], "files.docx", PLAIN_ZIP[1], "application/zip"),
    (b"name,email\nSam,sam@example.com\n", "people.csv", None, "text/csv"),
    (b"name,email\nSam,sam@example.com\n", "people.txt", None, "text/plain"),
    ("Grüße aus Köln\n".encode(), "gruss", None, "text/plain"),
    (b"\xef\xbb\xbfBOM text", "bom.txt", None, "text/plain"),
    (b"\x00\x01\x02\x03binary", "data.csv", None, "application/octet-stream"),
    (b"\xff\xfe\xfa bad utf-8 in the middle \xff of text", "x.txt", None, "application/octet-stream"),
    (b"", "empty.txt", None, "application/octet-stream"),
])
def test_r_att_1_content_type_comes_from_the_bytes(head: bytes, name: str, zip_names: list[str] | None,
                                                    expected: str) -> None:
    assert rules.sniff_content_type(head, name, complete=True, zip_names=zip_names) == expected


def test_r_att_1_a_head_cut_inside_a_character_is_still_text() -> None:
    text = ("é" * 5000).encode()[: rules.HEAD_BYTES - 1]  # ends on half of a two-byte character
    assert rules.sniff_content_type(text, "notes", complete=False) == "text/plain"
    assert rules.sniff_content_type(text, "notes", complete=True) == "application/octet-stream"


def test_r_att_1_an_administrator_change_is_normalised() -> None:
    changed = rules.normalise_policy(2048, [".EXE", "bat", " js ", "exe"], POLICY)
    assert changed == AttachmentPolicy(2048, frozenset({"exe", "bat", "js"}))
    assert rules.normalise_policy(None, None, POLICY) == POLICY
    assert rules.normalise_policy(None, [], POLICY).blocked_extensions == frozenset()


def test_r_att_1_a_bad_policy_change_reports_every_problem() -> None:
    with pytest.raises(DomainError) as refused:
        rules.normalise_policy(0, ["ok", "no/slash", ""], POLICY)
    assert [(p.code, p.field) for p in refused.value.problems] == [
        (ErrorCode.VALIDATION, ("input", "maxBytes")),
        (ErrorCode.VALIDATION, ("input", "blockedExtensions", "1")),
        (ErrorCode.VALIDATION, ("input", "blockedExtensions", "2")),
    ]
    with pytest.raises(DomainError):
        rules.normalise_policy(rules.LARGEST_LIMIT + 1, None, POLICY)


def test_r_att_1_only_tasks_emails_and_appointments_carry_files() -> None:
    assert rules.ATTACHABLE_ACTIVITY_TYPES == {"TASK", "EMAIL", "APPOINTMENT"}
