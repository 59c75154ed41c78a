"""RELATE_TEST_PROFILE: CI runs the full sizes, a local run fewer, and a typo is not a silent default."""

from __future__ import annotations

import pytest

from tests.support.profile import PROFILES, current, sized


def test_ci_runs_the_full_sizes_and_dev_no_more_than_ci() -> None:
    ci, dev = PROFILES["ci"], PROFILES["dev"]
    assert (ci.fuzz_documents_sqlite, ci.fuzz_documents_postgresql, ci.crash_kills) == (1500, 500, 5)
    for name in ("hypothesis_examples", "fuzz_documents_sqlite", "fuzz_documents_postgresql", "crash_kills"):
        assert 0 < getattr(dev, name) <= getattr(ci, name), name


def test_an_unknown_profile_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELATE_TEST_PROFILE", "fast")
    with pytest.raises(RuntimeError, match="RELATE_TEST_PROFILE='fast'"):
        current()
    monkeypatch.setenv("RELATE_TEST_PROFILE", "ci")
    assert current() is PROFILES["ci"]


def test_an_explicit_size_wins_over_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELATE_FUZZ_DOCUMENTS", "7")
    assert sized("RELATE_FUZZ_DOCUMENTS", 400) == 7
    monkeypatch.delenv("RELATE_FUZZ_DOCUMENTS")
    assert sized("RELATE_FUZZ_DOCUMENTS", 400) == 400
