"""Finding the segmenters: every entry point of the group ``deepcell_label.segmenters`` names
one (``name = "package.module:attribute"``, the attribute a segmenter or a class making one).
The built-in `auto` and `learned` are declared there too (``pyproject.toml``); when the
application runs from a checkout that was never installed, they are added directly, so the
built-ins are always found and an installed plug-in may not take their names.
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.metadata import entry_points

from deepcell_label.errors import SegmentationError

from .auto import Auto
from .base import Segmenter
from .learned import Learned

GROUP = "deepcell_label.segmenters"
BUILT_IN: dict[str, type] = {"auto": Auto, "learned": Learned}

log = logging.getLogger(__name__)


def _load(entry) -> Segmenter | None:
    try:
        found = entry.load()
        segmenter = found() if isinstance(found, type) else found
    except Exception:
        log.exception("the segmenter plug-in %r (%s) could not be loaded", entry.name, entry.value)
        return None
    if not isinstance(segmenter, Segmenter):
        log.error("the plug-in %r (%s) is not a segmenter", entry.name, entry.value)
        return None
    return segmenter


@cache
def segmenters() -> dict[str, Segmenter]:
    """Every segmenter, by the name requests use; the built-ins first.

    Made once per process (a plug-in may load its model's weights when it is made); a plug-in
    installed later is found after a restart. A plug-in that fails to load is left out (and
    logged), so one broken package does not take segmentation away.
    """
    found: dict[str, Segmenter] = {name: kind() for name, kind in BUILT_IN.items()}
    for entry in entry_points(group=GROUP):
        if entry.name in BUILT_IN:
            continue  # the built-in, declared by this package's own metadata
        segmenter = _load(entry)
        if segmenter is not None:
            found.setdefault(entry.name, segmenter)
    return found


def segmenter(name: str) -> Segmenter:
    """The segmenter called `name`, or the reason there is none."""
    known = segmenters()
    if name not in known:
        raise SegmentationError(
            f"There is no segmentation method {str(name)[:40]!r}; this server has "
            f"{', '.join(sorted(known))}."
        )
    return known[name]


def describe() -> list[dict]:
    """The methods as the app lists them."""
    return [
        {"name": name, "description": s.description, "learns": bool(s.learns)}
        for name, s in segmenters().items()
    ]
