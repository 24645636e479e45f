"""Cells, divisions, cell types and spots: validation of what files hold, and
``normalize_labels``, which renumbers label values for export."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from typing import Any

import numpy as np

from deepcell_label.errors import InputFormatError

INT32_MAX = np.iinfo(np.int32).max


def _whole_number(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputFormatError(f"{what} is {value!r}; it must be a whole number.")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise InputFormatError(f"{what} is {value!r}; it must be a whole number.")
    number = int(value)
    if abs(number) > INT32_MAX:
        raise InputFormatError(f"{what} is {number}; it must be at most {INT32_MAX}.")
    return number


def parse_cells(
    content: Any, frames: int, features: int, notes: list[str] | None = None
) -> list[dict] | None:
    """Cells from cells.json as ``[{"value", "cell", "t", "c"}]``; None when it lists none.

    Accepted layouts: the current list of ``{"value", "cell", "t", "c"}`` (an entry without
    ``c`` applies to every feature, an entry without ``t`` to every frame); a dict
    ``{"cells": [...]}``; the older dict ``{value: cell or [cells]}`` for every frame and feature;
    ``{frame: {value: cell or [cells]}}`` for every feature; and the old per-feature layout
    ``{feature: {cell: {"label", "frames", ...}}}`` (:func:`is_per_feature`), whose conversion
    is added to ``notes``.
    """
    if isinstance(content, dict) and "cells" in content:
        content = content["cells"]
    if is_per_feature(content):
        content, count = _cells_per_feature(content)
        if count and notes is not None:
            notes.append(
                f"cells.json in the old per-feature layout: {count} "
                f"{'cell' if count == 1 else 'cells'} converted"
            )
    elif isinstance(content, dict):
        content = _cells_from_dict(content)
    if not isinstance(content, list):
        raise InputFormatError('cells.json must be a list of {"value", "cell", "t", "c"} entries.')
    cells = []
    for entry in content:
        if not isinstance(entry, dict) or "value" not in entry or "cell" not in entry:
            raise InputFormatError(
                f'cells.json has the entry {str(entry)[:80]}; each entry needs "value" and '
                '"cell" (and "t" for the frame, "c" for the feature).'
            )
        value = _whole_number(entry["value"], "A value in cells.json")
        cell = _whole_number(entry["cell"], "A cell in cells.json")
        if value <= 0 or cell <= 0:
            raise InputFormatError(
                f"cells.json maps value {value} to cell {cell}; both must be positive "
                "(0 is background)."
            )
        times = _indices(entry, "t", frames, "frame")
        for c in _indices(entry, "c", features, "feature"):
            cells.extend({"value": value, "cell": cell, "t": t, "c": c} for t in times)
    return cells or None


def _indices(entry: dict, key: str, count: int, name: str) -> range | list[int]:
    if key not in entry:
        return range(count)
    index = _whole_number(entry[key], f"The {name} '{key}' in cells.json")
    if not 0 <= index < count:
        raise InputFormatError(
            f"cells.json names {name} {index} but the labels have {count} {name}s "
            f"(0 to {count - 1})."
        )
    return [index]


def is_per_feature(content: Any) -> bool:
    """Whether cells.json has the layout of older versions, ``{feature: {cell: track}}`` where a
    track is ``{"label", "frames"}`` and perhaps lineage (``daughters``, ``parent``,
    ``frame_div``, ``capped``), e.g. ``{"0": {"23": {"label": 23, "frames": [0, 1]}}}``;
    ``{"0": {}}`` is that layout without cells."""
    if not isinstance(content, dict) or not content:
        return False
    inner = [item for item in content.values() if isinstance(item, dict)]
    if len(inner) != len(content):
        return False
    tracks = [track for item in inner for track in item.values()]
    return all(isinstance(track, dict) for track in tracks) and (
        bool(tracks) or all(_is_number_text(key) for key in content)
    )


def _is_number_text(key: Any) -> bool:
    return isinstance(key, str) and key.strip().isdigit()


def _cells_per_feature(content: dict) -> tuple[list[dict], int]:
    """The entries of the old per-feature layout: the track's ``label`` (the pixel value,
    else the cell's key) encodes the cell of the key in each of its ``frames``."""
    entries, count = [], 0
    for feature_key, tracks in content.items():
        feature = _number(feature_key, "A feature in cells.json")
        for cell_key, track in tracks.items():
            cell = _number(cell_key, "A cell in cells.json")
            value = _number(track.get("label", cell_key), f"The label of cell {cell} in cells.json")
            frames = track.get("frames")
            frames = [] if frames is None else frames
            if not isinstance(frames, list):
                raise InputFormatError(
                    f'cells.json gives cell {cell} the frames {str(frames)[:40]}; "frames" must '
                    "be a list of frame numbers."
                )
            count += 1
            entries += [
                {
                    "value": value,
                    "cell": cell,
                    "c": feature,
                    "t": _number(t, "A frame in cells.json"),
                }
                for t in frames
            ]
    return entries, count


def lineage_of_cells(content: Any) -> dict | None:
    """The lineage carried by cells.json in the old per-feature layout (its tracks'
    ``daughters``), merged over the features; None when it has none."""
    if isinstance(content, dict) and "cells" in content:
        content = content["cells"]
    if not is_per_feature(content):
        return None
    tracks = {key: track for item in content.values() for key, track in item.items()}
    if not any(track.get("daughters") for track in tracks.values()):
        return None
    return tracks


def _number(value: Any, what: str) -> int:
    """A whole number written as a number or as text (older files write ids as text)."""
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise InputFormatError(
                f"{what} is {value[:40]!r}; it must be a whole number."
            ) from None
    return _whole_number(value, what)


def _cells_from_dict(content: dict) -> list[dict]:
    entries = []
    for key, item in content.items():
        if isinstance(item, dict):
            if any(isinstance(cells, dict) for cells in item.values()):
                raise InputFormatError(
                    f"cells.json gives {str(key)[:20]!r} tracks of cells, as the older layout "
                    '{feature: {cell: {"label", "frames"}}} does, but not every feature; use that '
                    'layout throughout, or the list of {"value", "cell", "t", "c"} entries.'
                )
            frame = _whole_number(_number_key(key), "A frame in cells.json")
            entries += [
                {"value": _number_key(value), "cell": cell, "t": frame}
                for value, cells in item.items()
                for cell in _as_list(cells)
            ]
        else:
            entries += [{"value": _number_key(key), "cell": cell} for cell in _as_list(item)]
    return entries


def _number_key(key: Any) -> Any:
    try:
        return int(key)
    except (TypeError, ValueError):
        raise InputFormatError(
            f"cells.json has the key {str(key)[:40]!r} where a number was expected."
        ) from None


def _as_list(item: Any) -> list:
    return item if isinstance(item, list) else [item]


def parse_divisions(content: Any) -> list[dict]:
    """Divisions as ``[{"parent", "daughters", "t"}]`` from divisions.json."""
    if not isinstance(content, list):
        raise InputFormatError(
            'divisions.json must be a list of {"parent", "daughters", "t"} entries.'
        )
    divisions = []
    for entry in content:
        if not isinstance(entry, dict) or not {"parent", "daughters", "t"} <= entry.keys():
            raise InputFormatError(
                f'divisions.json has the entry {str(entry)[:80]}; each entry needs "parent", '
                '"daughters" and "t" (the first frame of the daughters).'
            )
        if not isinstance(entry["daughters"], list):
            raise InputFormatError('In divisions.json, "daughters" must be a list of cells.')
        divisions.append(
            {
                "parent": _whole_number(entry["parent"], "A parent in divisions.json"),
                "daughters": [
                    _whole_number(d, "A daughter in divisions.json") for d in entry["daughters"]
                ],
                "t": _whole_number(entry["t"], "A division frame in divisions.json"),
            }
        )
        # The label feature whose cells it names; absent (as in older files) means 0.
        feature = _whole_number(entry.get("feature", 0), "A division's feature in divisions.json")
        if feature:
            divisions[-1]["feature"] = feature
    return divisions


def lineage_to_divisions(lineage: Any) -> list[dict]:
    """Divisions from a deepcell-tracking lineage ``{cell: {frames, daughters, parent,
    frame_div}}`` (``divisionFrame`` in some versions; also nested per feature,
    ``{feature: {cell: ...}}``, merged).

    A division's ``t`` is the first frame in which a daughter appears; when the daughters'
    frames are unknown, ``frame_div``; failing that, the frame after the parent's last.
    """
    if is_per_feature(lineage) and not any(_is_track(item) for item in lineage.values()):
        lineage = {key: track for item in lineage.values() for key, track in item.items()}
    if not isinstance(lineage, dict):
        raise InputFormatError(
            'lineage.json must map each cell to {"frames", "daughters", "parent", "frame_div"}.'
        )
    tracks: dict[int, dict] = {}
    for key, track in lineage.items():
        cell = _number(key, "A cell in lineage.json")
        if not isinstance(track, dict):
            raise InputFormatError(f"lineage.json has {str(track)[:60]} for cell {key}.")
        tracks[cell] = track
    divisions = []
    for cell in sorted(tracks):
        track = tracks[cell]
        daughters = track.get("daughters") or []
        if not isinstance(daughters, list):
            raise InputFormatError(
                f"lineage.json gives cell {cell} the daughters {str(daughters)[:40]}; "
                '"daughters" must be a list of cells.'
            )
        daughters = [_number(d, "A daughter in lineage.json") for d in daughters]
        if not daughters:
            continue
        first_frames = [min(frames) for d in daughters if (frames := _track_frames(tracks.get(d)))]
        division_frame = track.get("frame_div", track.get("divisionFrame"))
        if first_frames:
            frame = min(first_frames)
        elif division_frame is not None:
            frame = _number(division_frame, "A division frame in lineage.json")
        else:
            frame = max(_track_frames(track) or [-1]) + 1
        divisions.append({"parent": cell, "daughters": daughters, "t": frame})
    return divisions


def _is_track(item: Any) -> bool:
    return isinstance(item, dict) and bool({"frames", "daughters", "label"} & item.keys())


def _track_frames(track: Any) -> list[int]:
    frames = track.get("frames") if isinstance(track, dict) else None
    if not isinstance(frames, list):
        return []
    return [_number(t, "A frame in lineage.json") for t in frames]


def parse_cell_types(content: Any) -> list[dict]:
    if not isinstance(content, list) or not all(isinstance(item, dict) for item in content):
        raise InputFormatError(
            'cellTypes.json must be a list of {"id", "name", "color", "cells", "feature"} entries.'
        )
    return content


def parse_channel_names(content: Any) -> list[str] | None:
    if isinstance(content, list) and all(isinstance(name, str) for name in content):
        return content
    raise InputFormatError("channels.json must be a list of channel names.")


def parse_spots(text: str) -> tuple[list[str], list[list[float]]]:
    """Spots from spots.csv: a header (``x,y,...``) and one row of numbers per spot."""
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if not rows:
        return [], []
    columns = [name.strip() for name in rows[0]]
    if len(columns) < 2 or columns[0].lower() != "x" or columns[1].lower() != "y":
        raise InputFormatError(
            f"spots.csv starts with the header {','.join(columns)[:80]}; it must start with "
            "'x,y' followed by any other columns."
        )
    spots = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(columns):
            raise InputFormatError(
                f"Line {number} of spots.csv has {len(row)} values but the header names "
                f"{len(columns)} columns."
            )
        try:
            spots.append([float(value) for value in row])
        except ValueError:
            raise InputFormatError(
                f"Line {number} of spots.csv holds {','.join(row)[:80]!r}; spots must be numbers."
            ) from None
    return columns, spots


def format_spots(columns: list[str], spots: list[list[float]]) -> str:
    lines = [",".join(columns)]
    lines += [",".join(_format_number(value) for value in spot) for spot in spots]
    return "\n".join(lines) + "\n"


def _format_number(value: float) -> str:
    # The shortest text that reads back as the same float; whole numbers without ".0".
    value = float(value)
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def normalize_labels(labels: np.ndarray, cells: list[dict] | None) -> tuple[np.ndarray, list[dict]]:
    """Renumber label values so that each value says plainly which cells it encodes.

    Per feature: a value encoding one cell becomes that cell's id; a value encoding several
    cells gets an id above every cell id of the feature (the same set of cells gets the same
    id in every frame, ids given in the order of the sorted sets); values with no pixels are
    dropped from the cells. A value present in a frame without any entry in ``cells`` encodes
    the cell of the same number. Returns new int32 labels (frames, height, width, features)
    and the cells ``[{"value", "cell", "t", "c"}]`` sorted by feature, frame, value and cell.
    """
    labels = np.asarray(labels)
    if labels.ndim != 4:
        raise InputFormatError(
            f"Labels must have 4 dimensions (frames, height, width, features), not {labels.shape}."
        )
    frames, _, _, features = labels.shape
    values = {(t, c): np.unique(labels[t, :, :, c]) for c in range(features) for t in range(frames)}
    renumbering = Renumbering(values, cells)
    out = np.empty(labels.shape, dtype=np.int32)
    for (t, c), _ in values.items():
        out[t, :, :, c] = renumbering.apply(t, c, labels[t, :, :, c])
    return out, renumbering.cells


class Renumbering:
    """How :func:`normalize_labels` renumbers the values of every frame and feature, known from
    the values present in each (``values[t, c]``, sorted, 0 allowed) and ``cells``; applied
    to whole frames or to any part of one (a tile)."""

    def __init__(self, values: dict[tuple[int, int], np.ndarray], cells: list[dict] | None) -> None:
        encoded: dict[tuple[int, int], dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        for entry in cells or []:
            encoded[entry["t"], entry["c"]][int(entry["value"])].add(int(entry["cell"]))
        self.values = {key: np.asarray(found) for key, found in values.items()}
        self.lookups: dict[tuple[int, int], np.ndarray] = {}
        self.cells: list[dict] = []
        for c in sorted({c for _, c in values}):
            frames = sorted(t for t, feature in values if feature == c)
            cell_sets = {
                t: [
                    frozenset(encoded[t, c].get(int(v)) or {int(v)})
                    for v in self.values[t, c]
                    if v != 0
                ]
                for t in frames
            }
            new_value = _new_values({s for sets in cell_sets.values() for s in sets})
            for t in frames:
                found = self.values[t, c]
                lookup = np.zeros(len(found), dtype=np.int32)
                lookup[found != 0] = [new_value[s] for s in cell_sets[t]]
                self.lookups[t, c] = lookup
                self.cells += [
                    {"value": new_value[s], "cell": cell, "t": t, "c": c}
                    for s in sorted(cell_sets[t], key=lambda s: new_value[s])
                    for cell in sorted(s)
                ]

    def unchanged(self, t: int, c: int) -> bool:
        """Whether frame ``t`` of feature ``c`` keeps its values as they are."""
        return np.array_equal(self.lookups[t, c], self.values[t, c])

    def apply(self, t: int, c: int, pixels: np.ndarray) -> np.ndarray:
        """The renumbered pixels of (part of) frame ``t`` of feature ``c``, as int32.

        Raises ValueError for a value that ``values[t, c]`` does not list (it would be
        renumbered as another value)."""
        if self.unchanged(t, c):
            return np.asarray(pixels, dtype=np.int32)
        values = self.values[t, c]
        index = np.minimum(np.searchsorted(values, pixels), len(values) - 1)
        if not np.array_equal(values[index], pixels):
            raise ValueError(f"frame {t} of feature {c} holds label values it does not list")
        return self.lookups[t, c][index]


def _new_values(cell_sets: set[frozenset[int]]) -> dict[frozenset[int], int]:
    single = [s for s in cell_sets if len(s) == 1]
    several = sorted((s for s in cell_sets if len(s) > 1), key=lambda s: sorted(s))
    new_value = {s: next(iter(s)) for s in single}
    top = max((cell for s in cell_sets for cell in s), default=0)
    if top + len(several) > INT32_MAX:
        raise InputFormatError(
            f"Cell ids reach {top}; there is no room above them for {len(several)} values of "
            "overlapping cells. Renumber the cells."
        )
    new_value.update({s: top + 1 + i for i, s in enumerate(several)})
    return new_value
