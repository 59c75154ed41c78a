"""Imports set the process's existing objects aside from the collector, and always give them back."""

from __future__ import annotations

import gc

import pytest

from graph.imports.collector import existing_objects_frozen


def test_the_heap_is_frozen_while_any_import_runs_and_unfrozen_after_the_last() -> None:
    assert gc.get_freeze_count() == 0
    with existing_objects_frozen():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with existing_objects_frozen():  # a second import overlapping the first
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() > 0  # the first is still running
    assert gc.get_freeze_count() == 0


def test_a_failing_import_unfreezes_too() -> None:
    with pytest.raises(RuntimeError), existing_objects_frozen():
        raise RuntimeError("batch failed")
    assert gc.get_freeze_count() == 0


def test_garbage_made_during_an_import_is_still_collected() -> None:
    class Node:
        other: object = None

    with existing_objects_frozen():
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle only the collector can free
        del a, b
        assert gc.collect() >= 2
