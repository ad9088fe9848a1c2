"""The reference for start-up and memory: the smallest Textual app worth the
name — a header, one line of text, a footer and a binding on F1 that changes
the text. It is written to a temp file and launched exactly like the real app."""

from __future__ import annotations

from pathlib import Path

READY_TEXT = "reference app ready"
HELP_TEXT = "Help — reference"

SOURCE = f'''\
from textual.app import App
from textual.binding import Binding
from textual.widgets import Footer, Header, Static


class ReferenceApp(App):
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def compose(self):
        yield Header()
        yield Static({READY_TEXT!r}, id="text")
        yield Footer()

    def action_help(self):
        self.query_one("#text", Static).update({HELP_TEXT!r})


if __name__ == "__main__":
    ReferenceApp().run()
'''


def write_reference_app(folder: Path) -> Path:
    path = folder / "reference_app.py"
    path.write_text(SOURCE, encoding="utf-8")
    return path
