"""put(): a Static changes its text without a layout when the text keeps its
height, and grows or shrinks when it does not."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui_app.widgets.put import put, put_title


class Panels(App[None]):
    CSS = """
    #fixed-width { width: 30; }
    #auto { width: auto; height: 1; }
    #inside-auto { width: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static("one line", id="fixed-width")
        with Horizontal(id="auto"):
            yield Static("short", id="inside-auto")


async def test_same_height_no_layout_more_lines_grow_and_auto_width_follows():
    app = Panels()
    async with app.run_test(size=(60, 20)) as pilot:
        panel = app.query_one("#fixed-width", Static)
        layouts = []
        refresh = panel.refresh
        panel.refresh = lambda *a, **k: (layouts.append(k.get("layout", False)), refresh(*a, **k))

        put(panel, Text("another line"))  # one line, as before
        await pilot.pause()
        assert True not in layouts
        assert "another line" in str(panel.render())

        layouts.clear()
        put(panel, Text("first\nsecond\nthird"))  # three lines: laid out again
        await pilot.pause()
        assert True in layouts
        assert panel.size.height == 3

        put(panel, Text("back to one"))
        await pilot.pause()
        assert panel.size.height == 1

        layouts.clear()
        put(panel, Text("back to one"))  # unchanged: nothing at all
        assert layouts == []

        inside = app.query_one("#inside-auto", Static)
        put(inside, Text("a much longer text than before"))  # its container follows its width
        await pilot.pause()
        assert inside.size.width >= len("a much longer text than before")


async def test_a_border_title_is_set_only_when_it_changes():
    app = Panels()
    async with app.run_test(size=(60, 20)):
        panel = app.query_one("#fixed-width", Static)
        put_title(panel, "Staged (1)")
        assert panel.border_title == "Staged (1)"
        repaints = []
        refresh = panel.refresh
        panel.refresh = lambda *a, **k: (repaints.append(1), refresh(*a, **k))
        put_title(panel, "Staged (1)")
        assert repaints == []
        put_title(panel, "Staged (2)", subtitle=True)
        assert panel.border_subtitle == "Staged (2)" and repaints
