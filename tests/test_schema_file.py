"""The committed `schema.graphql` is the contract clients build on (SPEC §9): it must be
exactly what the code serves, so a schema change cannot land without its SDL."""

from __future__ import annotations

import difflib
from pathlib import Path

from schema.build import export_sdl

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
HOW_TO_FIX = "regenerate it with `make schema` (that is, `relate export-schema > schema.graphql`) and commit it"


def test_the_committed_schema_is_what_the_code_serves() -> None:
    assert SCHEMA_FILE.exists(), f"schema.graphql is missing: {HOW_TO_FIX}"
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    served = export_sdl()
    if committed != served:
        diff = "".join(difflib.unified_diff(
            committed.splitlines(keepends=True), served.splitlines(keepends=True),
            "schema.graphql (committed)", "export_sdl() (served)", n=1,
        ))
        shown = diff if len(diff) < 4000 else diff[:4000] + "\n… (diff cut)\n"
        raise AssertionError(f"schema.graphql is stale: {HOW_TO_FIX}.\n{shown}")


def test_the_export_is_deterministic_and_ends_with_a_newline() -> None:
    first, second = export_sdl(), export_sdl()
    assert first == second
    assert first.endswith("\n") and not first.endswith("\n\n")
    assert "type Query" in first and "type Mutation" in first
