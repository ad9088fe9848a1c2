"""A small "save to which file?" dialog for exports of exchanges (HAR, curl
scripts). It checks the path next to the field, asks before replacing a file,
runs the caller's writer and dismisses with the path it wrote, or None."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui_app.formatting import shown
from tui_app.services.store.files import StoreError
from tui_app.widgets.plain_input import PlainInput

Writer = Callable[[Path], object]


def problem_with(path_text: str, cwd: Path) -> tuple[Path | None, str | None]:
    """The absolute path meant by ``path_text``, or why it cannot be used."""
    text = path_text.strip()
    if not text:
        return None, "type a file name"
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = cwd / path
    if path.is_dir():
        return None, f"{path} is a folder — add a file name"
    if not path.parent.is_dir():
        return None, f"the folder {path.parent} does not exist"
    return path, None


class SavePathScreen(ModalScreen[Path | None]):
    DEFAULT_CSS = """
    SavePathScreen { align: center middle; }
    SavePathScreen > Vertical {
        width: 80; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    SavePathScreen .title { text-style: bold; margin-bottom: 1; }
    SavePathScreen #save-problem { color: $text-error; height: auto; }
    SavePathScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    SavePathScreen Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="save.cancel")]

    def __init__(
        self,
        title: str,
        note: str,
        default: str,
        write: Writer,
        *,
        cwd: Path | None = None,
    ) -> None:
        super().__init__()
        self.title_text, self.note, self.default, self.write = title, note, default, write
        self.cwd = cwd or Path.cwd()
        self._replace_ok: Path | None = None  # a path the user agreed to replace

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(shown(self.title_text)), classes="title")
            yield Static(Text(shown(self.note)))
            yield PlainInput(self.default, id="save-path")
            yield Static("", id="save-problem")
            with Horizontal():
                yield Button("Cancel (Esc)", id="save-cancel")
                yield Button("Save (Enter)", id="save-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._replace_ok = None
        self.say("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save-ok":
            self.save()
        else:
            self.dismiss(None)

    def say(self, problem: str) -> None:
        # The problem quotes the typed path: shown as text, never as markup.
        self.query_one("#save-problem", Static).update(Text(shown(problem)))

    def save(self) -> None:
        path, problem = problem_with(self.query_one(Input).value, self.cwd)
        if path is None:
            self.say(f"✗ {problem}")
            return
        if path.exists() and self._replace_ok != path:
            self._replace_ok = path
            self.say(f"! {path} exists — press Enter again to replace it")
            return
        try:
            self.write(path)
        except (StoreError, OSError) as exc:
            self.say(f"✗ {exc}")
            return
        self.dismiss(path)
