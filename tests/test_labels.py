"""Pixel and cell actions on small hand-made label windows."""

import numpy as np
import pytest
from deepcell_label.errors import EditError
from deepcell_label.labels import (
    ACTIONS,
    CELL_ACTIONS,
    CellMap,
    delete_cell,
    new_cell,
    replace_cell,
    swap_cells,
)


def labels(rows):
    return np.array(rows, dtype=np.int32)


def run(name, window, mapping, args, *, origin=(0, 0), frame=None, raw=None, mode="exclude"):
    """Validate and apply an action on a window cut at ``origin`` of a frame of ``frame`` shape."""
    height, width = frame or window.shape
    cellmap = CellMap(mapping, next_value=100)
    action = ACTIONS[name]
    checked = action.validate(args, height, width)
    before = window.copy()
    result = action.apply(window, origin, cellmap, checked, raw, mode)
    assert result.dtype == np.int32 and result.shape == window.shape
    np.testing.assert_array_equal(window, before)  # the input is left alone
    return result, cellmap


# --- CellMap -----------------------------------------------------------------------------------


def test_cellmap_value_for():
    cellmap = CellMap({1: [1], 2: [2], 7: [1, 2]}, next_value=8)
    assert cellmap.cells(0) == frozenset()
    assert cellmap.cells(7) == {1, 2}
    assert cellmap.value_for(frozenset()) == 0
    assert cellmap.value_for({2, 1}) == 7
    assert cellmap.value_for({3}) == 3  # a new single cell takes its own id
    assert cellmap.value_for({1, 3}) == 8
    assert cellmap.value_for({7}) == 9  # 7 is already a value (of {1, 2})
    assert cellmap.next_value == 10
    assert cellmap.added == [3, 8, 9]
    assert cellmap.values_containing(1) == [1, 7, 8]
    assert cellmap.values_containing(42) == []
    assert cellmap.mapping == {1: {1}, 2: {2}, 7: {1, 2}, 3: {3}, 8: {1, 3}, 9: {7}}


def test_cellmap_next_value_is_above_every_value():
    cellmap = CellMap({5: [5], 9: [1, 5]}, next_value=2)
    assert cellmap.value_for({1, 2}) == 10


def test_cellmap_refuses_empty_sets_and_uses_the_lowest_of_repeated_ones():
    with pytest.raises(ValueError):
        CellMap({3: []}, 4)
    repeated = CellMap({4: [3], 3: [3]}, 5)
    assert repeated.value_for({3}) == 3 and repeated.cells(4) == {3}


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("brush", {"brush_size": 2, "cell": 1}, "brush needs 'points'"),
        ("brush", {"points": [[0, 0]], "brush_size": 2, "cell": 1, "foo": 1}, "not take 'foo'"),
        ("brush", {"points": [[0, 0]], "brush_size": 0, "cell": 1}, "between 1 and 64"),
        ("brush", {"points": [[0, 0]], "brush_size": 65, "cell": 1}, "between 1 and 64"),
        ("brush", {"points": [], "brush_size": 2, "cell": 1}, "non-empty list"),
        ("brush", {"points": [[0]], "brush_size": 2, "cell": 1}, "[x, y] pair"),
        ("brush", {"points": [[6, 0]], "brush_size": 2, "cell": 1}, "x = 6 is outside"),
        ("erase", {"points": [[0, 4]], "brush_size": 2, "cell": 1}, "y = 4 is outside"),
        ("brush", {"points": [[0, 0]], "brush_size": 2, "cell": 0}, "positive"),
        ("brush", {"points": [[0, 0]], "brush_size": 2, "cell": "7"}, "whole number"),
        ("brush", {"points": [[0, 0]], "brush_size": True, "cell": 1}, "whole number"),
        ("trim", {"x": 1.5, "y": 0, "cell": 1}, "whole number"),
        ("flood", [1, 2], "arguments as an object"),
        ("watershed", {"x1": 1, "y1": 1, "x2": 1, "y2": 1, "cell": 1}, "different pixels"),
        (
            "watershed",
            {"x1": 1, "y1": 1, "x2": 2, "y2": 1, "cell": 1, "new_cell": 1},
            "must differ",
        ),
        ("grow", {}, "grow needs 'cell'"),
    ],
)
def test_validation_errors(name, args, message):
    with pytest.raises(EditError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ACTIONS[name].validate(args, 4, 6)


def test_validation_normalizes():
    assert ACTIONS["brush"].validate({"points": [[1.0, 2]], "brush_size": 3, "cell": 4}, 4, 6) == {
        "points": [(1, 2)],
        "brush_size": 3,
        "cell": 4,
    }
    assert ACTIONS["threshold"].validate({"x1": 5, "y1": 3, "x2": 1, "y2": 0, "cell": 2}, 4, 6) == {
        "x1": 1,
        "y1": 0,
        "x2": 5,
        "y2": 3,
        "cell": 2,
        "channel": 0,
    }
    watershed = ACTIONS["watershed"].validate(
        {"x1": 1, "y1": 1, "x2": 2, "y2": 1, "cell": 1, "channel": 2}, 4, 6
    )
    assert watershed["new_cell"] is None and watershed["channel"] == 2


# --- windows -----------------------------------------------------------------------------------


def boxes(**cells):
    return lambda cell: cells.get(f"c{cell}")


def test_windows():
    brush = ACTIONS["brush"].validate(
        {"points": [[3, 4], [9, 2]], "brush_size": 3, "cell": 1}, 20, 10
    )
    assert ACTIONS["brush"].window(brush, 20, 10, boxes()) == (0, 1, 7, 10)
    grow = {"cell": 5}
    assert ACTIONS["grow"].window(grow, 20, 10, boxes(c5=(0, 2, 4, 6))) == (0, 1, 5, 7)
    assert ACTIONS["shrink"].window(grow, 20, 10, boxes(c5=(0, 2, 4, 6))) == (0, 2, 4, 6)
    assert ACTIONS["autofit"].window(grow, 20, 10, boxes(c5=(0, 2, 4, 6))) == (0, 0, 9, 10)
    threshold = ACTIONS["threshold"].validate(
        {"x1": 4, "y1": 9, "x2": 2, "y2": 3, "cell": 1}, 20, 10
    )
    assert ACTIONS["threshold"].window(threshold, 20, 10, boxes()) == (3, 2, 10, 5)
    # flood starts with the click and a margin (within the region when one is given), whatever
    # the selected cell's box: a cell drawn at both ends of a huge frame must not make it huge
    margin = 32  # FLOOD_FIRST_MARGIN
    flood = {"x": 100, "y": 50, "cell": 5}
    far_apart = boxes(c5=(0, 0, 1000, 1000))
    expected = (50 - margin, 100 - margin, 51 + margin, 101 + margin)
    assert ACTIONS["flood"].window(flood, 1000, 1000, far_apart) == expected
    assert ACTIONS["flood"].window({"x": 1, "y": 1, "cell": 2}, 20, 10, boxes()) == (0, 0, 20, 10)
    in_region = {**flood, "region": (40, 90, 60, 400)}
    assert ACTIONS["flood"].window(in_region, 1000, 1000, far_apart) == (40, 90, 60, 133)
    assert ACTIONS["trim"].window({"x": 3, "y": 1, "cell": 5}, 20, 10, boxes(c5=(0, 2, 4, 6))) == (
        0,
        2,
        4,
        6,
    )


def test_window_needs_the_cell():
    with pytest.raises(EditError, match="cell 7 is not in frame 4"):
        ACTIONS["grow"].window({"cell": 7}, 10, 10, boxes(), frame=3)
    with pytest.raises(EditError, match="cell 7 is not in this frame"):
        ACTIONS["trim"].window({"x": 0, "y": 0, "cell": 7}, 10, 10, boxes())
    with pytest.raises(EditError, match="not on cell 5"):
        ACTIONS["trim"].window({"x": 8, "y": 1, "cell": 5}, 10, 10, boxes(c5=(0, 2, 4, 6)))


# --- brush and erase ---------------------------------------------------------------------------

OVERLAPPING = labels(
    [
        [0, 0, 0, 0, 0, 0],
        [0, 1, 1, 9, 2, 0],
        [0, 1, 1, 9, 2, 0],
        [0, 0, 0, 0, 0, 0],
    ]
)
OVERLAPPING_MAP = {1: [1], 2: [2], 9: [1, 2]}


def test_brush_exclude():
    result, cellmap = run(
        "brush",
        OVERLAPPING,
        OVERLAPPING_MAP,
        {"points": [[0, 0], [5, 0]], "brush_size": 2, "cell": 3},
    )
    expected = labels(
        [
            [3, 3, 3, 3, 3, 3],
            [3, 1, 1, 9, 2, 3],
            [0, 1, 1, 9, 2, 0],
            [0, 0, 0, 0, 0, 0],
        ]
    )
    np.testing.assert_array_equal(result, expected)
    assert cellmap.added == [3]


def test_brush_overwrite():
    result, _ = run(
        "brush",
        OVERLAPPING,
        OVERLAPPING_MAP,
        {"points": [[3, 2]], "brush_size": 1, "cell": 1},
        mode="overwrite",
    )
    expected = OVERLAPPING.copy()
    expected[2, 3] = 1
    np.testing.assert_array_equal(result, expected)


def test_brush_overlap_on_cells_and_background():
    result, cellmap = run(
        "brush",
        OVERLAPPING,
        OVERLAPPING_MAP,
        {"points": [[2, 1], [4, 1]], "brush_size": 1, "cell": 2},
        mode="overlap",
    )
    expected = labels(
        [
            [0, 0, 0, 0, 0, 0],
            [0, 1, 9, 9, 2, 0],
            [0, 1, 1, 9, 2, 0],
            [0, 0, 0, 0, 0, 0],
        ]
    )
    np.testing.assert_array_equal(result, expected)
    assert cellmap.added == []
    result, cellmap = run(
        "brush",
        OVERLAPPING,
        OVERLAPPING_MAP,
        {"points": [[0, 2], [2, 2]], "brush_size": 1, "cell": 5},
        mode="overlap",
    )
    np.testing.assert_array_equal(result[2], [5, 100, 100, 9, 2, 0])
    assert cellmap.cells(100) == {1, 5}
    assert cellmap.added == [5, 100]


def test_brush_in_a_window_with_an_origin():
    # A 3 x 4 window cut at row 5, column 10 of a 20 x 30 frame.
    window = labels([[0, 0, 0, 0], [0, 4, 4, 0], [0, 0, 0, 0]])
    result, _ = run(
        "brush",
        window,
        {4: [4]},
        {"points": [[12, 5], [12, 7]], "brush_size": 1, "cell": 4},
        origin=(5, 10),
        frame=(20, 30),
    )
    np.testing.assert_array_equal(result, labels([[0, 0, 4, 0], [0, 4, 4, 0], [0, 0, 4, 0]]))


def test_brush_disc():
    window = np.zeros((7, 7), np.int32)
    result, _ = run("brush", window, {}, {"points": [[3, 3]], "brush_size": 3, "cell": 1})
    expected = labels(
        [
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, 1, 1, 1, 0, 0],
            [0, 1, 1, 1, 1, 1, 0],
            [0, 1, 1, 1, 1, 1, 0],
            [0, 1, 1, 1, 1, 1, 0],
            [0, 0, 1, 1, 1, 0, 0],
            [0, 0, 0, 0, 0, 0, 0],
        ]
    )
    np.testing.assert_array_equal(result, expected)


def test_erase_removes_only_the_cell():
    result, _ = run(
        "erase",
        OVERLAPPING,
        OVERLAPPING_MAP,
        {"points": [[1, 1], [4, 1]], "brush_size": 1, "cell": 2},
    )
    expected = labels(
        [
            [0, 0, 0, 0, 0, 0],
            [0, 1, 1, 1, 0, 0],
            [0, 1, 1, 9, 2, 0],
            [0, 0, 0, 0, 0, 0],
        ]
    )
    np.testing.assert_array_equal(result, expected)


def test_erase_to_a_new_single_cell_value():
    # 3 encodes cell 8, so when {3, 8} loses 8, the lone cell 3 needs another value.
    window = labels([[3, 5, 1]])
    result, cellmap = run(
        "erase",
        window,
        {3: [8], 5: [3, 8], 1: [1]},
        {"points": [[1, 0]], "brush_size": 1, "cell": 8},
    )
    np.testing.assert_array_equal(result, [[3, 100, 1]])
    assert cellmap.cells(100) == {3}


# --- trim --------------------------------------------------------------------------------------


def test_trim_keeps_the_part_connected_to_the_click():
    window = labels(
        [
            [1, 1, 0, 0, 9],
            [1, 0, 0, 0, 0],
            [0, 1, 0, 1, 1],
        ]
    )
    result, _ = run("trim", window, {1: [1], 9: [1, 2]}, {"x": 0, "y": 0, "cell": 1})
    expected = labels(
        [
            [1, 1, 0, 0, 2],
            [1, 0, 0, 0, 0],
            [0, 1, 0, 0, 0],
        ]
    )
    np.testing.assert_array_equal(result, expected)


def test_trim_with_origin_and_a_click_off_the_cell():
    window = labels([[1, 0, 1]])
    result, _ = run(
        "trim", window, {1: [1]}, {"x": 7, "y": 3, "cell": 1}, origin=(3, 5), frame=(6, 9)
    )
    np.testing.assert_array_equal(result, [[0, 0, 1]])
    with pytest.raises(EditError, match="not on cell 1"):
        run("trim", window, {1: [1]}, {"x": 6, "y": 3, "cell": 1}, origin=(3, 5), frame=(6, 9))


# --- flood -------------------------------------------------------------------------------------

RING = labels(
    [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 1, 1, 1, 1, 0, 2],
        [0, 1, 0, 0, 1, 0, 2],
        [0, 1, 0, 2, 1, 0, 0],
        [0, 1, 1, 1, 1, 0, 0],
    ]
)


def test_flood_fills_a_hole():
    result, _ = run("flood", RING, {1: [1], 2: [2]}, {"x": 2, "y": 2, "cell": 1})
    expected = RING.copy()
    expected[2, 2:4] = 1
    expected[3, 2] = 1
    np.testing.assert_array_equal(result, expected)


def test_flood_hole_in_overwrite_and_overlap():
    result, _ = run("flood", RING, {1: [1], 2: [2]}, {"x": 3, "y": 3, "cell": 1}, mode="overwrite")
    expected = RING.copy()
    expected[3, 3] = 1
    np.testing.assert_array_equal(result, expected)
    result, cellmap = run(
        "flood", RING, {1: [1], 2: [2]}, {"x": 3, "y": 3, "cell": 1}, mode="overlap"
    )
    assert cellmap.cells(result[3, 3]) == {1, 2}
    assert result[1, 6] == 2  # the other region of the same value is not connected


def test_flood_asks_for_a_larger_window_when_the_region_continues():
    from deepcell_label.labels import WindowTooSmall

    window = np.array([[0, 0, 0], [0, 7, 7], [0, 7, 7]], np.int32)
    cellmap = CellMap({7: [7]}, 8)
    args = {"x": 11, "y": 21, "cell": 3}
    # The window sits inside a 100 x 100 frame: the 7s touch its lower and right inner edges.
    with pytest.raises(WindowTooSmall) as raised:
        ACTIONS["flood"].apply(
            window.copy(), (20, 10), cellmap, args, None, "overwrite", (100, 100)
        )
    assert raised.value.value == 7
    # At the frame's own corner the same window is complete.
    result = ACTIONS["flood"].apply(
        window.copy(),
        (97, 97),
        cellmap,
        {"x": 98, "y": 98, "cell": 3},
        None,
        "overwrite",
        (100, 100),
    )
    assert (result == np.array([[0, 0, 0], [0, 3, 3], [0, 3, 3]])).all()


def test_flood_background_is_four_connected():
    window = labels(
        [
            [0, 0, 3, 0],
            [0, 3, 0, 0],
            [3, 0, 0, 0],
        ]
    )
    result, _ = run("flood", window, {3: [3]}, {"x": 0, "y": 0, "cell": 3})
    np.testing.assert_array_equal(result, [[3, 3, 3, 0], [3, 3, 0, 0], [3, 0, 0, 0]])


def test_flood_cell_region_is_eight_connected():
    window = labels(
        [
            [2, 0, 0, 0],
            [0, 2, 0, 2],
            [0, 0, 0, 2],
        ]
    )
    result, _ = run("flood", window, {2: [2]}, {"x": 0, "y": 0, "cell": 5}, mode="overwrite")
    np.testing.assert_array_equal(result, [[5, 0, 0, 0], [0, 5, 0, 2], [0, 0, 0, 2]])
    unchanged, _ = run("flood", window, {2: [2]}, {"x": 0, "y": 0, "cell": 5})
    np.testing.assert_array_equal(unchanged, window)  # exclude mode takes no pixel from a cell


# --- threshold ---------------------------------------------------------------------------------


def test_threshold_adds_the_bright_part():
    # Low threshold (triangle) about 1.5, high (Otsu) about 30: the 20 joins the bright
    # cell through the 58 next to it, the lone 3 in the corner does not.
    window = labels(
        [
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [7, 7, 0, 0, 0],
            [0, 0, 0, 0, 0],
        ]
    )
    raw = np.array(
        [
            [3, 1, 1, 1, 1],
            [1, 30, 60, 55, 1],
            [1, 52, 90, 58, 1],
            [1, 1, 1, 20, 1],
        ],
        dtype=np.uint16,
    )
    # The window is the box x 0..4, y 5..8 of a 10 x 5 frame.
    args = {"x1": 0, "y1": 5, "x2": 4, "y2": 8, "cell": 3, "channel": 1}
    result, _ = run("threshold", window, {7: [7]}, args, origin=(5, 0), frame=(10, 5), raw=raw)
    expected = labels(
        [
            [0, 0, 0, 0, 0],
            [0, 3, 3, 3, 0],
            [7, 7, 3, 3, 0],
            [0, 0, 0, 3, 0],
        ]
    )
    np.testing.assert_array_equal(result, expected)
    result, cellmap = run(
        "threshold", window, {7: [7]}, args, origin=(5, 0), frame=(10, 5), raw=raw, mode="overlap"
    )
    assert cellmap.cells(result[2, 1]) == {3, 7}
    assert result[2, 0] == 7


def test_threshold_float_raw_without_contrast_changes_nothing():
    window = np.zeros((2, 3), np.int32)
    raw = np.full((2, 3), 0.5, np.float32)
    args = {"x1": 0, "y1": 0, "x2": 2, "y2": 1, "cell": 3}
    result, _ = run("threshold", window, {}, args, raw=raw)
    np.testing.assert_array_equal(result, window)


# --- watershed ---------------------------------------------------------------------------------


def test_watershed_splits_along_the_dark_seam():
    window = labels(
        [
            [0, 0, 0, 0, 0, 0, 0, 0],
            [0, 4, 4, 4, 4, 4, 4, 0],
            [0, 4, 4, 4, 4, 4, 4, 0],
            [0, 4, 4, 4, 4, 4, 4, 0],
        ]
    )
    raw = np.array(
        [
            [0, 0, 0, 0, 0, 0, 0, 0],
            [0, 90, 90, 10, 95, 95, 95, 0],
            [0, 90, 90, 10, 95, 95, 95, 0],
            [0, 90, 90, 10, 95, 95, 95, 0],
        ],
        dtype=np.float32,
    )
    args = {"x1": 1, "y1": 2, "x2": 6, "y2": 2, "cell": 4, "new_cell": 8}
    result, _ = run("watershed", window, {4: [4]}, args, raw=raw)
    left, right = result[1:, 1:3], result[1:, 4:7]
    assert (left == 4).all() and (right == 8).all()
    assert set(np.unique(result[1:, 3])) <= {4, 8}
    assert (result[0] == 0).all() and (result[:, [0, 7]] == 0).all()


def test_watershed_keeps_other_cells_of_shared_pixels():
    window = labels([[4, 4, 6, 6]])
    raw = np.array([[9, 9, 9, 9]], dtype=np.uint8)
    args = {"x1": 0, "y1": 0, "x2": 3, "y2": 0, "cell": 4, "new_cell": 8}
    result, cellmap = run("watershed", window, {4: [4], 6: [4, 2]}, args, raw=raw)
    assert result[0, 0] == 4 and cellmap.cells(result[0, 3]) == {2, 8}


def test_watershed_needs_seeds_on_the_cell_and_a_new_id():
    window = labels([[4, 4, 0]])
    raw = np.ones((1, 3), np.uint8)
    with pytest.raises(EditError, match="not on cell 4"):
        run(
            "watershed",
            window,
            {4: [4]},
            {"x1": 0, "y1": 0, "x2": 2, "y2": 0, "cell": 4, "new_cell": 5},
            raw=raw,
        )
    with pytest.raises(EditError, match="new_cell"):
        run("watershed", window, {4: [4]}, {"x1": 0, "y1": 0, "x2": 1, "y2": 0, "cell": 4}, raw=raw)


# --- autofit -----------------------------------------------------------------------------------


DISC = labels(
    [
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0],
        [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
        [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
        [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
        [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
        [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
        [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
        [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
        [0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ]
)


def test_autofit_grows_to_the_bright_cell():
    window = np.zeros((13, 13), np.int32)
    window[5:8, 5:8] = 5  # a rough 3 x 3 guess
    window[0, 12] = 2  # another cell, apart
    raw = (DISC * 1000).astype(np.uint16)
    result, _ = run("autofit", window, {5: [5], 2: [2]}, {"cell": 5, "channel": 0}, raw=raw)
    expected = DISC * 5
    expected[0, 12] = 2
    np.testing.assert_array_equal(result, expected)


def test_autofit_shrinks_to_the_bright_cell_and_spares_other_cells():
    # The window is cut at (4, 6); the guess is too large and holds a pixel of cell 3.
    window = np.zeros((13, 13), np.int32)
    window[1:12, 1:12] = 5
    window[1, 1] = 3
    raw = DISC.astype(np.float32) * 0.8 + 0.1
    result, _ = run(
        "autofit", window, {5: [5], 3: [3]}, {"cell": 5}, origin=(4, 6), frame=(30, 30), raw=raw
    )
    expected = DISC * 5
    expected[1, 1] = 3
    np.testing.assert_array_equal(result, expected)


def test_autofit_in_overwrite_mode_takes_pixels_of_other_cells():
    window = np.zeros((13, 13), np.int32)
    window[5:8, 5:8] = 5
    window[6, 2] = 3
    raw = (DISC * 200).astype(np.uint8)
    result, _ = run("autofit", window, {5: [5], 3: [3]}, {"cell": 5}, raw=raw, mode="overwrite")
    np.testing.assert_array_equal(result, DISC * 5)
    kept, _ = run("autofit", window, {5: [5], 3: [3]}, {"cell": 5}, raw=raw)
    assert kept[6, 2] == 3


# --- grow and shrink ---------------------------------------------------------------------------


def test_grow_in_each_write_mode():
    window = labels(
        [
            [0, 0, 0, 0, 0],
            [0, 1, 2, 0, 0],
            [0, 9, 0, 0, 0],
        ]
    )
    mapping = {1: [1], 2: [2], 9: [1, 3]}
    result, _ = run("grow", window, mapping, {"cell": 1})
    np.testing.assert_array_equal(result, [[0, 1, 0, 0, 0], [1, 1, 2, 0, 0], [1, 9, 1, 0, 0]])
    result, _ = run("grow", window, mapping, {"cell": 1}, mode="overwrite")
    np.testing.assert_array_equal(result, [[0, 1, 0, 0, 0], [1, 1, 1, 0, 0], [1, 9, 1, 0, 0]])
    result, cellmap = run("grow", window, mapping, {"cell": 1}, mode="overlap")
    assert cellmap.cells(result[1, 2]) == {1, 2}
    np.testing.assert_array_equal(result[[0, 2]], [[0, 1, 0, 0, 0], [1, 9, 1, 0, 0]])


def test_grow_at_an_origin_and_the_frame_edge():
    # The window is the bottom-right corner of the frame: rows 8..9, columns 3..5.
    window = labels([[0, 0, 0], [0, 0, 6]])
    result, _ = run("grow", window, {6: [6]}, {"cell": 6}, origin=(8, 3), frame=(10, 6))
    np.testing.assert_array_equal(result, [[0, 0, 6], [0, 6, 6]])


def test_shrink():
    window = labels(
        [
            [1, 1, 1, 1],
            [1, 1, 1, 1],
            [1, 1, 1, 1],
            [0, 9, 1, 2],
        ]
    )
    result, _ = run("shrink", window, {1: [1], 2: [2], 9: [1, 2]}, {"cell": 1})
    expected = labels(
        [
            [0, 0, 0, 0],
            [0, 1, 1, 0],
            [0, 1, 1, 0],
            [0, 2, 0, 2],
        ]
    )
    np.testing.assert_array_equal(result, expected)


def test_write_mode_is_checked():
    with pytest.raises(EditError, match="write mode"):
        run("grow", labels([[1, 0]]), {1: [1]}, {"cell": 1}, mode="paint")


# --- cell actions ------------------------------------------------------------------------------

SHARED = labels(
    [
        [3, 3, 7, 9, 9],
        [5, 5, 7, 0, 9],
    ]
)
SHARED_MAP = {3: [3], 5: [5], 7: [3, 9], 9: [9]}


def test_delete_cell():
    cellmap = CellMap(SHARED_MAP, 10)
    result = delete_cell(SHARED, cellmap, 3)
    np.testing.assert_array_equal(result, [[0, 0, 9, 9, 9], [5, 5, 9, 0, 9]])


def test_replace_cell_merges_shared_values():
    cellmap = CellMap(SHARED_MAP, 10)
    result = replace_cell(SHARED, cellmap, 3, 9)  # 9 becomes 3
    np.testing.assert_array_equal(result, [[3, 3, 3, 3, 3], [5, 5, 3, 0, 3]])
    cellmap = CellMap(SHARED_MAP, 10)
    result = replace_cell(SHARED, cellmap, 5, 3)  # 3 becomes 5
    np.testing.assert_array_equal(result, [[5, 5, 10, 9, 9], [5, 5, 10, 0, 9]])
    assert cellmap.cells(10) == {5, 9}


def test_swap_cells_with_a_shared_value():
    cellmap = CellMap(SHARED_MAP, 10)
    result = swap_cells(SHARED, cellmap, 3, 5)
    np.testing.assert_array_equal(result, [[5, 5, 10, 9, 9], [3, 3, 10, 0, 9]])
    assert cellmap.cells(10) == {5, 9}
    # Swapping back returns to the same sets (values may differ, the cells may not).
    back = swap_cells(result, cellmap, 3, 5)
    assert [[cellmap.cells(v) for v in row] for row in back.tolist()] == [
        [CellMap(SHARED_MAP, 10).cells(v) for v in row] for row in SHARED.tolist()
    ]


def test_swap_cells_where_a_value_is_the_other_cell_id():
    cellmap = CellMap({1: [1], 2: [2], 3: [1, 2]}, 4)
    result = swap_cells(labels([[1, 2, 3]]), cellmap, 1, 2)
    np.testing.assert_array_equal(result, [[2, 1, 3]])


def test_new_cell():
    cellmap = CellMap(SHARED_MAP, 10)
    result = new_cell(SHARED, cellmap, 3, 12)
    np.testing.assert_array_equal(result, [[12, 12, 10, 9, 9], [5, 5, 10, 0, 9]])
    assert cellmap.cells(10) == {9, 12}
    with pytest.raises(EditError, match="cell 5 already exists"):
        new_cell(SHARED, CellMap(SHARED_MAP, 10), 3, 5)


def test_cell_action_registry():
    replace = CELL_ACTIONS["replace"]
    args = replace.validate({"cell": 3, "other_cell": 9})
    assert args == {"cell": 3, "other_cell": 9, "scope": "frame"}
    assert replace.cells(args) == [3, 9]
    np.testing.assert_array_equal(
        replace.apply(SHARED, CellMap(SHARED_MAP, 10), args), [[3, 3, 3, 3, 3], [5, 5, 3, 0, 3]]
    )
    with pytest.raises(EditError, match="two different cells"):
        CELL_ACTIONS["swap"].validate({"cell": 3, "other_cell": 3})
    with pytest.raises(EditError, match="scope"):
        CELL_ACTIONS["delete"].validate({"cell": 3, "scope": "some"})
    with pytest.raises(EditError, match="delete does not take 'other_cell'"):
        CELL_ACTIONS["delete"].validate({"cell": 3, "other_cell": 4})
    with pytest.raises(EditError, match="new_cell"):
        CELL_ACTIONS["new"].apply(
            SHARED, CellMap(SHARED_MAP, 10), CELL_ACTIONS["new"].validate({"cell": 3})
        )
    new = CELL_ACTIONS["new"].validate({"cell": 3, "new_cell": 11, "scope": "all"})
    assert CELL_ACTIONS["new"].apply(SHARED, CellMap(SHARED_MAP, 10), new)[0, 0] == 11


def test_packed_index_round_trip():
    from deepcell_label.store.cellindex import index_frame, pack_index, unpack_index

    frame = np.array([[0, 3, 3, 9], [5, 5, 0, 9], [0, 0, 7, 7]], np.int32)
    index = index_frame(frame, {3: [3], 5: [5], 7: [1, 2], 9: [9]})
    assert unpack_index(pack_index(index)) == index
    assert unpack_index(pack_index({})) == {}


def test_cell_map_from_sets_equals_the_checked_constructor():
    mapping = {3: frozenset({3}), 7: frozenset({1, 2}), 9: frozenset({9}), 12: frozenset({3})}
    quick, checked = CellMap.from_sets(mapping, 5), CellMap(mapping, 5)

    def fresh():
        return CellMap.from_sets(mapping, 5), CellMap(mapping, 5)

    assert quick.mapping == checked.mapping and quick.next_value == checked.next_value
    for cell in (1, 2, 3, 9, 4):
        assert quick.values_containing(cell) == checked.values_containing(cell)
    for cells in ({3}, {1, 2}, {9}, {4}, {1, 9}):
        new_quick, new_checked = fresh()
        assert new_quick.value_for(cells) == new_checked.value_for(cells)
