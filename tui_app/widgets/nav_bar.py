"""The screen tabs under the context bar: where you are, and the key for
each screen (as rebound in settings.toml, if it was)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

SCREENS = (
    ("profiles", "app.profiles", "Profiles"),
    ("offers", "app.offers", "Offers"),
    ("basket", "app.basket", "Basket"),
    ("validation", "app.validation", "Validation"),
    ("inspector", "app.inspector", "Inspector"),
    ("scenarios", "app.scenarios", "Scenarios"),
)


class NavBar(Static):
    DEFAULT_CSS = """
    NavBar { height: 1; padding: 0 1; background: $boost; color: $text-muted; }
    """

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def on_mount(self) -> None:
        self.update(self.describe())

    def key_for(self, binding_id: str) -> str:
        for bindings in self.app._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.id == binding_id:
                    return self.app.get_key_display(binding)
        return "?"

    def describe(self) -> Text:
        line = Text()
        for mode, binding_id, title in SCREENS:
            label = f"{self.key_for(binding_id)} {title}"
            if mode == self.mode:
                line.append(f"▸{label} ", style="bold reverse")
            else:
                line.append(f" {label} ")
        line.append(f"  {self.key_for('app.help')} help · ctrl+p commands · "
                    f"{self.key_for('app.quit')} quit", style="dim")
        return line
