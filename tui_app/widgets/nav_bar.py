"""The screen tabs under the context bar: where you are, and the key for
each screen (as rebound in settings.toml, if it was). It compresses to fit
its width rather than cut: shorter names for the other screens first, then
for the one in view too, then only the keys of the other screens; help, the
palette and quit stay in reach."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from tui_app.formatting import shown
from tui_app.widgets.key_bar import key_display

SCREENS = (
    ("profiles", "app.profiles", "Profiles", "Prof"),
    ("offers", "app.offers", "Offers", "Offers"),
    ("basket", "app.basket", "Basket", "Basket"),
    ("validation", "app.validation", "Validation", "Valid"),
    ("inspector", "app.inspector", "Inspector", "Insp"),
    ("scenarios", "app.scenarios", "Scenarios", "Scen"),
)


class NavBar(Widget, can_focus=False):
    DEFAULT_CSS = """
    NavBar { height: 1; padding: 0 1; background: $boost; color: $text-muted; }
    """

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
        # Tabs are clickable, but drawn as tabs, not as underlined links.
        self.set_reactive(Widget.auto_links, False)

    LEVELS = 4

    def describe(self, level: int = 0) -> Text:
        """The bar at a level of compression: 0 in full, 1 with short names
        for the screens not in view, 2 for the one in view too, 3 with only
        the keys of the screens not in view."""
        line = Text()
        for mode, binding_id, title, short in SCREENS:
            key = shown(key_display(self.app, binding_id), 20)  # from settings.toml
            label = (title, short, short, "")[level]
            if mode == self.mode and level == 2:
                title = short
            # A click goes there too: a browser may keep the F-keys for itself.
            click = Style.from_meta({"@click": f"app.go({mode!r})"})
            if mode == self.mode and level == 0:
                line.append(f"▸{key} {title} ", style=Style(bold=True, reverse=True) + click)
            elif mode == self.mode:  # compact: one space on each side, like the others
                line.append(" ")
                line.append(f"▸{key} {title}", style=Style(bold=True, reverse=True) + click)
            elif level == 0:
                line.append(f" {key} {label} ", style=click)
            else:
                line.append(f" {key} {label}" if label else f" {key}", style=click)
        help_key = shown(key_display(self.app, "app.help"), 20)
        quit_key = shown(key_display(self.app, "app.quit"), 20)
        palette = "ctrl+p commands" if level == 0 else "^p"
        gap = "  " if level == 0 else " "
        line.append(f"{gap}{help_key} help · {palette} · {quit_key} quit", style="dim")
        return line

    def render(self) -> RenderResult:
        width = self.content_size.width
        for level in range(self.LEVELS):
            line = self.describe(level)
            if line.cell_len <= width:
                return line
        return line
