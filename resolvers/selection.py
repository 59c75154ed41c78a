"""What the query asked for, so a page loads related rows only for selected fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _names(selections: Iterable[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for sel in selections:
        if hasattr(sel, "name") and not hasattr(sel, "type_condition"):
            found.setdefault(sel.name, []).extend(sel.selections or [])
        else:  # fragment spread or inline fragment
            for name, subs in _names(sel.selections or []).items():
                found.setdefault(name, []).extend(subs)
    return found


def node_selection(info: Any) -> dict[str, Any]:
    """Fields selected on the nodes of a connection (via `edges.node` or `nodes`)."""
    root = _names(info.selected_fields[0].selections)
    nodes: list[Any] = []
    for edge_sel in _names(root.get("edges", [])).get("node", []), root.get("nodes", []):
        nodes.extend(edge_sel)
    return _names(nodes)


def field_selection(info: Any) -> dict[str, Any]:
    """Fields selected directly on the object a root field returns."""
    return _names(info.selected_fields[0].selections)


def sub_selection(selection: dict[str, Any], name: str) -> dict[str, Any]:
    return _names(selection.get(name, []))
