"""The README stays true as the project grows: every setting is in its configuration table
with its real default, and every document in docs/ is linked from it.

The settings come from the settings models themselves (`server/settings.py` and any other
pydantic-settings model in the project, such as the mail scheduler's RELATE_MAIL_*), so a
new field or a new model fails here until the README documents it; the curl examples of
the README are run against a live server by tests/ops/test_doc_examples.py.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# A row of the configuration table: | `RELATE_NAME` | default | meaning |
ROW = re.compile(r"^\|\s*`(RELATE_[A-Z0-9_]+)`\s*\|([^|]*)\|", re.M)


def documented_defaults(readme: str) -> dict[str, str]:
    return {name: cell.strip() for name, cell in ROW.findall(readme)}


PACKAGES = ("graph", "resolvers", "schema", "server", "subscriptions")


@cache
def settings_models() -> tuple[type[BaseSettings], ...]:
    """Every pydantic-settings model of the project: the modules that mention BaseSettings
    are imported (only those: importing server.main, say, would build an app)."""
    found: dict[str, type[BaseSettings]] = {}
    for package in PACKAGES:
        for module in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            path = ROOT / (module.name.replace(".", "/") + ("/__init__.py" if module.ispkg else ".py"))
            if path.is_file() and "BaseSettings" in path.read_text(encoding="utf-8"):
                loaded = importlib.import_module(module.name)
                for value in vars(loaded).values():
                    if isinstance(value, type) and issubclass(value, BaseSettings) and value is not BaseSettings \
                            and value.__module__ == loaded.__name__:
                        found[f"{value.__module__}.{value.__qualname__}"] = value
    return tuple(found[name] for name in sorted(found))


@cache
def setting_fields() -> dict[str, tuple[type[BaseSettings], FieldInfo]]:
    """Environment variable → its model and field, as pydantic-settings reads them."""
    fields: dict[str, tuple[type[BaseSettings], FieldInfo]] = {}
    for model in settings_models():
        prefix = str(model.model_config.get("env_prefix", ""))
        fields.update({(prefix + name).upper(): (model, info) for name, info in model.model_fields.items()})
    return fields


def setting_names() -> list[str]:
    return sorted(setting_fields())


def default_matches(default: Any, cell: str) -> bool:
    """Whether the README's cell states `default`; a long list may be described in words."""
    shown = cell.strip().strip("`")
    if default is None:
        return shown.lower() in ("none", "unset", "not set")
    if isinstance(default, bool):
        return shown.lower() == str(default).lower()
    if isinstance(default, int | float):
        try:
            return float(shown.replace("_", "").replace(",", "")) == float(default)
        except ValueError:
            return False
    if isinstance(default, list):
        if not default:
            return shown == "[]"
        try:
            return json.loads(shown) == default
        except ValueError:
            return bool(shown)  # described in words ("executables and scripts")
    return shown == str(default)


def test_the_settings_models_are_found() -> None:
    names = {model.__name__ for model in settings_models()}
    assert {"Settings", "MailSettings"} <= names, names
    assert "RELATE_DATABASE_URL" in setting_names() and "RELATE_MAIL_SENDER" in setting_names()


@pytest.mark.parametrize("variable", setting_names())
def test_every_setting_is_in_the_readme_table_with_its_default(variable: str) -> None:
    rows = documented_defaults(README.read_text(encoding="utf-8"))
    model, field = setting_fields()[variable]
    where = f"{model.__module__}.{model.__name__}"
    assert variable in rows, f"{variable} ({where}) is missing from the README's configuration table"
    default = field.get_default(call_default_factory=True)
    assert default_matches(default, rows[variable]), \
        f"README says {variable} defaults to {rows[variable]!r}; {where} says {default!r}"


def test_the_readme_table_names_no_setting_that_does_not_exist() -> None:
    extra = set(documented_defaults(README.read_text(encoding="utf-8"))) - set(setting_names())
    assert not extra, f"the README documents settings server/settings.py does not have: {sorted(extra)}"


@pytest.mark.parametrize("doc", sorted(p.name for p in (ROOT / "docs").glob("*.md")))
def test_every_doc_is_linked_from_the_readme(doc: str) -> None:
    assert f"](docs/{doc}" in README.read_text(encoding="utf-8"), f"docs/{doc} is not linked from README.md"


def test_every_link_of_the_readme_to_a_file_names_one_that_exists() -> None:
    for target in re.findall(r"\]\(((?!https?:|#)[^)#\s]+)", README.read_text(encoding="utf-8")):
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"


@pytest.mark.parametrize(("default", "cell", "matches"), [
    (12, "`12`", True), (12, "`13`", False), (7 * 24.0, "`168`", True), (True, "`true`", True),
    (False, "`true`", False), (None, "none", True), ([], "`[]`", True), (["a"], "JSON list of a", True),
    ("json", "`json`", True), ("json", "`text`", False), (20 * 1024 * 1024, "`20971520`", True),
])
def test_defaults_are_compared_by_value(default: Any, cell: str, matches: bool) -> None:
    assert default_matches(default, cell) is matches
