"""Keys typed faster than the app reads them are applied in the order typed.

A terminal hands over several keys in one read when typing is fast (or the
link slow). Textual's Input inserts a printable key itself but lets an
editing key it binds (backspace, arrows, home, delete …) bubble up to the
App, which runs the binding several hops later: a key typed after it was
applied first ("1" + x ⌫ 7 came out "1x")."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App, ComposeResult

from tui_app.widgets.plain_input import PlainInput


class InputApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PlainInput(value="1", select_on_focus=False)


def burst(app: App, *keys: str) -> None:
    """Keys as one read of the terminal hands them over: all at once."""
    for key in keys:
        char = key if len(key) == 1 else {"backspace": "\x7f"}.get(key)
        app._driver.send_message(events.Key(key, char))


@pytest.mark.parametrize(
    ("keys", "value"),
    [
        (("x", "backspace", "7"), "17"),
        (("backspace", "backspace", "4", "2"), "42"),
        (("a", "left", "b"), "1ba"),
        (("home", "9", "end", "0"), "910"),
        (("home", "delete", "5"), "5"),
    ],
)
async def test_a_burst_of_keys_is_applied_in_the_order_typed(keys, value):
    app = InputApp()
    async with app.run_test() as pilot:
        field = app.query_one(PlainInput)
        field.focus()
        field.cursor_position = len(field.value)
        await pilot.pause()
        burst(app, *keys)
        await pilot.pause()
        await pilot.pause()
        assert field.value == value
