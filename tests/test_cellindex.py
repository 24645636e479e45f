"""A frame's packed index, opened lazily: the same answers as the unpacked one, before and after
any sequence of changes."""

from __future__ import annotations

from deepcell_label.labels.cellmap import CellMap
from deepcell_label.store.cellindex import PackedFrame, ValueInfo, pack_index
from hypothesis import given, settings
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
