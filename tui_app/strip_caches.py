"""Textual's lines (``Strip``) make their seven caches when first used.

Every Strip Textual makes (every line of every widget, and every piece
cropped, divided, styled or dimmed from one) comes with seven empty caches
of its own: about 0.9 KiB a line before anything is cached. Most lines never
use more than one or two of them, yet the lines kept alive by widgets and by
other lines' caches were ~1.1 MiB of the app's memory with a 500-item basket
on screen (1,221 lines, 860 of them pieces of others; tracemalloc,
benchmark figure 5), and making the caches was four fifths of the time it
takes to make a line. Textual's own ``Content`` makes its caches this way.

What each cache holds, and how big it may grow, stays Textual's: a cache is
the same ``FIFOCache`` of the same size, made when a method first reads or
writes it. The patch is applied only to the Strip it was written for (same
slots); another Textual keeps its Strip as it is, and a test says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.segment import Segment
from textual.cache import FIFOCache
from textual.strip import Strip

# The seven caches and their sizes, as Textual's Strip.__init__ makes them.
CACHE_SIZES = {
    "_divide_cache": 4,
    "_crop_cache": 16,
    "_style_cache": 16,
    "_filter_cache": 4,
    "_line_length_cache": 4,
    "_crop_extend_cache": 4,
    "_offsets_cache": 4,
}
# What a line holds besides its caches.
OTHER_SLOTS = ("_segments", "_cell_length", "_render_cache", "_link_ids", "_cell_count")
TEXTUAL_STRIP_INIT = Strip.__init__  # as Textual wrote it (the tests compare the two)


class _CacheWhenUsed:
    """Stands in a Strip's class for one of its cache slots: reading the
    slot of a line that has no cache yet makes one and keeps it there."""

    __slots__ = ("size", "slot")

    def __init__(self, slot: Any, size: int) -> None:
        self.slot = slot  # the slot's own descriptor, which stores the value
        self.size = size

    def __get__(self, strip: Strip | None, owner: type | None = None) -> Any:
        if strip is None:
            return self
        try:
            return self.slot.__get__(strip, owner)
        except AttributeError:  # none yet
            cache: FIFOCache[Any, Any] = FIFOCache(self.size)
            self.slot.__set__(strip, cache)
            return cache

    def __set__(self, strip: Strip, value: Any) -> None:
        self.slot.__set__(strip, value)


def _strip_init(self: Strip, segments: Iterable[Segment], cell_length: int | None = None) -> None:
    # Textual's Strip.__init__, without making the caches.
    self._segments = list(segments)
    self._cell_length = cell_length
    self._render_cache = None
    self._link_ids = None
    self._cell_count = None


def patchable() -> bool:
    """Whether this Textual's Strip is the one the patch was written for."""
    return set(Strip.__slots__) == {*CACHE_SIZES, *OTHER_SLOTS}


def make_strip_caches_lazy() -> bool:
    """Patch Strip once (later calls do nothing); says whether it is patched."""
    if isinstance(Strip.__dict__.get("_crop_cache"), _CacheWhenUsed):
        return True
    if not patchable():
        return False
    for name, size in CACHE_SIZES.items():
        setattr(Strip, name, _CacheWhenUsed(Strip.__dict__[name], size))
    Strip.__init__ = _strip_init  # type: ignore[method-assign]
    return True
