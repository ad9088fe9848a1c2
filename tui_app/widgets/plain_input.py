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

# Bidi embeddings, overrides and isolates reorder what follows them on screen.
_BIDI = range(0x202A, 0x202F), range(0x2066, 0x206A)
_REPLACEMENT = "\ufffd"


def _stand_in(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures": ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0x80 <= code <= 0x9F or any(code in block for block in _BIDI):
        return _REPLACEMENT
    if char in "\u2028\u2029":
        return "\u2424"  # ␤
    return char


_TABLE = {
    code: _stand_in(chr(code))
    for code in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *_BIDI[0], *_BIDI[1]]
}


def visible(text: str) -> str:
    """``text`` with every character that would act on the terminal (rather
    than be drawn) replaced by a one-cell stand-in; same length as ``text``."""
    return text.translate(_TABLE)


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
