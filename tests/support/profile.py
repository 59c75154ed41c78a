"""How thorough the slow property, fuzz and crash tests are: RELATE_TEST_PROFILE.

`make test` is run many times a day, CI once per change; both run every test, but the tests
that draw random cases run fewer of them locally. `dev` (the default) keeps `make test`
short; `ci` (set by `.ci/run`) runs the full sizes the CI figures are quoted at. A size
given explicitly by its own variable (RELATE_FUZZ_DOCUMENTS…) wins over either profile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from hypothesis import settings


@dataclass(frozen=True)
class Profile:
    name: str
    hypothesis_examples: int  # per @given test that does not set its own count
    fuzz_documents_sqlite: int
    fuzz_documents_postgresql: int
    crash_kills: int  # SIGKILLs per backend in tests/security/test_crash.py


PROFILES = {
    "ci": Profile("ci", hypothesis_examples=100, fuzz_documents_sqlite=1500, fuzz_documents_postgresql=500,
                  crash_kills=5),
    "dev": Profile("dev", hypothesis_examples=30, fuzz_documents_sqlite=400, fuzz_documents_postgresql=200,
                   crash_kills=2),
}


def current() -> Profile:
    """The profile RELATE_TEST_PROFILE names; an unknown name stops the run rather than guess."""
    name = os.environ.get("RELATE_TEST_PROFILE", "dev")
    if name not in PROFILES:
        raise RuntimeError(f"RELATE_TEST_PROFILE={name!r}: use one of {', '.join(sorted(PROFILES))}")
    return PROFILES[name]


def sized(variable: str, default: int) -> int:
    """An explicit RELATE_… size if given, else the profile's."""
    return int(os.environ.get(variable, default))


def load_hypothesis_profile() -> Profile:
    """Register every profile with hypothesis and load the current one (once, at start-up)."""
    for profile in PROFILES.values():
        settings.register_profile(profile.name, max_examples=profile.hypothesis_examples, deadline=None)
    profile = current()
    settings.load_profile(profile.name)
    return profile


PROFILE = current()
