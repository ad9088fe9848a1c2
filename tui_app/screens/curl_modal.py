"""Copy as curl: the command for one exchange, to copy or save as a script.

The command reads the token from ``$LIMIO_TOKEN`` (and a client secret from
``$LIMIO_CLIENT_SECRET``); neither is ever written into it. The landing-state
cookie is, because update cannot find the basket without it. ``e`` puts the
``export`` lines that set those variables on the clipboard, never on screen:
the embedded sandbox's token can be had no other way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from tui_app.formatting import shown
from tui_app.screens.save_path import SavePathScreen
from tui_app.services.api.exchange import Exchange
from tui_app.services.exports.curl import export_line, to_curl, variables_needed, write_script
from tui_app.widgets.delivery import export_file, to_browser
from tui_app.widgets.exchange_format import summary


def script_name(exchange: Exchange) -> str:
    return f"basket-builder-{exchange.id}.sh"


class CurlScreen(ModalScreen[None]):
    """Dismisses with nothing; copying and saving happen inside."""

    DEFAULT_CSS = """
    CurlScreen { align: center middle; }
    CurlScreen > Vertical {
        width: 110; max-width: 95%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    CurlScreen .title { text-style: bold; }
    CurlScreen #curl-note { color: $text-warning; margin: 1 0; height: auto; }
    /* The command scrolls; the note and the buttons stay in view at 80x24. */
    CurlScreen #curl-scroll {
        height: auto; max-height: 40vh; border: round $panel-lighten-2; padding: 0 1;
    }
    CurlScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    CurlScreen Button { margin-left: 1; min-width: 0; }
    """
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="curl.close"),
        Binding("c", "copy", "Copy", id="curl.copy"),
        Binding("s", "save", "Save as script", id="curl.save"),
        Binding("e", "copy_exports", "Copy export lines", id="curl.exports"),
    ]

    def __init__(
        self,
        exchange: Exchange,
        *,
        raw: bool = True,
        cwd: Path | None = None,
        credentials: Callable[[], dict[str, str]] = dict,
    ) -> None:
        """``exchange`` should be the raw one (``raw=True``): the redacted
        one has the cookie masked, which update will not accept.
        ``credentials`` gives the values of the active profile for the
        variables a command reads (``LIMIO_TOKEN``…), asked only on ``e``."""
        super().__init__()
        self.exchange, self.raw, self.cwd = exchange, raw, cwd
        self.credentials = credentials
        self.command = to_curl(exchange)

    def note(self) -> str:
        variables = variables_needed(self.command)
        lines = []
        if variables:
            names = " and ".join(f"${v}" for v in variables)
            lines.append(
                f"Set {names} in your shell before running it: credentials are never "
                "written into the command. e copies the export lines for the active "
                "profile to the clipboard (not shown here); paste them first."
            )
        if not self.raw:
            lines.append(
                "The raw exchange is no longer kept: masked values (***) must be filled in."
            )
        return "\n".join(lines) or "This request needs no credentials."

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Copy as curl — {summary(self.exchange)}"), classes="title")
            yield Static(Text(self.note()), id="curl-note")
            with VerticalScroll(id="curl-scroll"):
                # The command's own line breaks are real; anything else that
                # would act on the terminal is shown visibly. Copied and saved
                # as it is.
                lines = (shown(line) for line in self.command.split("\n"))
                yield Static(Text("\n".join(lines)), id="curl-command")
            with Horizontal():
                yield Button("Close (Esc)", id="curl-close")
                yield Button("Copy export lines (e)", id="curl-exports")
                yield Button("Save as script (s)", id="curl-save")
                yield Button("Copy (c)", id="curl-copy", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#curl-copy", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "curl-copy":
            self.action_copy()
        elif event.button.id == "curl-save":
            self.action_save()
        elif event.button.id == "curl-exports":
            self.action_copy_exports()
        else:
            self.dismiss(None)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.command)
        self.notify("Copied the curl command to the clipboard.", timeout=4)

    def action_copy_exports(self) -> None:
        """``export LIMIO_TOKEN=…`` lines for the variables the command reads,
        to the clipboard only. Never to a browser: a served demo sends no
        secret there."""
        variables = variables_needed(self.command)
        if not variables:
            self.notify("This command needs no credentials.", timeout=4)
            return
        if to_browser(self.app):
            self.notify("In the browser demo credentials never leave the server.",
                        severity="warning", timeout=6)
            return
        values = self.credentials()
        known = [name for name in variables if values.get(name)]
        if not known:
            self.notify("The active profile has no token yet — make a call first.",
                        severity="warning", timeout=6)
            return
        self.app.copy_to_clipboard("\n".join(export_line(n, values[n]) for n in known) + "\n")
        missing = [name for name in variables if name not in known]
        self.notify(
            f"Copied export lines for {', '.join(known)} (values not shown)."
            + (f" Still to set: {', '.join(missing)}." if missing else ""),
            timeout=6,
        )

    def action_save(self) -> None:
        title = f"Replays exchange {summary(self.exchange)}"

        def write(path: Path) -> None:
            write_script(path, self.command, title=title)

        export_file(  # a browser download when served
            self.app,
            SavePathScreen(
                "Save the curl command as a script",
                "An executable #!/bin/sh file (mode 700). It holds the basket's cookie but "
                "no token: export LIMIO_TOKEN before running it.",
                script_name(self.exchange),
                write,
                cwd=self.cwd,
            ),
            self._saved,
            mime_type="text/x-shellscript",
        )

    def _saved(self, path: Path | None) -> None:
        if path is not None:
            self.notify(f"Saved the curl command to {shown(path)}", timeout=6, markup=False)
