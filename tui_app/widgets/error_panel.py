"""Where a failure is explained: the server's own words and what to do next.
Hidden while there is nothing to say."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_app.services.api.errors import ApiError
from tui_app.widgets.plain_input import visible


class ErrorPanel(Static):
    DEFAULT_CSS = """
    ErrorPanel {
        display: none; height: auto; max-height: 8; padding: 0 1; margin: 0 1;
        border: round $error; color: $foreground;
    }
    ErrorPanel.shown { display: block; }
    """

    def show_error(self, error: ApiError | Exception) -> None:
        text = Text()
        if isinstance(error, ApiError):
            text.append(f"✗ {error.title}: ", style="bold")
            # A server's words are data: escape codes in them are shown, not obeyed.
            text.append(visible(error.message))
            if error.hint:
                text.append(f"\n→ {error.hint}")
        else:
            text.append("✗ ", style="bold")
            text.append(visible(str(error)))
        self.update(text)
        self.add_class("shown")

    def show_message(self, message: str) -> None:
        self.update(Text(f"✗ {visible(message)}"))
        self.add_class("shown")

    def clear(self) -> None:
        self.update("")
        self.remove_class("shown")
