"""The Cell Tracking Challenge (CTC) format: a track file plus one 16-bit mask per frame.

A track file (``man_track.txt`` for ground truth, ``res_track.txt`` for results) has one line
``L B E P`` per track: label ``L`` is present in every frame from ``B`` to ``E`` (inclusive)
and its parent track is ``P`` (0 for none). Masks are ``man_trackNNN.tif`` (next to
``man_track.txt``) or ``maskNNN.tif`` (next to ``res_track.txt``), raw frames ``tNNN.tif``;
``NNN`` is the frame number, three digits, or four for sequences of more than 1000 frames.

Import (``read_ctc``) gives labels with value == cell and divisions from the lineage; export
(``write_ctc``) is described in its docstring and in docs/FORMATS.md.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import tifffile

from deepcell_label.errors import DeepCellLabelError, InputFormatError
from deepcell_label.formats import axes as axes_rules
from deepcell_label.formats.arrays import label_dtype
from deepcell_label.formats.data import ProjectData
from deepcell_label.formats.limits import Limits
from deepcell_label.formats.streams import ProjectBands, bands_of
from deepcell_label.formats.tiff import read_tiff
from deepcell_label.formats.writers import SPOOL_BYTES
from deepcell_label.formats.writers import _add as add_entry
from deepcell_label.formats.writers import _add_file as add_file

TRACK_FILES = {"man_track.txt": "man_track", "res_track.txt": "mask"}
MASK_PREFIXES = ("man_track", "mask")
FRAME_FILE = re.compile(r"^(man_track|mask|t)(\d+)\.tiff?$", re.IGNORECASE)
UINT16_MAX = 65535
INT32_MAX = 2**31 - 1
TIFF_HEADS = (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")
MAX_TRACK_LINES = 1_000_000


@dataclass
class Track:
    """One line ``L B E P`` of a track file (B and E as frame numbers of the file names)."""

    label: int
    begin: int
    end: int
    parent: int
    line: int = 0


@dataclass
class CtcContent:
    """What a CTC zip holds: raw (frames, height, width, channels) or None when the zip has
    no ``tNNN.tif`` frames, int32 labels (frames, height, width, 1) and the divisions."""

    raw: np.ndarray | None
    labels: np.ndarray
    divisions: list[dict] = field(default_factory=list)


# --- import ---------------------------------------------------------------------------------


def find_track_file(relative_names: Iterable[str]) -> str | None:
    """The relative name of the zip's track file; None when the zip is not a CTC zip.

    A zip holding several track files (e.g. ground truth and results, or two sequences) is
    refused: which one to read would be a guess.
    """
    found = sorted(name for name in relative_names if _base(name).lower() in TRACK_FILES)
    if len(found) > 1:
        raise InputFormatError(
            f"The zip holds several Cell Tracking Challenge track files ({', '.join(found[:4])}); "
            "zip one sequence with one man_track.txt or res_track.txt."
        )
    return found[0] if found else None


def read_ctc(
    read: Callable[[str], bytes], relative_names: Iterable[str], track_name: str, limits: Limits
) -> CtcContent:
    """Read a CTC sequence from an archive.

    ``read(relative_name) -> bytes`` reads a member; ``relative_names`` are the members'
    names; ``track_name`` is the track file (from ``find_track_file``). Masks are taken from
    the track file's folder, raw ``tNNN.tif`` frames from the same folder, else from the only
    folder that has them, else from the folder named after the sequence (``01`` for
    ``01_GT/TRA/``). Raises ``InputFormatError`` for malformed or inconsistent files.
    """
    masks, raw_files = sequence_files(relative_names, track_name)
    first = min(masks)
    labels = _read_frames(read, masks, limits, mask=True)
    tracks = parse_tracks(_text(read(track_name), track_name), _base(track_name))
    check_tracks(
        tracks, [present_values(frame) for frame in labels[..., 0]], first, _base(track_name)
    )
    raw = None
    if raw_files:
        raw = _read_frames(read, raw_files, limits, mask=False)
        if raw.shape[1:3] != labels.shape[1:3]:
            raise InputFormatError(
                f"The raw frames are {raw.shape[2]} x {raw.shape[1]} pixels but the masks are "
                f"{labels.shape[2]} x {labels.shape[1]}; they must be of the same size."
            )
    return CtcContent(raw, labels, tracks_to_divisions(tracks, first))


def sequence_files(
    relative_names: Iterable[str], track_name: str
) -> tuple[dict[int, str], dict[int, str]]:
    """The masks and the raw frames (perhaps none) of the sequence of ``track_name``, each by
    frame number; see :func:`read_ctc` for where they are looked for."""
    names = list(relative_names)
    folder = _folder(track_name)
    masks = _frame_files(names, folder, TRACK_FILES[_base(track_name).lower()])
    if not masks:
        other = [p for p in MASK_PREFIXES if p != TRACK_FILES[_base(track_name).lower()]]
        masks = _frame_files(names, folder, other[0])
    if not masks:
        raise InputFormatError(
            f"The zip holds the Cell Tracking Challenge track file '{track_name}' but no masks "
            "next to it (man_trackNNN.tif or maskNNN.tif)."
        )
    numbers = sorted(masks)
    first, last = numbers[0], numbers[-1]
    missing = sorted(set(range(first, last + 1)) - set(numbers))
    if missing:
        raise InputFormatError(
            f"The Cell Tracking Challenge masks skip frame {missing[0]}: there are masks for "
            f"frames {first} to {last} but none for {', '.join(map(str, missing[:5]))}."
        )
    raw_files = _raw_frame_files(names, folder)
    if raw_files and sorted(raw_files) != numbers:
        raise InputFormatError(
            f"The raw frames tNNN.tif in the zip are frames {_span(sorted(raw_files))} but "
            f"the masks are frames {_span(numbers)}; they must be the same frames."
        )
    return masks, raw_files


def parse_tracks(text: str, what: str = "man_track.txt") -> list[Track]:
    """The lines ``L B E P`` of a track file; blank lines are skipped.

    Refuses lines without exactly four whole numbers, labels that are not positive or
    repeat, ``E`` before ``B``, a track that is its own parent, a parent that is not a track
    and a parent that does not end before its daughter begins.
    """
    tracks: dict[int, Track] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(tracks) >= MAX_TRACK_LINES:
            raise InputFormatError(f"{what} has more than {MAX_TRACK_LINES:,} tracks.")
        if len(fields) != 4:
            raise InputFormatError(
                f"Line {number} of {what} has {len(fields)} columns ({line.strip()[:60]!r}); "
                "each line must be 'L B E P': label, first frame, last frame, parent (0 for none)."
            )
        try:
            label, begin, end, parent = (int(value) for value in fields)
        except ValueError:
            raise InputFormatError(
                f"Line {number} of {what} holds {line.strip()[:60]!r}; the columns L B E P "
                "must be whole numbers."
            ) from None
        if label <= 0 or begin < 0 or parent < 0 or label > INT32_MAX:
            raise InputFormatError(
                f"Line {number} of {what} ({line.strip()[:60]!r}): the label must be positive "
                "and the frames and parent must not be negative."
            )
        if end < begin:
            raise InputFormatError(
                f"Line {number} of {what}: track {label} ends (frame {end}) before it begins "
                f"(frame {begin})."
            )
        if label in tracks:
            raise InputFormatError(
                f"Line {number} of {what} repeats track {label} (first on line "
                f"{tracks[label].line}); each label has one line."
            )
        if parent == label:
            raise InputFormatError(f"Line {number} of {what}: track {label} is its own parent.")
        tracks[label] = Track(label, begin, end, parent, number)
    for track in tracks.values():
        if track.parent == 0:
            continue
        parent = tracks.get(track.parent)
        if parent is None:
            raise InputFormatError(
                f"Line {track.line} of {what}: the parent {track.parent} of track {track.label} "
                "has no line of its own."
            )
        if parent.end >= track.begin:
            raise InputFormatError(
                f"Line {track.line} of {what}: track {track.label} begins in frame {track.begin} "
                f"but its parent {parent.label} lasts until frame {parent.end}; a parent must "
                "end before its daughters begin."
            )
    return sorted(tracks.values(), key=lambda track: track.label)


def check_tracks(tracks: list[Track], present: list[np.ndarray], first: int, what: str) -> None:
    """Check the tracks against the masks, known by the sorted values present in each frame
    (``present[0]`` is frame ``first`` of the file names).

    Each track must lie within the masks' frames, its label must be present in every frame
    from B to E and nowhere else. Labels with no line in the track file are accepted (cells
    without lineage).
    """
    frames = len(present)
    last = first + frames - 1
    for track in tracks:
        if track.begin < first or track.end > last:
            raise InputFormatError(
                f"Line {track.line} of {what}: track {track.label} spans frames {track.begin} "
                f"to {track.end}, outside the masks' frames {first} to {last}."
            )
    if not tracks:
        return
    listed = np.array([track.label for track in tracks], dtype=np.int64)
    begins = np.array([track.begin - first for track in tracks])
    ends = np.array([track.end - first for track in tracks])
    for t, values in enumerate(present):
        active = (begins <= t) & (ends >= t)
        absent = listed[active & ~np.isin(listed, values)]
        if absent.size:
            track = tracks[int(np.flatnonzero(listed == absent[0])[0])]
            raise InputFormatError(
                f"Line {track.line} of {what} says track {track.label} is present in frames "
                f"{track.begin} to {track.end}, but frame {t + first} has no pixel of label "
                f"{track.label}."
            )
        outside = np.isin(values, listed[~active])
        if outside.any():
            label = int(values[outside][0])
            track = tracks[int(np.flatnonzero(listed == label)[0])]
            raise InputFormatError(
                f"Label {label} is in frame {t + first}, but line {track.line} of {what} says "
                f"track {label} spans frames {track.begin} to {track.end} only."
            )


def tracks_to_divisions(tracks: list[Track], first: int = 0) -> list[dict]:
    """Divisions from the lineage: the tracks with parent P that begin in the same frame are
    the daughters of one division of P, with ``t`` that frame (counted from ``first``).

    A parent with one daughter (a cell that leaves and comes back, or a division whose
    sister is missing) is kept as a single-daughter division.
    """
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for track in tracks:
        if track.parent:
            groups[track.parent, track.begin - first].append(track.label)
    return [
        {"parent": parent, "daughters": sorted(daughters), "t": t}
        for (parent, t), daughters in sorted(groups.items())
    ]


def _base(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _folder(name: str) -> str:
    return name.rsplit("/", 1)[0] if "/" in name else ""


def _frame_files(names: list[str], folder: str, prefix: str) -> dict[int, str]:
    """The ``<prefix>NNN.tif`` files of ``folder``, by frame number."""
    found: dict[int, str] = {}
    for name in names:
        match = FRAME_FILE.match(_base(name))
        if _folder(name) == folder and match and match.group(1).lower() == prefix:
            number = int(match.group(2))
            if number in found:
                raise InputFormatError(
                    f"The zip holds two files for frame {number}: '{found[number]}' and '{name}'."
                )
            found[number] = name
    return found


def _raw_frame_files(names: list[str], folder: str) -> dict[int, str]:
    folders = sorted(
        {_folder(n) for n in names if (m := FRAME_FILE.match(_base(n))) and m[1].lower() == "t"}
    )
    if not folders:
        return {}
    sequence = folder.split("/", 1)[0].split("_", 1)[0]
    for candidate in (folder, *(folders if len(folders) == 1 else ()), sequence):
        if candidate in folders:
            return _frame_files(names, candidate, "t")
    raise InputFormatError(
        f"The zip holds raw frames tNNN.tif in several folders ({', '.join(folders[:4])}) and "
        f"none is the sequence of '{folder}'; zip one sequence."
    )


def _read_frames(
    read: Callable[[str], bytes], files: dict[int, str], limits: Limits, mask: bool
) -> np.ndarray:
    """Frames in number order as (frames, height, width, channels); masks as int32 with one
    channel."""
    frames = []
    for number in sorted(files):
        name = files[number]
        data = read(name)
        if data[:4] not in TIFF_HEADS:
            raise InputFormatError(f"'{name}' in the zip is not a TIFF file.")
        image = read_tiff(io.BytesIO(data), limits, f"'{name}' in the zip")
        array = axes_rules.to_standard(
            image.array, image.axes or axes_rules.guess_axes(image.array.shape)
        )
        if array.shape[0] != 1 or (mask and array.shape[3] != 1):
            raise InputFormatError(
                f"'{name}' holds an image of shape {image.array.shape}; each Cell Tracking "
                "Challenge frame must be one 2-D image (3-D sequences are not supported)."
            )
        if frames and array.shape[1:3] != frames[0].shape[1:3]:
            raise InputFormatError(
                f"'{name}' is {array.shape[2]} x {array.shape[1]} pixels but the first frame is "
                f"{frames[0].shape[2]} x {frames[0].shape[1]}; all frames must be of one size."
            )
        if not frames:
            limits.check_shape((len(files), *array.shape[1:]), "The sequence")
        frames.append(label_dtype(array, f"'{name}'") if mask else array)
    return np.concatenate(frames)


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFormatError(f"{what} is not a text file.") from None


def _span(numbers: list[int]) -> str:
    return f"{numbers[0]} to {numbers[-1]}" if numbers else "none"


# --- export ---------------------------------------------------------------------------------


def present_values(array: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a non-negative integer array (a bincount when the values
    are small, which is faster than sorting)."""
    top = int(array.max()) if array.size else 0
    if top <= 2 * array.size + 2**16:
        return np.flatnonzero(np.bincount(array.reshape(-1), minlength=1)).astype(array.dtype)
    return np.unique(array)


class CellsOfValues:
    """For each frame of one feature of a project, the cell each label value is given to, and
    the sorted cells present (``present[t]``).

    A value encoding several cells (overlapping cells) gives its pixels to the cell with the
    smallest id; a value without an entry in the project's cells for its frame is its own cell.
    """

    def __init__(self, project: ProjectBands, feature: int = 0) -> None:
        smallest: dict[int, dict[int, int]] = defaultdict(dict)
        for entry in project.cells or []:
            if entry["c"] == feature:
                known = smallest[entry["t"]]
                value, cell = int(entry["value"]), int(entry["cell"])
                known[value] = min(cell, known.get(value, cell))
        self.values: list[np.ndarray] = []
        self.lookups: list[np.ndarray] = []
        self.present: list[np.ndarray] = []
        for t in range(project.frames):
            values = np.asarray(project.values[t, feature])
            lookup = np.array(
                [smallest[t].get(int(v), int(v)) if v else 0 for v in values], np.int32
            )
            self.values.append(values)
            self.lookups.append(lookup)
            self.present.append(np.unique(lookup[lookup != 0]))

    def apply(self, t: int, pixels: np.ndarray, lookup: np.ndarray | None = None) -> np.ndarray:
        """The cells of (part of) frame ``t``'s label values, as int32; or, given ``lookup``
        (an entry per value of the frame), what it says for each pixel's value."""
        values = self.values[t]
        if lookup is None:
            lookup = self.lookups[t]
            if np.array_equal(values, lookup):
                return np.asarray(pixels, dtype=np.int32)
        return lookup[np.minimum(np.searchsorted(values, pixels), len(values) - 1)]


def cell_frames(present: list[np.ndarray]) -> dict[int, list[int]]:
    """For each cell, the sorted frames it is present in, from the cells of each frame."""
    frames: dict[int, list[int]] = defaultdict(list)
    for t, cells in enumerate(present):
        for cell in cells.tolist():
            frames[cell].append(t)
    return dict(frames)


def feature_divisions(divisions: list[dict], feature: int) -> list[dict]:
    """The divisions naming cells of ``feature`` (a division without one names feature 0)."""
    return [d for d in divisions if int(d.get("feature", 0)) == feature]


def write_ctc(data: ProjectData, fileobj: BinaryIO) -> None:
    """:func:`write_ctc_bands` of a project in memory."""
    write_ctc_bands(bands_of(data), fileobj)


def write_ctc_bands(project: ProjectBands, fileobj: BinaryIO) -> None:
    """Write the project as a CTC zip: ``man_track.txt``, ``man_trackNNN.tif`` (uint16 masks)
    and ``tNNN.tif`` (raw frames; one page per channel, dimension order CYX, pixel type as
    loaded), frame numbers of three digits, or four for more than 1000 frames.

    Every label feature is written, each with its own divisions: a project of one feature as
    above; with several, each feature's ``man_track.txt`` and masks in a folder
    ``feature_<n>/`` (the raw frames stay at the top). A track's label must be present in one unbroken
    range of frames: a cell absent from some frames becomes one track per stretch of frames,
    each later track a new label whose parent is the previous one. Divisions become parents:
    the first track of each daughter has as parent the parent's last track that ends before
    the daughter begins (a division whose parent has none is dropped). A value encoding
    several cells goes to the cell with the smallest id. Cells keep their ids when every
    track fits in 16 bits; otherwise tracks are numbered from 1 in the order of cell and
    frame. More than 65535 tracks cannot be written.

    Each TIFF is written by strips of ``project.band_rows`` rows as its bands are read, so only
    a band of one plane is held.
    """
    digits = 3 if project.frames <= 1000 else 4
    height, width = project.height, project.width
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for feature in range(project.features):
            folder = f"feature_{feature}/" if project.features > 1 else ""
            cells = CellsOfValues(project, feature)
            tracks, frame_labels = _tracks(
                cell_frames(cells.present), feature_divisions(project.divisions, feature)
            )
            lines = "".join(f"{t.label} {t.begin} {t.end} {t.parent}\n" for t in tracks)
            add_entry(archive, f"{folder}man_track.txt", lines.encode())
            for t in range(project.frames):
                # The track label of each value of the frame: one look-up per pixel.
                tracks_of_values = _relabel(cells.lookups[t], cells.present[t], frame_labels[t])
                strips = (
                    cells.apply(t, project.label_band(t, feature, y0, y1), tracks_of_values)
                    for y0, y1 in project.bands()
                )
                name = f"{folder}man_track{t:0{digits}d}.tif"
                _add_tiff(archive, name, (height, width), np.dtype(np.uint16), strips, project)
        for t in range(project.frames):
            channels = project.channels
            strips = (
                project.raw_band(t, c, y0, y1)
                for c in range(channels)
                for y0, y1 in project.bands()
            )
            shape = (height, width) if channels == 1 else (channels, height, width)
            _add_tiff(archive, f"t{t:0{digits}d}.tif", shape, project.dtype, strips, project)


def _tracks(
    frames_of: dict[int, list[int]], divisions: list[dict]
) -> tuple[list[Track], dict[int, dict[int, int]]]:
    """The tracks, and for each frame the track label of each cell."""
    stretches: dict[int, list[tuple[int, int]]] = {}
    for cell in sorted(frames_of):
        runs, start = [], None
        frames = frames_of[cell]
        for i, t in enumerate(frames):
            if start is None:
                start = t
            if i + 1 == len(frames) or frames[i + 1] != t + 1:
                runs.append((start, t))
                start = None
        stretches[cell] = runs
    count = sum(len(runs) for runs in stretches.values())
    if count > UINT16_MAX:
        raise DeepCellLabelError(
            f"The project has {count:,} tracks (cells, plus one more for each return of a cell "
            f"after a gap); the Cell Tracking Challenge format holds at most {UINT16_MAX:,}. "
            "Export a project zip instead."
        )
    top = max(stretches, default=0)
    keep_ids = top + count - len(stretches) <= UINT16_MAX
    labels: dict[tuple[int, int], int] = {}
    following = top if keep_ids else 0
    for cell, runs in stretches.items():
        for i, _ in enumerate(runs):
            if keep_ids and i == 0:
                labels[cell, 0] = cell
            else:
                following += 1
                labels[cell, i] = following
    parent_of = {}
    for division in divisions:
        for daughter in division["daughters"]:
            parent_of.setdefault(int(daughter), int(division["parent"]))
    tracks = []
    frame_labels: dict[int, dict[int, int]] = defaultdict(dict)
    for cell, runs in stretches.items():
        for i, (begin, end) in enumerate(runs):
            if i:
                parent = labels[cell, i - 1]
            else:
                parent = _parent_track(parent_of.get(cell), begin, stretches, labels)
            tracks.append(Track(labels[cell, i], begin, end, parent))
            for t in range(begin, end + 1):
                frame_labels[t][cell] = labels[cell, i]
    return sorted(tracks, key=lambda track: track.label), frame_labels


def _parent_track(
    parent: int | None,
    begin: int,
    stretches: dict[int, list[tuple[int, int]]],
    labels: dict[tuple[int, int], int],
) -> int:
    if parent is None or parent not in stretches:
        return 0
    before = [i for i, (_, end) in enumerate(stretches[parent]) if end < begin]
    return labels[parent, before[-1]] if before else 0


def _relabel(cells: np.ndarray, present: np.ndarray, labels: dict[int, int]) -> np.ndarray:
    """The frame's cells replaced by their track labels; ``present`` the sorted cells."""
    keys = np.concatenate([[0], present])
    lookup = np.array([0] + [labels[int(c)] for c in present], dtype=np.uint16)
    return lookup[np.searchsorted(keys, cells)]


def _add_tiff(
    archive: zipfile.ZipFile,
    name: str,
    shape: tuple[int, ...],
    dtype: np.dtype,
    strips: Iterator[np.ndarray],
    project: ProjectBands,
) -> None:
    """An uncompressed TIFF (one page, dimension order YX or CYX) written strip by strip into a
    temporary file (the TIFF writer goes back to fill in offsets), then deflated into the zip."""
    dtype = np.dtype(dtype)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as tiff:
        tifffile.imwrite(
            tifffile.FileHandle(tiff, name=name),  # a name tifffile wants and never uses
            data=(np.ascontiguousarray(strip, dtype).tobytes() for strip in strips),
            shape=shape,
            dtype=dtype,
            rowsperstrip=project.band_rows,
            photometric="minisblack",
            metadata={"axes": "YX" if len(shape) == 2 else "CYX"},
        )
        add_file(archive, name, tiff, zipfile.ZIP_DEFLATED)
