"""A frame's packed index, opened lazily: the same answers as the unpacked one, before and after
any sequence of changes; and the index as an edit updates it: the same as indexing anew."""

from __future__ import annotations

import numpy as np
from deepcell_label.labels.cellmap import CellMap
from deepcell_label.labels.overlay import get_many
from deepcell_label.store.cellindex import (
    PackedFrame,
    ValueInfo,
    index_frame,
    pack_index,
    update_index,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

CELL = st.integers(1, 12)
SETS = st.frozensets(CELL, min_size=1, max_size=3)


@st.composite
def indexes(draw) -> dict[int, ValueInfo]:
    values = draw(st.lists(st.integers(1, 40), unique=True, max_size=15))
    return {
        value: ValueInfo(
            draw(SETS),
            draw(st.integers(1, 500)),
            tuple(sorted(draw(st.lists(st.integers(0, 99), min_size=2, max_size=2))) * 2),
        )
        for value in values
    }


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.integers(1, 50), SETS),
        st.tuples(st.just("remove"), st.integers(1, 50), st.none()),
        st.tuples(st.just("value_for"), st.integers(0, 0), SETS),
    ),
    max_size=25,
)


@settings(max_examples=1000, deadline=None)
@given(index=indexes(), operations=OPERATIONS, next_value=st.integers(1, 60))
def test_a_packed_frame_answers_as_the_unpacked_one(index, operations, next_value):
    packed = PackedFrame(pack_index(index))
    lazy_index, lazy = packed.index(), packed.cellmap(next_value)
    plain_index = dict(index)
    plain = CellMap.from_sets({value: info.cells for value, info in index.items()}, next_value)
    assert dict(lazy_index.items()) == plain_index and len(lazy_index) == len(plain_index)
    for name, value, cells in operations:
        if name == "set":
            lazy.set(value, cells)
            plain.set(value, cells)
            info = ValueInfo(cells, 1, (0, 0, 1, 1))
            lazy_index[value] = plain_index[value] = info
        elif name == "remove":
            lazy.remove(value)
            plain.remove(value)
            lazy_index.pop(value, None)
            plain_index.pop(value, None)
        else:
            assert lazy.value_for(cells) == plain.value_for(cells)
        for cell in range(1, 13):
            assert lazy.values_containing(cell) == plain.values_containing(cell)
        for probe in range(0, 62):
            assert lazy.cells(probe) == plain.cells(probe)
            assert lazy_index.get(probe) == plain_index.get(probe)
            assert (probe in lazy_index) == (probe in plain_index)
        probes = [*range(-1, 62), True, 2**70, "1"]
        assert get_many(lazy_index, probes) == [plain_index.get(p) for p in probes]
    assert lazy.mapping == plain.mapping
    assert lazy.all_cells() == plain.all_cells()
    assert lazy.next_value == plain.next_value
    assert dict(lazy_index.items()) == plain_index
    assert PackedFrame(pack_index(lazy_index)).index() == plain_index


@settings(max_examples=200, deadline=None)
@given(index=indexes(), operations=OPERATIONS)
def test_the_whole_map_at_once_is_the_map_key_by_key(index, operations):
    packed = PackedFrame(pack_index(index))
    lazy_index, lazy = packed.index(), packed.cellmap()
    for name, value, cells in operations:
        if name == "set":
            lazy.set(value, cells)
            lazy_index[value] = ValueInfo(cells, 1, (0, 0, 1, 1))
        elif name == "remove":
            lazy.remove(value)
            lazy_index.pop(value, None)
    assert lazy.mapping == {value: lazy.cells(value) for value in lazy_index}
    assert lazy_index.as_dict() == dict(lazy_index.items())


@settings(max_examples=300, deadline=None)
@given(index=indexes(), data=st.data())
def test_relabelling_many_values_at_once_equals_one_by_one(index, data):
    """FrameState.set_many builds the maps anew past REBUILD_AT changes: the same frame state
    as changing each value (including two values ending up encoding the same cells)."""
    from deepcell_label.store import framestate

    changes = {
        value: ValueInfo(data.draw(SETS), info.area, info.box)
        for value, info in index.items()
        if data.draw(st.booleans())
    }
    states = [framestate.FrameState.packed(pack_index(index)) for _ in range(2)]
    rebuild_at = framestate.REBUILD_AT
    try:
        for state, threshold in zip(states, (10**9, 0), strict=True):
            framestate.REBUILD_AT = threshold
            state.set_many(dict(changes))
    finally:
        framestate.REBUILD_AT = rebuild_at
    one_by_one, rebuilt = states
    assert dict(rebuilt.index.items()) == dict(one_by_one.index.items())
    assert rebuilt.cellmap.mapping == one_by_one.cellmap.mapping
    for cell in range(1, 13):
        assert rebuilt.cellmap.values_containing(cell) == one_by_one.cellmap.values_containing(cell)
    # Where two values encode one set (stored data from before that was refused), which of
    # them edits reuse may differ: rebuilt, the lowest, as in a process that loads the frame.
    encoded = list(rebuilt.cellmap.mapping.values())
    for cells in {frozenset(c) for c in encoded if encoded.count(c) == 1}:
        assert rebuilt.cellmap.value_for(cells) == one_by_one.cellmap.value_for(cells)
    assert rebuilt.cellmap.next_value == one_by_one.cellmap.next_value


FRAMES = st.integers(1, 24).flatmap(
    lambda side: st.lists(
        st.sampled_from([0, 0, 1, 2, 3, 7, 5000, 2**30]), min_size=side * side, max_size=side * side
    ).map(lambda pixels: np.array(pixels, np.int32).reshape(side, side))
)


@settings(max_examples=500, deadline=None)
@given(before=FRAMES, data=st.data())
def test_an_edit_changes_the_index_as_indexing_the_frame_again_would(before, data):
    """Areas are exact after any change of a window, and boxes cover every pixel of their
    value (an edit's values may be few and high, or many and low)."""
    after = before.copy()
    changed = data.draw(
        st.lists(st.booleans(), min_size=after.size, max_size=after.size).map(
            lambda flags: np.array(flags).reshape(after.shape)
        )
    )
    offset = data.draw(st.sampled_from([1, 11, 3000, 2**29]))
    after[changed] = np.where(after[changed] > 0, 0, np.arange(changed.sum()) % 50 + offset)
    index = dict(index_frame(before))
    for value, info in update_index(index, before, after, (0, 0), lambda v: {v}).items():
        if info is None:
            index.pop(value)
        else:
            index[value] = info
    again = index_frame(after)
    assert {v: i.area for v, i in index.items()} == {v: i.area for v, i in again.items()}
    for value, info in again.items():
        y0, x0, y1, x1 = index[value].box
        assert y0 <= info.box[0] and x0 <= info.box[1] and info.box[2] <= y1 and info.box[3] <= x1


@settings(max_examples=300, deadline=None)
@given(
    index=indexes(),
    operations=OPERATIONS,
    cells=st.lists(st.integers(1, 60), unique=True, max_size=20),
)
# Cell 20's id is a value: it gets 21, which cell 21 then finds taken.
@example(index={20: ValueInfo(frozenset({3}), 1, (0, 0, 1, 1))}, operations=[], cells=[20, 21])
def test_values_for_many_new_cells_are_those_given_one_by_one(index, operations, cells):
    """Also after changes of the packed map (cells looked up at once in the packed arrays
    and in the changes laid over them), and where an id is a value made on the way."""
    one_by_one = CellMap.from_sets({v: i.cells for v, i in index.items()}, 1)
    at_once = PackedFrame(pack_index(index)).cellmap()
    for name, value, changed in operations:
        for cellmap in (one_by_one, at_once):
            if name == "set":
                cellmap.set(value, changed)
            elif name == "remove":
                cellmap.remove(value)
            else:
                cellmap.value_for(changed)
        one_by_one.added, at_once.added = [], []
    expected = [one_by_one.value_for({cell}) for cell in cells]
    assert at_once.values_for_new_cells(cells) == expected
    assert at_once.added == one_by_one.added
    assert at_once.mapping == one_by_one.mapping
