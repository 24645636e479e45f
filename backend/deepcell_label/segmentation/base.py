"""What every segmenter is: the request it gets, the proposal it returns, and the interface a
plug-in implements (the built-in `auto` and `learned` implement it too)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

Box = tuple[int, int, int, int]
"""A region of a frame as ``(x1, y1, x2, y2)`` in pixels, ends excluded."""


@dataclass
class Request:
    """What a segmenter is asked to do on one frame.

    Attributes
    ----------
    diameter : float or None
        The typical cell diameter in pixels; None lets the segmenter measure it.
    labels : ndarray of int or None
        The person's labels of the frame (0 is background), for segmenters that learn.
    box : (x1, y1, x2, y2) or None
        Where the person drew every cell, for segmenters that learn.
    example : ndarray or None
        The frame `labels` and `box` belong to, when it is not the frame segmented (a stack
        segmented from the cells drawn on one of its frames); None: the frame segmented.
    seed : int
        Seeds every random choice: the same request gives the same proposal.
    progress : callable or None
        Called with a fraction between 0 and 1 as the work goes on.
    """

    diameter: float | None = None
    labels: np.ndarray | None = None
    box: Box | None = None
    example: np.ndarray | None = field(default=None, repr=False)
    seed: int = 0
    progress: Callable[[float], None] | None = field(default=None, repr=False)

    def report(self, fraction: float) -> None:
        if self.progress is not None:
            self.progress(min(max(float(fraction), 0.0), 1.0))


@dataclass
class Proposal:
    """Cells proposed for one frame.

    Attributes
    ----------
    labels : ndarray of int32
        The proposed cells, numbered 1..n (0 is background).
    confidence : dict of int to float
        For each proposed cell, how sure the segmenter is, between 0 and 1.
    diameter : float
        The cell diameter the segmenter used, in pixels.
    """

    labels: np.ndarray
    confidence: dict[int, float]
    diameter: float


@runtime_checkable
class Segmenter(Protocol):
    """The interface of a segmenter plug-in.

    Attributes
    ----------
    name : str
        The method's name in requests (``"auto"``, ``"learned"``, ``"cellpose"``).
    description : str
        One line shown to the person choosing a method.
    learns : bool
        True when the segmenter needs the person's cells (``Request.labels`` and ``box``).
    """

    name: str
    description: str
    learns: bool

    def segment(self, image: np.ndarray, request: Request) -> Proposal:
        """Propose the cells of one 2-D frame of one channel (any numeric dtype)."""
        ...
