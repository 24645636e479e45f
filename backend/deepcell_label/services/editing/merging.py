"""Three-way merges of a project's lists (divisions, cell types, channel names) for undo and redo.

One annotator's change of a list (`base` → `target`) is taken back or made again on top of the
list as it is now (`current`), which others may have changed since. Items are matched by their
identity (a cell type by its id, a division by its parent, a channel by its position), so
changes to different items never meet; lists of cells are merged as sets. Where both changed
the same field of the same item differently, the merge is refused with what that item is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ABSENT = object()


class ListConflict(Exception):
    """Both sides changed the same item; `what` names it for the user, `name` the list."""

    def __init__(self, what: str, name: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.name = name


def merge_list(name: str, current: Any, base: Any, target: Any) -> Any:
    """`current` with the change from `base` to `target` applied to it.

    Raises `ListConflict` when `current` changed what that change changes.
    """
    try:
        return _merge_list(name, current, base, target)
    except ListConflict as conflict:
        conflict.name = name
        raise


def _merge_list(name: str, current: Any, base: Any, target: Any) -> Any:
    if current == base:
        return target
    if base == target or current == target:
        return current
    whole = f"the {name.replace('_', ' ')}"
    if name == "cell_types":
        return _keyed(current, base, target, "id", _cell_type_name, whole)
    if name == "divisions":
        return _keyed(
            current, base, target, "parent", lambda d: f"the division of cell {d['parent']}", whole
        )
    if name == "channel_names":
        return _positional(current, base, target, lambda i: f"the name of channel {i}", whole)
    raise ListConflict(whole)


def _cell_type_name(cell_type: dict) -> str:
    return f"cell type {cell_type.get('id')} ({cell_type.get('name', '')!r})"


def _merge_value(current: Any, base: Any, target: Any, what: str) -> Any:
    if current == base:
        return target
    if base == target or current == target:
        return current
    if all(isinstance(v, dict) for v in (current, base, target)):
        merged = {}
        for field in [*current, *(k for k in target if k not in current)]:
            value = _merge_value(
                current.get(field, ABSENT), base.get(field, ABSENT), target.get(field, ABSENT), what
            )
            if value is not ABSENT:
                merged[field] = value
        return merged
    if all(_is_id_list(v) for v in (current, base, target)):
        # Cells of a type, daughters of a division: sets. Taking a cell out that someone else
        # already took out (or adding one already there) loses nothing.
        removed, added = set(base) - set(target), set(target) - set(base)
        kept = [item for item in current if item not in removed]
        return kept + [item for item in target if item in added and item not in kept]
    raise ListConflict(what)


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    )


def _keyed(
    current: list,
    base: list,
    target: list,
    key: str,
    describe: Callable[[dict], str],
    whole: str,
) -> list:
    maps = [_by_key(items, key) for items in (current, base, target)]
    if any(found is None for found in maps):
        raise ListConflict(whole)  # repeated or missing keys: the items have no identity
    now, before, after = maps
    merged: dict[Any, Any] = {}
    for item_key in [*now, *(k for k in after if k not in now)]:
        sample = now.get(item_key) or before.get(item_key) or after[item_key]
        value = _merge_value(
            now.get(item_key, ABSENT),
            before.get(item_key, ABSENT),
            after.get(item_key, ABSENT),
            describe(sample),
        )
        if value is not ABSENT:
            merged[item_key] = value
    order = _merged_order(list(now), list(before), list(after), f"the order of {whole[4:]}")
    return [merged[k] for k in order if k in merged]


def _merged_order(now: list, before: list, after: list, order_name: str) -> list:
    """The keys' order: the current one, unless the change reordered the items (then its own,
    if nobody else reordered them meanwhile); items it brings back go where they were."""
    common = [k for k in before if k in after]
    if common == [k for k in after if k in before]:
        order = list(now)
        for position, item_key in enumerate(after):
            if item_key not in order:
                order.insert(min(position, len(order)), item_key)
        return order
    if [k for k in now if k in before] != [k for k in before if k in now]:
        raise ListConflict(order_name)
    return [*after, *(k for k in now if k not in after)]


def _by_key(items: Any, key: str) -> dict | None:
    if not isinstance(items, list) or not all(isinstance(i, dict) and key in i for i in items):
        return None
    found = {item[key]: item for item in items}
    return found if len(found) == len(items) else None


def _positional(
    current: Any, base: Any, target: Any, describe: Callable[[int], str], whole: str
) -> list:
    if not all(isinstance(v, list) for v in (current, base, target)) or not (
        len(current) == len(base) == len(target)
    ):
        raise ListConflict(whole)
    return [
        _merge_value(c, b, t, describe(i))
        for i, (c, b, t) in enumerate(zip(current, base, target, strict=True))
    ]
