"""Divisions and cell types on hand-made lineages."""

import random

import pytest
from deepcell_label.errors import EditError
from deepcell_label.labels import (
    add_daughter,
    apply_cell_type_action,
    remove_daughter,
    update_cell_types,
    update_divisions,
    validate_divisions,
)

# A movie of 10 frames: cell 1 lives in frames 0-4 and divides into 2 and 3 (frames 5-9);
# cell 2 divides again at frame 8 into 4 and 5. Cell 6 lives in all frames, unrelated.
FRAMES = {
    1: [0, 1, 2, 3, 4],
    2: [5, 6, 7],
    3: [5, 6, 7, 8, 9],
    4: [8, 9],
    5: [8, 9],
    6: list(range(10)),
}
LINEAGE = [
    {"parent": 1, "daughters": [2, 3], "t": 5},
    {"parent": 2, "daughters": [4, 5], "t": 8},
]
ALL = range(10)
PAST_OF_4 = range(0, 5)
FUTURE_OF_5 = range(5, 10)


def frames_after(changes):
    """FRAMES with some cells' frames replaced."""
    return {**FRAMES, **changes}


# --- add and remove daughters ------------------------------------------------------------------


def test_add_daughter_creates_and_extends_divisions():
    divisions = add_daughter([], 1, 3, FRAMES)
    assert divisions == [{"parent": 1, "daughters": [3], "t": 5}]
    divisions = add_daughter(divisions, 1, 2, FRAMES)
    assert divisions == [{"parent": 1, "daughters": [3, 2], "t": 5}]
    divisions = add_daughter(divisions, 3, 4, FRAMES)
    assert divisions[1] == {"parent": 3, "daughters": [4], "t": 8}


def test_add_daughter_recomputes_t_from_the_daughters():
    frames = {1: [0, 1], 2: [3, 4], 3: [2, 3, 4]}
    divisions = add_daughter([{"parent": 1, "daughters": [2], "t": 3}], 1, 3, frames)
    assert divisions == [{"parent": 1, "daughters": [2, 3], "t": 2}]


def test_add_daughter_refusals():
    with pytest.raises(EditError, match="its own daughter"):
        add_daughter([], 1, 1, FRAMES)
    with pytest.raises(EditError, match="cell 9 is in no frame"):
        add_daughter([], 1, 9, FRAMES)
    with pytest.raises(EditError, match="already a daughter of cell 1"):
        add_daughter(LINEAGE, 6, 3, FRAMES)


def test_add_daughter_leaves_its_input_alone():
    before = [dict(d, daughters=list(d["daughters"])) for d in LINEAGE]
    add_daughter(LINEAGE, 3, 6, FRAMES)
    assert before == LINEAGE


def test_remove_daughter():
    assert remove_daughter(LINEAGE, 1, 2, FRAMES) == [
        {"parent": 1, "daughters": [3], "t": 5},
        {"parent": 2, "daughters": [4, 5], "t": 8},
    ]
    only = remove_daughter(remove_daughter(LINEAGE, 2, 4, FRAMES), 2, 5, FRAMES)
    assert only == [{"parent": 1, "daughters": [2, 3], "t": 5}]
    with pytest.raises(EditError, match="cell 4 is not a daughter of cell 1"):
        remove_daughter(LINEAGE, 1, 4, FRAMES)


def test_remove_daughter_recomputes_t():
    frames = {1: [0], 2: [1, 2], 3: [2]}
    divisions = [{"parent": 1, "daughters": [2, 3], "t": 1}]
    assert remove_daughter(divisions, 1, 2, frames) == [{"parent": 1, "daughters": [3], "t": 2}]


# --- update after cell actions -----------------------------------------------------------------


def test_delete_everywhere_drops_the_cell():
    after = frames_after({2: []})
    # Without 2, its division has no parent: 4 and 5 lose it; 1 keeps one daughter.
    assert update_divisions(LINEAGE, "delete", 2, None, None, ALL, after) == [
        {"parent": 1, "daughters": [3], "t": 5}
    ]


def test_delete_a_daughter_everywhere_removes_an_emptied_division():
    after = frames_after({4: [], 5: []})
    divisions = update_divisions(LINEAGE, "delete", 4, None, None, ALL, frames_after({4: []}))
    assert divisions[1] == {"parent": 2, "daughters": [5], "t": 8}
    assert update_divisions(divisions, "delete", 5, None, None, ALL, after) == [LINEAGE[0]]


def test_delete_in_some_frames_keeps_the_cell_and_moves_t():
    after = frames_after({3: [7, 8, 9], 2: [6, 7]})
    divisions = update_divisions(LINEAGE, "delete", 3, None, None, [5], frames_after({3: [6, 7]}))
    assert divisions[0] == {"parent": 1, "daughters": [2, 3], "t": 5}
    divisions = update_divisions(LINEAGE, "delete", 2, None, None, [5], after)
    assert divisions == [
        {"parent": 1, "daughters": [2, 3], "t": 6},
        {"parent": 2, "daughters": [4, 5], "t": 8},
    ]


@pytest.mark.parametrize(
    ("scope", "frames", "after", "expected"),
    [
        # Parent 1 combined into cell 6 everywhere: 6 becomes the parent.
        (
            "all",
            ALL,
            {1: []},
            [{"parent": 6, "daughters": [2, 3], "t": 5}, LINEAGE[1]],
        ),
        # In the past of frame 4 (which holds the frame before the division): the same.
        (
            "past",
            PAST_OF_4,
            {1: []},
            [{"parent": 6, "daughters": [2, 3], "t": 5}, LINEAGE[1]],
        ),
        # In the future of frame 5, cell 1 is not there: nothing changes.
        ("future", FUTURE_OF_5, {}, LINEAGE),
        # Only in frame 4: cell 1 remains in frames 0-3, but 6 holds the role at frame 4.
        (
            "frame",
            [4],
            {1: [0, 1, 2, 3]},
            [{"parent": 6, "daughters": [2, 3], "t": 5}, LINEAGE[1]],
        ),
        # Only in frame 2, far from the division: 1 stays the parent.
        ("frame", [2], {1: [0, 1, 3, 4]}, LINEAGE),
    ],
)
def test_replace_a_parent_in_each_scope(scope, frames, after, expected):
    assert update_divisions(LINEAGE, "replace", 6, 1, None, frames, frames_after(after)) == expected


@pytest.mark.parametrize(
    ("scope", "frames", "after", "expected"),
    [
        # Daughter 3 combined into 7 (a fragment seen in frames 5-9) everywhere: 7 is the daughter.
        ("all", ALL, {3: []}, [{"parent": 1, "daughters": [2, 7], "t": 5}, LINEAGE[1]]),
        ("future", FUTURE_OF_5, {3: []}, [{"parent": 1, "daughters": [2, 7], "t": 5}, LINEAGE[1]]),
        # The past of frame 4 has no 3: nothing changes.
        ("past", PAST_OF_4, {}, LINEAGE),
        # Only in its first frame: 7 takes the role; 3 stays elsewhere.
        (
            "frame",
            [5],
            {3: [6, 7, 8, 9]},
            [{"parent": 1, "daughters": [2, 7], "t": 5}, LINEAGE[1]],
        ),
        # Only in a later frame: 3 stays the daughter.
        ("frame", [7], {3: [5, 6, 8, 9]}, LINEAGE),
    ],
)
def test_replace_a_daughter_in_each_scope(scope, frames, after, expected):
    after = frames_after({7: [5, 6, 7, 8, 9], **after})
    assert update_divisions(LINEAGE, "replace", 7, 3, None, frames, after) == expected


def test_replace_a_daughter_by_its_parent_undoes_the_division():
    # Daughter 2 was really cell 1 going on: 1 is not its own daughter, and the division of 2
    # becomes a second division of 1, merged with the first.
    after = frames_after({1: [0, 1, 2, 3, 4, 5, 6, 7], 2: []})
    divisions = update_divisions(LINEAGE, "replace", 1, 2, None, ALL, after)
    assert divisions == [{"parent": 1, "daughters": [3, 4, 5], "t": 5}]
    # What remains questionable is reported, not hidden.
    kinds = {f["kind"] for f in validate_divisions(divisions, after)}
    assert kinds == {"parent_after_division"}


def test_replace_a_parent_by_its_daughter():
    after = frames_after({2: [0, 1, 2, 3, 4, 5, 6, 7], 1: []})
    divisions = update_divisions(LINEAGE, "replace", 2, 1, None, ALL, after)
    assert divisions == [{"parent": 2, "daughters": [3, 4, 5], "t": 5}]


def test_replace_a_daughter_by_a_daughter_of_another_division():
    lineage = [*LINEAGE, {"parent": 6, "daughters": [7, 8], "t": 3}]
    frames = {**FRAMES, 6: [0, 1, 2], 7: [3, 4], 8: [3, 4, 5, 6, 7, 8, 9]}
    after = {**frames, 8: [3, 4], 3: []}
    divisions = update_divisions(lineage, "replace", 8, 3, None, ALL, after)
    # 8 keeps the role it had; 1 is left with one daughter.
    assert divisions == [
        {"parent": 1, "daughters": [2], "t": 5},
        LINEAGE[1],
        {"parent": 6, "daughters": [7, 8], "t": 3},
    ]


def test_swap_cells():
    after = frames_after({2: FRAMES[3], 3: FRAMES[2]})
    assert update_divisions(LINEAGE, "swap", 2, 3, None, ALL, after) == [
        {"parent": 1, "daughters": [3, 2], "t": 5},
        {"parent": 3, "daughters": [4, 5], "t": 8},
    ]


def test_swap_in_the_future_follows_the_roles():
    # Swapping 2 and 3 from frame 6 on: at frame 5, both are still themselves.
    after = frames_after({2: [5, 8, 9], 3: [5, 6, 7]})
    assert update_divisions(LINEAGE, "swap", 2, 3, None, range(6, 10), after) == [
        {"parent": 1, "daughters": [2, 3], "t": 5},
        {"parent": 3, "daughters": [4, 5], "t": 8},
    ]


def test_new_cell_in_each_scope():
    everywhere = update_divisions(
        LINEAGE, "new", 2, None, 9, ALL, frames_after({2: [], 9: [5, 6, 7]})
    )
    assert everywhere == [
        {"parent": 1, "daughters": [9, 3], "t": 5},
        {"parent": 9, "daughters": [4, 5], "t": 8},
    ]
    # From frame 7 on: 2 is born at 5 as before; the id 9 divides at 8.
    future = update_divisions(
        LINEAGE, "new", 2, None, 9, range(7, 10), frames_after({2: [5, 6], 9: [7]})
    )
    assert future == [
        {"parent": 1, "daughters": [2, 3], "t": 5},
        {"parent": 9, "daughters": [4, 5], "t": 8},
    ]
    past = update_divisions(
        LINEAGE, "new", 2, None, 9, range(0, 6), frames_after({2: [6, 7], 9: [5]})
    )
    assert past == [
        {"parent": 1, "daughters": [9, 3], "t": 5},
        {"parent": 2, "daughters": [4, 5], "t": 8},
    ]


def test_update_divisions_refuses_unknown_actions():
    with pytest.raises(EditError):
        update_divisions(LINEAGE, "merge", 1, 2, None, ALL, FRAMES)
    with pytest.raises(EditError, match="other_cell"):
        update_divisions(LINEAGE, "swap", 1, None, None, ALL, FRAMES)


# --- validation --------------------------------------------------------------------------------


def test_a_consistent_lineage_has_no_findings():
    assert validate_divisions(LINEAGE, FRAMES) == []


def test_validation_findings():
    frames = {**FRAMES, 1: [0, 1, 2, 3, 4, 5, 6], 4: [6, 7, 8, 9], 7: [1, 2]}
    divisions = [
        *LINEAGE,
        {"parent": 6, "daughters": [5], "t": 8},
        {"parent": 6, "daughters": [7], "t": 1},
    ]
    findings = validate_divisions(divisions, frames)
    assert [(f["kind"], f["cell"], f["frames"]) for f in findings] == [
        ("parent_after_division", 1, [5, 6]),
        ("daughter_before_division", 4, [6, 7]),
        ("parent_after_division", 6, [8, 9]),
        ("single_daughter", 6, [8]),
        ("parent_after_division", 6, list(range(1, 10))),
        ("single_daughter", 6, [1]),
        ("multiple_divisions", 6, [1, 8]),
        ("multiple_divisions", 5, [8]),
    ]
    # The messages count frames from 1, as people do; the "frames" lists are indices.
    messages = [f["message"] for f in findings]
    assert messages[0] == "cell 1 divides at frame 6 but is still present in frames 6 to 7"
    assert messages[1] == (
        "cell 4, a daughter of cell 2 born at frame 9, is already present in frames 7 to 8"
    )
    assert messages[3] == "cell 6 divides at frame 9 into one daughter only (cell 5)"
    assert messages[6] == "cell 6 is the parent in 2 divisions (at frames 2, 9)"


def test_validation_of_thousands_of_divisions():
    """6 000 cells and 2 000 divisions: a clean lineage has no findings, and one with nearly
    every division wrong has at least one finding per division. (Its speed is in `make bench`
    lineage, against a baseline in the same run.)"""
    rng = random.Random(1)
    frames = {cell: sorted(rng.sample(range(100), rng.randint(1, 100))) for cell in range(1, 6001)}
    divisions = [
        {"parent": 3 * i + 1, "daughters": [3 * i + 2, 3 * i + 3], "t": rng.randint(1, 99)}
        for i in range(2000)
    ]
    clean = {c: list(range(50)) if c % 3 == 1 else list(range(50, 100)) for c in range(1, 6001)}
    clean_divisions = [{**d, "t": 50} for d in divisions]
    assert validate_divisions(clean_divisions, clean) == []
    findings = validate_divisions(divisions, frames)
    assert len(findings) >= len(divisions)


# --- cell types --------------------------------------------------------------------------------

TYPES = [
    {"id": 1, "name": "T cell", "color": "#ff0000", "cells": [2, 3], "feature": 0},
    {"id": 3, "name": "B cell", "color": "#00ff00", "cells": [3, 5], "feature": 0},
]


def test_create_cell_type():
    types = apply_cell_type_action(
        TYPES, "create_cell_type", {"name": " Tumour ", "color": "#AABBCC", "feature": 1}
    )
    assert types[-1] == {"id": 4, "name": "Tumour", "color": "#aabbcc", "cells": [], "feature": 1}
    assert (
        apply_cell_type_action([], "create_cell_type", {"name": "a", "color": "#000000"})[0]["id"]
        == 1
    )


def test_edit_cell_types():
    assert (
        apply_cell_type_action(TYPES, "rename_cell_type", {"id": 3, "name": "Plasma"})[1]["name"]
        == "Plasma"
    )
    assert (
        apply_cell_type_action(TYPES, "recolor_cell_type", {"id": 1, "color": "#0000ff"})[0][
            "color"
        ]
        == "#0000ff"
    )
    assert apply_cell_type_action(TYPES, "delete_cell_type", {"id": 1}) == [TYPES[1]]
    assert apply_cell_type_action(TYPES, "reorder_cell_types", {"order": [3, 1]}) == [
        TYPES[1],
        TYPES[0],
    ]
    assert apply_cell_type_action(TYPES, "add_to_cell_type", {"id": 1, "cell": 1})[0]["cells"] == [
        1,
        2,
        3,
    ]
    assert apply_cell_type_action(TYPES, "remove_from_cell_type", {"id": 3, "cell": 3})[1][
        "cells"
    ] == [5]
    assert TYPES[0]["cells"] == [2, 3]  # the input is left alone


@pytest.mark.parametrize(
    ("action", "args", "message"),
    [
        ("create_cell_type", {"name": "", "color": "#000000"}, "non-empty"),
        ("create_cell_type", {"name": "a", "color": "red"}, "#rrggbb"),
        ("create_cell_type", {"name": "a"}, "create_cell_type needs 'color'"),
        ("rename_cell_type", {"id": 2, "name": "a"}, "no cell type 2"),
        ("rename_cell_type", {"id": 1, "name": "a", "color": "#000000"}, "does not take 'color'"),
        ("reorder_cell_types", {"order": [1]}, "every cell type exactly once"),
        ("reorder_cell_types", {"order": [1, 1, 3]}, "every cell type exactly once"),
        ("add_to_cell_type", {"id": 1, "cell": 2}, "already of type 'T cell'"),
        ("remove_from_cell_type", {"id": 1, "cell": 5}, "not of type 'T cell'"),
        ("add_to_cell_type", {"id": 1, "cell": -2}, "positive"),
        ("paint_cell_type", {}, "unknown cell type action"),
    ],
)
def test_cell_type_errors(action, args, message):
    with pytest.raises(EditError, match=message):
        apply_cell_type_action(TYPES, action, args)


def cells_of(types):
    return [t["cells"] for t in types]


def test_update_cell_types_after_cell_actions():
    remaining = {1, 2, 3, 5, 6}
    assert cells_of(update_cell_types(TYPES, "delete", 3, None, None, remaining - {3})) == [
        [2],
        [5],
    ]
    assert cells_of(update_cell_types(TYPES, "delete", 3, None, None, remaining)) == [
        [2, 3],
        [3, 5],
    ]
    # Replace: 5 becomes 2 everywhere; 2 joins the types of 5.
    assert cells_of(update_cell_types(TYPES, "replace", 2, 5, None, remaining - {5})) == [
        [2, 3],
        [2, 3],
    ]
    # ... in some frames only: no change.
    assert cells_of(update_cell_types(TYPES, "replace", 2, 5, None, remaining)) == [[2, 3], [3, 5]]
    assert cells_of(update_cell_types(TYPES, "swap", 2, 5, None, remaining)) == [[3, 5], [2, 3]]
    assert cells_of(update_cell_types(TYPES, "new", 3, None, 9, (remaining - {3}) | {9})) == [
        [2, 9],
        [5, 9],
    ]
    assert cells_of(update_cell_types(TYPES, "new", 3, None, 9, remaining | {9})) == [
        [2, 3, 9],
        [3, 5, 9],
    ]
