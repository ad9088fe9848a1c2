"""An Input that shows what it holds, control characters included, and keeps
all of a paste.

Textual's Input hands its value to the terminal as it is: a pasted
``\\x1b[31m`` turns what follows red, a NUL or a bidi override shifts or
reverses it. Here each such character is drawn as a visible stand-in one cell
wide (␛, ␀, ␉, ␊ …); the value itself is untouched, so the form's checks can
name the character and nothing the user typed is lost.

Keys come in the order they were typed. Textual's Input inserts a printable
key itself but lets an editing key it binds (backspace, arrows, home,
delete …) bubble up to the App, which runs the binding a few hops later: when
a terminal hands over several keys in one read (fast typing, a slow link), a
key typed after it was applied first ("1", then x ⌫ 7, came out "1x"). Here
the Input runs its own bindings as their keys arrive.

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

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            # What App._check_bindings would do once the key reached it: the
            # focused widget's own bindings come first, so the outcome is the
            # same, only in the order typed. Priority bindings were checked
            # before the key was handed to the Input.
            bindings = self._bindings
            if self.app._keymap:  # as the App reads them: with the user's keymap
                bindings = bindings.copy()
                bindings.apply_keymap(self.app._keymap)
            for binding in bindings.key_to_bindings.get(event.key, ()):
                if not binding.priority and await self.app.run_action(binding.action, self):
                    event.stop()
                    event.prevent_default()
                    return
        await super()._on_key(event)

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
