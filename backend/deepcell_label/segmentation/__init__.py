"""Proposing cells where none are drawn: segmenters on numpy arrays, no Flask, no database.

Two are built in, `auto` (smoothing, local threshold, distance-transform watershed) and
`learned` (a random forest on multiscale pixel features, trained on the person's cells); more
come as plug-ins of the entry-point group ``deepcell_label.segmenters`` (see ``plugins.py``
and docs/SEGMENTATION.md).
"""

from deepcell_label.segmentation.base import Box, Proposal, Request, Segmenter
from deepcell_label.segmentation.frames import diameter_of_cells
from deepcell_label.segmentation.plugins import GROUP, describe, segmenter, segmenters

__all__ = [
    "GROUP",
    "Box",
    "Proposal",
    "Request",
    "Segmenter",
    "describe",
    "diameter_of_cells",
    "segmenter",
    "segmenters",
]
