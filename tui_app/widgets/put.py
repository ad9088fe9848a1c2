"""One way to change what a widget shows (a Static's text, a border title)
without paying for it when nothing changed."""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static


def put(static: Static, content: str | Text) -> None:
    """Show ``content`` in ``static`` unless it already shows it, and lay the
    screen out again only if the new text needs another height.

    Static.update lays the whole screen out (11-20 ms on the Basket and
    Offers screens, profile): two or three times per reply for text that
    had not changed, and once per update reply for a results panel whose
    new text took as many lines as the old."""
    if static.content == content:
        return
    width, height = static.content_size
    static.update(content, layout=False)
    if not width or _sized_by_content(static) or (
        static.visual.get_height(static.styles, width) != height
    ):
        static.refresh(layout=True)


def _sized_by_content(static: Static) -> bool:
    """Whether the widget's width follows its text (its own, or that of a
    container it is in): then any new text may move things."""
    for node in static.ancestors_with_self:
        if isinstance(node, Screen):
            break
        scalar = getattr(node.styles, "width", None)
        if scalar is not None and scalar.is_auto:
            return True
    return False


def put_title(widget: Widget, title: str | None, *, subtitle: bool = False) -> None:
    """Set a border title (or subtitle) unless it already reads so: each set
    repaints the whole widget, and a pick list of 50 rows took 20 ms to
    repaint before an initiate's request went out, for an unchanged title."""
    name = "border_subtitle" if subtitle else "border_title"
    if getattr(widget, name) != title:
        setattr(widget, name, title)
