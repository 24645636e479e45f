"""What one edit changed, as a reversible record: pixel patches, cell index entries,
relabellings, lists.

Stored with each history row; undo applies the record backwards, redo forwards, and the
patches are what the browser receives. A relabelling (propagate, linking) changes which cell
thousands of values encode and nothing else: it is kept as one block of arrays per frame, not as
an entry per value, so recording, storing, reading and undoing it cost array operations.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..formats import tiling
from .cellindex import ValueInfo


@dataclass
class Patch:
    feature: int
    frame: int
    box: tiling.Box
    before: bytes  # deflated int32, box-sized
    after: bytes

    def describe(self) -> dict:
        y0, x0, y1, x1 = self.box
        return {
            "feature": self.feature,
            "frame": self.frame,
            "x": x0,
            "y": y0,
            "width": x1 - x0,
            "height": y1 - y0,
            "data": base64.b64encode(self.after).decode("ascii"),
        }

    def values(self, which: str) -> np.ndarray:
        y0, x0, y1, x1 = self.box
        return tiling.decode(getattr(self, which), (y1 - y0, x1 - x0), np.int32)


def _sorted_cells(info: ValueInfo | None) -> list[int]:
    if info is None:
        return []
    return list(info.cells) if len(info.cells) == 1 else sorted(info.cells)


def _info_to_json(info: ValueInfo | None) -> list | None:
    if info is None:
        return None
    return [_sorted_cells(info), info.area, info.box]


def _info_from_json(item: list | None) -> ValueInfo | None:
    if item is None:
        return None
    return ValueInfo(frozenset(item[0]), item[1], tuple(item[2]))


@dataclass
class Relabel:
    """Values of one frame, each encoding one cell, that were given another cell: three arrays
    of the same length (int64)."""

    values: np.ndarray
    before: np.ndarray
    after: np.ndarray

    def inverse(self) -> Relabel:
        return Relabel(self.values, self.after, self.before)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.values, self.before, self.after

    def triples(self) -> zip:
        """(value, cell before, cell after) of each value, as Python ints."""
        return zip(*(column.tolist() for column in self.columns()), strict=True)

    def __len__(self) -> int:
        return int(self.values.size)


def _as_int64(items) -> np.ndarray:
    return np.asarray(items, dtype=np.int64).reshape(-1)


@dataclass
class ChangeSet:
    patches: list[Patch] = field(default_factory=list)
    # (feature, frame, value) -> (before, after); None means the value is absent
    cells: dict[tuple[int, int, int], tuple[ValueInfo | None, ValueInfo | None]] = field(
        default_factory=dict
    )
    # name -> (before, after) for project lists: divisions, cell_types, next_cell, and the
    # label layers (features, feature_names) a segmentation into a new layer adds
    lists: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    # (feature, frame) -> the values of one cell each given another cell
    relabels: dict[tuple[int, int], Relabel] = field(default_factory=dict)

    def add_patch(
        self, feature: int, frame: int, box: tiling.Box, before: np.ndarray, after: np.ndarray
    ) -> None:
        self.patches.append(Patch(feature, frame, box, tiling.encode(before), tiling.encode(after)))

    def set_cell(
        self, key: tuple[int, int, int], before: ValueInfo | None, after: ValueInfo | None
    ) -> None:
        if key in self.cells:
            before = self.cells[key][0]
        self.cells[key] = (before, after)

    def add_relabel(self, feature: int, frame: int, values, before, after) -> None:
        """Record that each of ``values`` (of one cell each) went from cell ``before`` to cell
        ``after``; a value relabelled twice in one edit keeps its first ``before``. A value
        whose rows this edit writes gets its new cell in them too, so the rows end at the
        edit's cells even when its relabellings add up to none."""
        new = Relabel(_as_int64(values), _as_int64(before), _as_int64(after))
        for v, _, a in new.triples() if self.cells else ():
            written = self.cells.get((feature, frame, v))
            if written is not None and written[1] is not None:
                info = written[1]
                self.cells[feature, frame, v] = (
                    written[0],
                    ValueInfo(frozenset((a,)), info.area, info.box),
                )
        old = self.relabels.get((feature, frame))
        if old is not None:
            merged = {v: (b, a) for v, b, a in old.triples()}
            for v, b, a in new.triples():
                merged[v] = (merged.get(v, (b, a))[0], a)
            kept = [(v, b, a) for v, (b, a) in merged.items() if b != a]
            new = Relabel(*(_as_int64([row[n] for row in kept]) for n in range(3)))
        if not len(new):
            self.relabels.pop((feature, frame), None)
        else:
            self.relabels[feature, frame] = new

    @property
    def relabelled(self) -> int:
        """How many values the edit's relabellings changed."""
        return sum(len(r) for r in self.relabels.values())

    def set_list(self, name: str, before: Any, after: Any) -> None:
        if name in self.lists:
            before = self.lists[name][0]
        if before != after:
            self.lists[name] = (before, after)
        else:
            self.lists.pop(name, None)

    @property
    def touched(self) -> list[list[int]]:
        pairs = {(p.feature, p.frame) for p in self.patches} | {(k[0], k[1]) for k in self.cells}
        pairs |= set(self.relabels)
        return [list(pair) for pair in sorted(pairs)]

    def inverse(self) -> ChangeSet:
        return ChangeSet(
            patches=[
                Patch(p.feature, p.frame, p.box, p.after, p.before) for p in reversed(self.patches)
            ],
            cells={key: (after, before) for key, (before, after) in self.cells.items()},
            lists={name: (after, before) for name, (before, after) in self.lists.items()},
            relabels={key: relabel.inverse() for key, relabel in self.relabels.items()},
        )

    def describe(self) -> dict:
        """The browser's view: new patch values, changed value meanings, new lists."""
        cells = [
            {
                "c": feature,
                "t": frame,
                "value": value,
                "cells": _sorted_cells(after),
            }
            for (feature, frame, value), (before, after) in sorted(self.cells.items())
            if (before.cells if before else None) != (after.cells if after else None)
        ]
        # A relabelling as two arrays per frame: value i now encodes cell i alone (applied
        # after `cells`, as a load replays a record). Tens of thousands of values answer in a
        # fraction of the time one entry each would take.
        relabels = [
            {
                "c": feature,
                "t": frame,
                "values": relabel.values.tolist(),
                "cells": relabel.after.tolist(),
            }
            for (feature, frame), relabel in sorted(self.relabels.items())
        ]
        return {
            "patches": [patch.describe() for patch in self.patches],
            "cells": cells,
            "relabels": relabels,
            "divisions": self.lists["divisions"][1] if "divisions" in self.lists else None,
            "cellTypes": self.lists["cell_types"][1] if "cell_types" in self.lists else None,
            "channelNames": (
                self.lists["channel_names"][1] if "channel_names" in self.lists else None
            ),
            "markers": self.lists["markers"][1] if "markers" in self.lists else None,
            "featureNames": (
                self.lists["feature_names"][1] if "feature_names" in self.lists else None
            ),
        }

    def encode(self) -> bytes:
        blobs: list[bytes] = []
        patches = []
        for patch in self.patches:
            patches.append(
                [patch.feature, patch.frame, list(patch.box), len(patch.before), len(patch.after)]
            )
            blobs += [patch.before, patch.after]
        relabels = []
        for (feature, frame), relabel in self.relabels.items():
            relabels.append([feature, frame, len(relabel)])
            blobs += [column.astype("<i8").tobytes() for column in relabel.columns()]
        header = json.dumps(
            {
                "patches": patches,
                "cells": [
                    [list(key), _info_to_json(before), _info_to_json(after)]
                    for key, (before, after) in self.cells.items()
                ],
                "lists": {name: list(pair) for name, pair in self.lists.items()},
                "relabels": relabels,
            },
            separators=(",", ":"),
        ).encode()
        return struct.pack("<I", len(header)) + header + b"".join(blobs)

    @classmethod
    def decode(cls, data: bytes) -> ChangeSet:
        (length,) = struct.unpack_from("<I", data)
        header = json.loads(data[4 : 4 + length])
        offset = 4 + length
        patches = []
        for feature, frame, box, before_length, after_length in header["patches"]:
            before = data[offset : offset + before_length]
            offset += before_length
            after = data[offset : offset + after_length]
            offset += after_length
            patches.append(Patch(feature, frame, tuple(box), before, after))
        relabels = {}
        for feature, frame, count in header.get("relabels", ()):
            columns = []
            for _ in range(3):
                columns.append(np.frombuffer(data, "<i8", count, offset).astype(np.int64))
                offset += 8 * count
            relabels[feature, frame] = Relabel(*columns)
        return cls(
            patches=patches,
            cells={
                tuple(key): (_info_from_json(before), _info_from_json(after))
                for key, before, after in header["cells"]
            },
            lists={name: tuple(pair) for name, pair in header["lists"].items()},
            relabels=relabels,
        )
