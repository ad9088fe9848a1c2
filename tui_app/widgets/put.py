"""One way to change what a Static shows without paying for it when nothing
changed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def put(static: Static, content: str | Text) -> None:
    """Show ``content`` in ``static`` unless it already shows it: an update
    lays the whole screen out again (profile: two or three layouts of the
    Basket screen per reply, of the Offers screen on every busy change, and
    16-20 ms before an initiate's request went out, for form notes that had
    not changed)."""
    if static.content != content:
        static.update(content)
