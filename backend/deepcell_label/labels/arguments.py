"""Checking the JSON arguments of edit actions, with messages a biologist understands."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from deepcell_label.errors import EditError

MAX_BRUSH_SIZE = 64
MAX_STROKE_POINTS = 10_000
SCOPES = ("frame", "past", "future", "all")


@dataclass(frozen=True)
class Frame:
    """The size of the frame an action works on (unknown for cell actions)."""

    height: int | None = None
    width: int | None = None


Check = Callable[[str, Any, Frame], Any]


@dataclass(frozen=True)
class Argument:
    """One argument of an action: how to check it and whether it may be left out."""

    check: Check
    required: bool = True
    default: Any = None


def validate_arguments(
    action: str, spec: Mapping[str, Argument], args: Any, frame: Frame
) -> dict[str, Any]:
    """Check ``args`` against ``spec``: exactly the allowed names, each value checked.

    Returns
    -------
    dict
        The normalized arguments, with defaults filled in for optional ones left out.

    Raises
    ------
    EditError
        On a missing or unexpected argument, or a value of the wrong type or range.
    """
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        raise EditError(f"{action} needs its arguments as an object of names and values")
    for name in args:
        if name not in spec:
            raise EditError(f"{action} does not take '{name}'")
    normalized: dict[str, Any] = {}
    for name, argument in spec.items():
        if name in args and args[name] is not None:
            normalized[name] = argument.check(name, args[name], frame)
        elif argument.required:
            raise EditError(f"{action} needs '{name}'")
        else:
            normalized[name] = argument.default
    return normalized


def whole_number(name: str, value: Any) -> int:
    """``value`` as an int; JSON numbers like ``3.0`` are accepted, booleans are not."""
    if isinstance(value, bool):
        raise EditError(f"'{name}' must be a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise EditError(f"'{name}' must be a whole number, not {str(value)[:30]!r}")


# Labels are int32; ids stay far below 2**31 so values for overlapping cells fit above them.
MAX_CELL_ID = 1_000_000_000


def cell_id(name: str, value: Any, frame: Frame) -> int:
    number = whole_number(name, value)
    if not 0 < number <= MAX_CELL_ID:
        raise EditError(
            f"'{name}' must be a cell id: a positive whole number up to {MAX_CELL_ID:,}, "
            f"not {str(number)[:30]}"
        )
    return number


def column(name: str, value: Any, frame: Frame) -> int:
    return _inside(name, whole_number(name, value), frame.width, "width")


def row(name: str, value: Any, frame: Frame) -> int:
    return _inside(name, whole_number(name, value), frame.height, "height")


def _inside(name: str, number: int, size: int | None, dimension: str) -> int:
    if number < 0 or (size is not None and number >= size):
        raise EditError(
            f"{name} = {number} is outside the image ({dimension} {size}, counted from 0)"
        )
    return number


def points(name: str, value: Any, frame: Frame) -> list[tuple[int, int]]:
    """A stroke: a non-empty list of ``[x, y]`` pairs inside the frame."""
    if not isinstance(value, list | tuple) or not value:
        raise EditError(f"'{name}' must be a non-empty list of [x, y] points")
    if len(value) > MAX_STROKE_POINTS:
        raise EditError(f"a stroke may have at most {MAX_STROKE_POINTS} points, not {len(value)}")
    stroke = []
    for point in value:
        if not isinstance(point, list | tuple) or len(point) != 2:
            raise EditError(f"each of '{name}' must be an [x, y] pair, not {point!r}")
        stroke.append((column("x", point[0], frame), row("y", point[1], frame)))
    return stroke


def brush_size(name: str, value: Any, frame: Frame) -> int:
    size = whole_number(name, value)
    if not 1 <= size <= MAX_BRUSH_SIZE:
        raise EditError(f"'{name}' must be between 1 and {MAX_BRUSH_SIZE} pixels, not {size}")
    return size


REGION_FIELDS = ("x", "y", "width", "height")


def region(name: str, value: Any, frame: Frame) -> tuple[int, int, int, int]:
    """A rectangle ``{"x", "y", "width", "height"}`` of the frame, as ``(y0, x0, y1, x1)``.

    The part outside the frame is cut off; a rectangle with no pixel in the frame is refused.
    """
    if not isinstance(value, Mapping) or set(value) != set(REGION_FIELDS):
        raise EditError(
            f"'{name}' must be an object with exactly x, y, width and height (in image pixels)"
        )
    x, y, width, height = (whole_number(f"{name}.{field}", value[field]) for field in REGION_FIELDS)
    if width < 1 or height < 1:
        raise EditError(f"'{name}' must have a width and height of at least 1 pixel")
    y0, x0, y1, x1 = max(y, 0), max(x, 0), y + height, x + width
    if frame.height is not None:
        y1 = min(y1, frame.height)
    if frame.width is not None:
        x1 = min(x1, frame.width)
    if y0 >= y1 or x0 >= x1:
        raise EditError(f"'{name}' lies outside the image; give a region that overlaps it")
    return y0, x0, y1, x1


def anything(name: str, value: Any, frame: Frame) -> Any:
    """Accepted as given; checked by whoever knows what is valid (e.g. the raw channel)."""
    return value


def scope(name: str, value: Any, frame: Frame) -> str:
    if value not in SCOPES:
        raise EditError(f"'{name}' must be one of {', '.join(SCOPES)}, not {value!r}")
    return value
