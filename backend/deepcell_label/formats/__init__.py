"""Readers and writers of the files DeepCell Label accepts and exports (see docs/FORMATS.md).

Pure Python and NumPy: no Flask, no database.
"""

from deepcell_label.formats import streams
from deepcell_label.formats.cells import Renumbering, normalize_labels
from deepcell_label.formats.ctc import write_ctc, write_ctc_bands
from deepcell_label.formats.data import ProjectData
from deepcell_label.formats.readers import read_images, read_labels
from deepcell_label.formats.streams import ProjectBands, bands_of
from deepcell_label.formats.trk import write_trk, write_trk_bands
from deepcell_label.formats.writers import write_npz, write_npz_bands, write_project_zip

__all__ = [
    "ProjectBands",
    "ProjectData",
    "Renumbering",
    "bands_of",
    "normalize_labels",
    "read_images",
    "read_labels",
    "streams",
    "write_ctc",
    "write_ctc_bands",
    "write_npz",
    "write_npz_bands",
    "write_project_zip",
    "write_trk",
    "write_trk_bands",
]
