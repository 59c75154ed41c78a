"""The layering of DESIGN §1, checked on the source with `ast` (no imports are run).

`graph/` is the domain: no GraphQL and nothing from the layers above it. Schema modules
reach into `resolvers/` only for the request context and global ids; only the roots bind
resolver functions. And `schema`, a generic top-level name, must be ours.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UPPER_LAYERS = ("resolvers", "schema", "server", "subscriptions")
SCHEMA_ROOTS = {"query.py", "mutation.py", "subscription.py"}
SCHEMA_MAY_USE = {"resolvers.context", "resolvers.ids"}


def python_files(folder: str) -> list[Path]:
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no Python files under {folder}/"
    return files


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every absolute module an import statement names, anywhere in the file (also inside
    functions and `if TYPE_CHECKING:`), with `from a import b` giving both `a` and `a.b`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def top(module: str) -> str:
    return module.split(".", 1)[0]


def where(path: Path, line: int, module: str) -> str:
    return f"{path.relative_to(ROOT)}:{line} imports {module}"


def test_graph_imports_no_graphql_and_no_upper_layer() -> None:
    found = [
        where(path, line, module)
        for path in python_files("graph")
        for line, module in imported_modules(path)
        if top(module) in ("strawberry", "graphql", *UPPER_LAYERS)
    ]
    assert found == [], "graph/ must stay free of GraphQL and of the layers above it:\n" + "\n".join(found)


@pytest.mark.parametrize("folder", ["schema/types", "schema"])
def test_schema_modules_use_resolvers_only_for_context_and_ids(folder: str) -> None:
    found = []
    for path in python_files(folder):
        if path.parent == ROOT / "schema" and path.name in SCHEMA_ROOTS:
            continue  # the roots bind resolver functions: that is their job
        for line, module in imported_modules(path):
            allowed = any(module == ok or module.startswith(ok + ".") for ok in SCHEMA_MAY_USE)
            if top(module) == "resolvers" and not allowed:
                found.append(where(path, line, module))
    assert found == [], (
        "schema modules may import only resolvers.context and resolvers.ids (the roots in "
        f"{sorted(SCHEMA_ROOTS)} bind resolvers):\n" + "\n".join(found)
    )


def test_the_layout_scan_sees_real_imports() -> None:
    """Guard the guard: the scanner finds imports in function bodies and TYPE_CHECKING blocks."""
    modules = {m for _, m in imported_modules(ROOT / "resolvers" / "context.py")}
    assert {"graph.db", "resolvers.loaders.registry", "strawberry.types"} <= modules


def test_schema_is_our_package_not_an_installed_one() -> None:
    import schema

    location = Path(schema.__file__ or "").resolve()
    assert location.is_relative_to(ROOT), f"`import schema` found {location}, outside {ROOT}"
    assert location == ROOT / "schema" / "__init__.py"
