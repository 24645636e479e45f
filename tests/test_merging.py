"""Three-way merges of the project's lists, as undo and redo use them."""

from __future__ import annotations

import pytest
from deepcell_label.services.editing.merging import ListConflict, merge_list
from hypothesis import given
from hypothesis import strategies as st


def cell_type(id_: int, name: str = "T", color: str = "#ff0000", cells=()) -> dict:
    return {"id": id_, "name": name, "color": color, "cells": list(cells), "feature": 0}


def test_an_unchanged_list_takes_the_change_whole():
    base = [cell_type(1)]
    target = [cell_type(1, name="B")]
    assert merge_list("cell_types", base, base, target) == target


def test_changes_to_other_types_are_kept():
    base = [cell_type(1), cell_type(2, "B")]
    current = [cell_type(1), cell_type(2, "B cell")]  # someone renamed type 2
    undone = [cell_type(1, color="#00ff00"), cell_type(2, "B")]  # the undo recolours type 1
    assert merge_list("cell_types", current, base, undone) == [
        cell_type(1, color="#00ff00"),
        cell_type(2, "B cell"),
    ]


def test_cells_of_a_type_merge_as_sets():
    base = [cell_type(1, cells=[1, 2])]
    target = [cell_type(1, cells=[1])]  # take cell 2 out again
    current = [cell_type(1, cells=[1, 2, 7])]  # someone added cell 7 since
    assert merge_list("cell_types", current, base, target) == [cell_type(1, cells=[1, 7])]


def test_the_same_field_changed_twice_is_a_conflict_naming_the_item():
    base = [cell_type(1, "T")]
    current = [cell_type(1, "Helper T")]
    with pytest.raises(ListConflict) as refused:
        merge_list("cell_types", current, base, [cell_type(1, "Killer T")])
    assert refused.value.what == "cell type 1 ('Helper T')"
    assert refused.value.name == "cell_types"


def test_a_deleted_item_comes_back_where_it_was():
    base = [cell_type(1), cell_type(3)]
    target = [cell_type(1), cell_type(2), cell_type(3)]
    current = [cell_type(1), cell_type(3), cell_type(4)]
    assert [t["id"] for t in merge_list("cell_types", current, base, target)] == [1, 2, 3, 4]


def test_reordering_merges_unless_someone_else_reordered():
    base = [cell_type(1), cell_type(2)]
    target = [cell_type(2), cell_type(1)]
    added = [cell_type(1), cell_type(2), cell_type(3)]
    assert [t["id"] for t in merge_list("cell_types", added, base, target)] == [2, 1, 3]
    three = [cell_type(1), cell_type(2), cell_type(3)]
    swapped = [three[1], three[0], three[2]]  # someone else swapped 1 and 2
    with pytest.raises(ListConflict, match="the order of cell types"):
        merge_list("cell_types", swapped, three, three[::-1])


def test_divisions_are_matched_by_parent():
    base = [{"parent": 1, "daughters": [2, 3], "t": 4}]
    current = [*base, {"parent": 5, "daughters": [6, 7], "t": 2}]
    assert merge_list("divisions", current, base, []) == current[1:]
    grown = [{"parent": 1, "daughters": [2, 3, 8], "t": 4}]
    with pytest.raises(ListConflict, match="the division of cell 1"):
        merge_list("divisions", grown, base, [])


def test_channel_names_merge_by_position():
    assert merge_list("channel_names", ["DNA", "Mem2"], ["DNA", "Mem"], ["Nuclei", "Mem"]) == [
        "Nuclei",
        "Mem2",
    ]
    with pytest.raises(ListConflict, match="channel 0"):
        merge_list("channel_names", ["X", "Mem"], ["DNA", "Mem"], ["Nuclei", "Mem"])


def test_an_unknown_list_changed_on_both_sides_is_a_conflict():
    with pytest.raises(ListConflict, match="the markers"):
        merge_list("markers", {"a": 2}, {"a": 1}, {"a": 0})


NAMES = st.sampled_from(["T", "B", "NK"])
TYPES = st.lists(
    st.builds(cell_type, st.integers(1, 6), NAMES, st.just("#ff0000"), st.lists(st.integers(1, 9))),
    max_size=5,
    unique_by=lambda t: t["id"],
)


@given(TYPES, TYPES)
def test_undoing_then_redoing_on_an_unchanged_list_gives_it_back(before, after):
    undone = merge_list("cell_types", after, after, before)
    assert undone == before
    assert merge_list("cell_types", undone, before, after) == after
