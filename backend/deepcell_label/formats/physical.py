"""Physical pixel size: what one pixel measures in x and y, and the spacing between z-slices.

Kept as ``{"x", "y", "z", "unit"}`` (each size a positive number or None, one unit for all
three, an OME-XML length symbol such as ``µm``), read from OME-XML (``PhysicalSizeX/Y/Z`` and
their units), ImageJ metadata (resolution tags, ``unit``, ``spacing``) and OME-Zarr scales, and
written back into the same places on export.
"""

from __future__ import annotations

import math
import re
from typing import Any

# OME-XML length symbols we read and write, and their size in metres.
METRES = {
    "m": 1.0,
    "dm": 1e-1,
    "cm": 1e-2,
    "mm": 1e-3,
    "µm": 1e-6,
    "nm": 1e-9,
    "Å": 1e-10,
    "pm": 1e-12,
    "in": 0.0254,
}
# Other spellings found in ImageJ, SCIFIO and OME-Zarr files.
ALIASES = {
    "meter": "m",
    "metre": "m",
    "decimeter": "dm",
    "centimeter": "cm",
    "centimetre": "cm",
    "millimeter": "mm",
    "millimetre": "mm",
    "micron": "µm",
    "microns": "µm",
    "micrometer": "µm",
    "micrometre": "µm",
    "um": "µm",
    "μm": "µm",  # Greek mu rather than the micro sign
    "nanometer": "nm",
    "nanometre": "nm",
    "angstrom": "Å",
    "picometer": "pm",
    "inch": "in",
    "inches": "in",
}
# OME-NGFF (UDUNITS-2) names of the symbols.
NGFF_NAMES = {
    "m": "meter",
    "dm": "decimeter",
    "cm": "centimeter",
    "mm": "millimeter",
    "µm": "micrometer",
    "nm": "nanometer",
    "Å": "angstrom",
    "pm": "picometer",
    "in": "inch",
}
# TIFF ResolutionUnit values (tifffile's RESUNIT, with its millimetre and micrometre extensions).
TIFF_RESOLUTION_UNITS = {2: "in", 3: "cm", 4: "mm", 5: "µm"}
AXES = ("x", "y", "z")


def length_unit(text: Any) -> str | None:
    """The OME symbol of a unit's name as files write it (``micron``, ``\\u00B5m``, ``um``...),
    or None for no unit, ``pixel`` and names we do not know."""
    if not isinstance(text, str):
        return None
    # ImageJ writes characters outside ASCII as \\uXXXX escapes.
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text).strip()
    if text in METRES:
        return text
    return ALIASES.get(text.lower())


def convert(value: float, unit: str, to: str) -> float:
    """``value`` in ``unit`` expressed in ``to`` (both OME symbols)."""
    return value if unit == to else value * METRES[unit] / METRES[to]


def _size(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def physical_size(sizes: dict[str, tuple[Any, str | None]]) -> dict | None:
    """``{"x", "y", "z", "unit"}`` from (value, unit symbol) per axis; sizes without a known
    unit or that are not positive numbers are left out, the others are expressed in the first
    axis' unit. None when nothing is left."""
    known = {
        axis: (_size(value), unit)
        for axis, (value, unit) in sizes.items()
        if unit in METRES and _size(value) is not None
    }
    if not known:
        return None
    unit = next(known[axis][1] for axis in AXES if axis in known)
    result: dict[str, Any] = {axis: None for axis in AXES}
    for axis, (value, its_unit) in known.items():
        result[axis] = convert(value, its_unit, unit)
    result["unit"] = unit
    return result


def check(content: Any) -> dict | None:
    """A physical size as stored with a project (from our own files or the database), or None
    when it is not one."""
    if not isinstance(content, dict) or content.get("unit") not in METRES:
        return None
    return physical_size({axis: (content.get(axis), content["unit"]) for axis in AXES})


def describe(size: dict | None) -> str:
    """A short text such as ``pixel 0.65 x 0.65 µm, z spacing 2 µm``."""
    if not size:
        return "no physical pixel size"
    parts = []
    if size.get("x") is not None or size.get("y") is not None:
        x, y = (f"{size[a]:.4g}" if size.get(a) is not None else "?" for a in ("x", "y"))
        parts.append(f"pixel {x} x {y} {size['unit']}")
    if size.get("z") is not None:
        parts.append(f"z spacing {size['z']:.4g} {size['unit']}")
    return ", ".join(parts)


# --- OME-XML --------------------------------------------------------------------------------


def from_ome_pixels(attributes: dict[str, str]) -> dict | None:
    """From the attributes of an OME ``Pixels`` element (units default to µm, as OME says)."""
    return physical_size(
        {
            axis: (
                attributes.get(f"PhysicalSize{axis.upper()}"),
                length_unit(attributes.get(f"PhysicalSize{axis.upper()}Unit", "µm")),
            )
            for axis in AXES
        }
    )


def to_ome_metadata(size: dict | None) -> dict[str, Any]:
    """tifffile's OME ``metadata`` entries for a physical size."""
    entries: dict[str, Any] = {}
    for axis in AXES:
        if size and size.get(axis) is not None:
            entries[f"PhysicalSize{axis.upper()}"] = float(size[axis])
            entries[f"PhysicalSize{axis.upper()}Unit"] = size["unit"]
    return entries


# --- ImageJ ---------------------------------------------------------------------------------


def from_imagej(
    metadata: dict, x_resolution: Any, y_resolution: Any, resolution_unit: int | None
) -> dict | None:
    """From ImageJ's metadata (``unit``, ``yunit``, ``zunit``, ``spacing``, or SCIFIO's
    ``scales`` for z) and the page's XResolution/YResolution tags (pixels per
    ``resolution_unit``; with ResolutionUnit NONE, per ImageJ's ``unit``). Without a ``unit``
    the image is not calibrated."""
    unit = length_unit(metadata.get("unit"))
    if unit is None:
        return None
    tag_unit = TIFF_RESOLUTION_UNITS.get(int(resolution_unit or 1))
    sizes: dict[str, tuple[Any, str | None]] = {}
    for axis, resolution in (("x", x_resolution), ("y", y_resolution)):
        wanted = length_unit(metadata.get(f"{axis}unit")) or unit
        per_pixel = _per_pixel(resolution)
        if per_pixel is not None:
            value = per_pixel if tag_unit is None else convert(per_pixel, tag_unit, wanted)
            sizes[axis] = (value, wanted)
    z_unit = length_unit(metadata.get("zunit")) or unit
    sizes["z"] = (metadata.get("spacing"), z_unit)
    if metadata.get("spacing") is None:
        sizes["z"] = _scifio_scale(metadata, "Z") or sizes["z"]
    return physical_size(sizes)


def _scifio_scale(metadata: dict, axis: str) -> tuple[Any, str | None] | None:
    """(scale, unit) of an axis in SCIFIO's ``axes``, ``scales`` and ``units`` lists (written
    beside ImageJ's keys, e.g. ``axes=X,Y,Z`` ``scales=0.15,0.15,0.235``)."""
    lists = [str(metadata.get(key, "")).split(",") for key in ("axes", "scales", "units")]
    names, scales, units = ([item.strip() for item in found] for found in lists)
    if axis not in names or len(scales) != len(names):
        return None
    index = names.index(axis)
    return scales[index], length_unit(units[index]) if len(units) == len(names) else None


def _per_pixel(resolution: Any) -> float | None:
    """1 / (pixels per unit) from a TIFF rational (numerator, denominator) or a number."""
    if resolution is None:
        return None
    if isinstance(resolution, tuple | list) and len(resolution) == 2:
        numerator, denominator = resolution
    else:
        numerator, denominator = resolution, 1
    numerator, denominator = _size(numerator), _size(denominator)
    return None if numerator is None or denominator is None else denominator / numerator


def to_imagej_resolution(size: dict | None) -> tuple[tuple[float, float] | None, dict]:
    """(tifffile ``resolution``, ImageJ ``metadata`` entries) for a physical size."""
    if not size or size.get("x") is None or size.get("y") is None:
        return None, {}
    entries: dict[str, Any] = {"unit": size["unit"]}
    if size.get("z") is not None:
        entries["spacing"] = float(size["z"])
    return (1 / size["x"], 1 / size["y"]), entries


# --- OME-Zarr -------------------------------------------------------------------------------


def to_ngff(size: dict | None) -> tuple[str | None, float, float]:
    """(NGFF unit name or None, y scale, x scale) of level 0."""
    if not size or size.get("x") is None or size.get("y") is None:
        return None, 1.0, 1.0
    return NGFF_NAMES[size["unit"]], float(size["y"]), float(size["x"])


def from_ngff(axes: Any, scale: Any) -> dict | None:
    """From the multiscales ``axes`` (with ``unit``) and the ``scale`` of the first dataset."""
    if not isinstance(axes, list) or not isinstance(scale, list) or len(axes) != len(scale):
        return None
    sizes: dict[str, tuple[Any, str | None]] = {}
    for axis, value in zip(axes, scale, strict=True):
        if isinstance(axis, dict) and str(axis.get("name", "")).lower() in AXES:
            sizes[str(axis["name"]).lower()] = (value, length_unit(axis.get("unit")))
    return physical_size(sizes)
