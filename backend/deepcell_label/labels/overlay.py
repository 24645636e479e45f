"""A mapping laid over a read-only base that is looked up key by key.

A process that meets a frame for the first time needs its whole index (10,000 and more values)
but reads only the few values an edit touches. Built over packed arrays, the index costs nothing
per value to open; changes and removals are kept beside the base. Python's dict has no such lazy
form, hence this small class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

MISSING = object()


def _nothing(_key: object) -> object:
    return MISSING


class Overlay(MutableMapping, Generic[K, V]):
    """A dict whose unchanged entries come from `lookup(key)` (MISSING when absent) and whose
    keys, for iteration, from `keys()`. Iterating turns it into a plain dict inside (when the
    whole base can be built at once), so even a reader changes it: share it between threads
    only under a lock."""

    __slots__ = ("_changed", "_everything", "_keys", "_lookup", "_lookup_many", "_removed")

    def __init__(
        self,
        lookup: Callable[[K], object],
        keys: Callable[[], Iterable[K]],
        everything: Callable[[], dict[K, V]] | None = None,
        lookup_many: Callable[[list[K]], list[object]] | None = None,
    ) -> None:
        self._changed: dict[K, V] = {}
        self._removed: set[K] = set()
        self._lookup = lookup
        self._keys = keys
        # The whole base at once, when the caller can build it faster than key by key.
        self._everything = everything
        # Many keys of the base at once (MISSING where absent), cheaper than one by one.
        self._lookup_many = lookup_many

    def _base(self, key: K) -> object:
        if key in self._removed:
            return MISSING
        return self._lookup(key)

    def __getitem__(self, key: K) -> V:
        try:
            return self._changed[key]
        except KeyError:
            pass
        found = self._base(key)
        if found is MISSING:
            raise KeyError(key)
        return found  # type: ignore[return-value]

    def get(self, key: K, default=None):
        try:
            return self._changed[key]
        except KeyError:
            pass
        found = self._base(key)
        return default if found is MISSING else found

    def get_many(self, keys: list[K]) -> list[V | None]:
        """`get` of each key (None where absent), the keys the base is asked for in one call."""
        changed, removed = self._changed, self._removed
        asked = [key for key in keys if key not in changed and key not in removed]
        if self._lookup_many is not None and len(asked) > 1:
            base = dict(zip(asked, self._lookup_many(asked), strict=True))
        else:
            base = {key: self._lookup(key) for key in asked}
        found = [changed[key] if key in changed else base.get(key, MISSING) for key in keys]
        return [None if value is MISSING else value for value in found]

    def __contains__(self, key: object) -> bool:
        return key in self._changed or self._base(key) is not MISSING  # type: ignore[arg-type]

    def __setitem__(self, key: K, value: V) -> None:
        self._changed[key] = value
        self._removed.discard(key)

    def __delitem__(self, key: K) -> None:
        if key not in self:
            raise KeyError(key)
        self._changed.pop(key, None)
        self._removed.add(key)

    def __iter__(self) -> Iterator[K]:
        if self._everything is not None:
            # Whoever reads every entry once will likely do it again: from now on this is a dict.
            self._materialize()
        yield from list(self._changed)
        for key in self._keys():
            if key not in self._changed and key not in self._removed:
                yield key

    def _materialize(self) -> None:
        found = self.as_dict()
        self._changed = found
        self._lookup = _nothing
        self._lookup_many = None
        self._keys = tuple
        self._everything = None
        self._removed = set()

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def as_dict(self) -> dict[K, V]:
        """Every entry, as a plain dict (the base built at once where the caller can)."""
        if self._everything is None:
            return dict(self.items())
        found = self._everything()
        for key in self._removed:
            found.pop(key, None)
        found.update(self._changed)
        return found

    def __repr__(self) -> str:
        return f"Overlay({dict(self.items())!r})"


def get_many(mapping: Mapping[K, V], keys: list[K]) -> list[V | None]:
    """`mapping.get` of each key (None where absent); an Overlay looks its base up at once."""
    if isinstance(mapping, Overlay):
        return mapping.get_many(keys)
    return [mapping.get(key) for key in keys]
