"""An Input that shows what it holds, control characters included, and keeps
all of a paste.

Textual's Input hands its value to the terminal as it is: a pasted
``\\x1b[31m`` turns what follows red, a NUL or a bidi override shifts or
reverses it. Here each such character is drawn as a visible stand-in one cell
wide (␛, ␀, ␉, ␊ …); the value itself is untouched, so the form's checks can
name the character and nothing the user typed is lost.

Textual's Input also keeps only the first line of a multi-line paste, without
a word. A truncated id that then passes every check would be sent; this Input
keeps the whole paste (bar trailing line breaks, which a copied line often
carries), so the checks refuse it instead.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import Input

from tui_app.formatting import visible

# ``visible`` is the one implementation (in formatting), re-exported here.
__all__ = ["PlainInput", "visible"]


class PlainInput(Input):
    """An Input safe for hostile text: see the module docstring."""

    @property
    def _value(self) -> Text:
        if self.password:
            return super()._value
        text = Text(visible(self.value), no_wrap=True, overflow="ignore", end="")
        return self.highlighter(text) if self.highlighter is not None else text

    def _position_to_cell(self, position: int) -> int:
        # The cursor sits after the stand-ins, which take a cell each.
        if self.password:
            return position
        return cell_len(visible(self.value[:position]))

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # not Input's own handler, which keeps one line
        event.stop()
        text = event.text.rstrip("\r\n")
        if not text:
            return
        if self.selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *self.selection)
