"""Values kept by the identity of the immutable object they were worked out from.

Hashing a schema, a tuple of rules or a rule's flows by value would cost what the value saves; the
identity costs nothing, and holding the object beside its value keeps any other object from taking
its identity while the entry lasts.
"""

from __future__ import annotations

from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ByIdentity(Generic[K, V]):
    """A value per object, by the object's identity; emptied when it holds `most` (None: no bound)."""

    def __init__(self, most: int | None = None) -> None:
        self._held: dict[int, tuple[K, V]] = {}
        self._most = most

    def get(self, key: K) -> V | None:
        held = self._held.get(id(key))
        return held[1] if held is not None and held[0] is key else None

    def put(self, key: K, value: V) -> V:
        if self._most is not None and len(self._held) >= self._most:
            self._held.clear()
        self._held[id(key)] = (key, value)
        return value

    def __len__(self) -> int:
        return len(self._held)
