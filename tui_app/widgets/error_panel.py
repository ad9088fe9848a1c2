"""Where a failure is explained: the server's own words and what to do next.
Hidden while there is nothing to say."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_app.formatting import shown
from tui_app.services.api.errors import ApiError

# The server's words are cut there, so the hint after them stays in view
# (the panel is at most 8 lines; the inspector has the reply in full).
MESSAGE_MAX = 400


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
            text.append(f"✗ {shown(error.title)}: ", style="bold")
            # A server's words are data: escape codes in them are shown, not
            # obeyed, and "[/b]" in them is text, not markup.
            text.append(shown(error.message, MESSAGE_MAX))
            if error.hint:
                text.append(f"\n→ {shown(error.hint)}")
        else:
            text.append("✗ ", style="bold")
            text.append(shown(error, MESSAGE_MAX))
        self.update(text)
        self.add_class("shown")

    def show_message(self, message: str) -> None:
        """Our own message, which may quote what was typed or read from a file:
        one line per line of ``message``, each shown as text."""
        lines = [shown(line) for line in message.split("\n")]
        self.update(Text("✗ " + "\n".join(lines)))
        self.add_class("shown")

    def clear(self) -> None:
        if not self.has_class("shown") and not self.content:
            return  # already clear: an update would lay the screen out again
        self.update("")
        self.remove_class("shown")
