"""Scroll bars that are drawn again only when what they show can change.

Textual's ScrollView compares the virtual size a layout hands it (its own
size: a ScrollView keeps its virtual size itself) with its own, so every
layout of its screen, each switch to the screen included, updated its scroll
bars and drew them again though nothing had changed: 1.4 ms of the first
frame of each new 500-item basket, 0.6 ms twice of each validation. A
widget's ``_size_updated`` hands its own to ``steady_size_updated``, which
compares what that update reads instead: the size, the room, the virtual
size and the gutter. (Not a mixin class: Textual reads a widget's CSS and
component classes along its first bases only.)
"""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Size
from textual.scroll_view import ScrollView


def steady_size_updated(widget: ScrollView, size: Size, container_size: Size,
                        update: Callable[[], bool]) -> bool:
    """``update()`` (ScrollView's ``_size_updated``) if what the scroll bars
    show may have changed since the last update; else what it returns."""
    state = (size, container_size, widget.virtual_size, widget.styles.gutter)
    if state == getattr(widget, "_scroll_state", None):
        return widget._container_size != container_size  # as ScrollView's
    widget._scroll_state = state  # type: ignore[attr-defined]
    return update()
