"""Readers and writers of the files DeepCell Label accepts and exports (see docs/FORMATS.md).

Pure Python and NumPy: no Flask, no database.
"""

from deepcell_label.formats.cells import Renumbering, normalize_labels
from deepcell_label.formats.ctc import write_ctc
from deepcell_label.formats.data import ProjectData
from deepcell_label.formats.readers import read_images, read_labels
from deepcell_label.formats.trk import write_trk
from deepcell_label.formats.writers import write_npz, write_project_zip

__all__ = [
    "ProjectData",
    "Renumbering",
    "normalize_labels",
    "read_images",
    "read_labels",
    "write_ctc",
    "write_npz",
    "write_project_zip",
    "write_trk",
]
