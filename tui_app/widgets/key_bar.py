"""The screen's keys along the bottom, drawn as one line of text.

It shows what Textual's compact Footer shows (each key the screen offers,
dimmed when it cannot act now, ctrl+p on the right, every key clickable) but
is a single widget. The Footer mounts a widget per key and remounts them all
whenever the bindings change, which happens every time a dialog closes: about
25 ms each time, on every update of the basket. Here a change is one repaint.
"""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.screen import Screen
from textual.style import Style
from textual.widget import Widget


class KeyBar(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        # Keys are clickable, but drawn as keys, not as underlined links.
        self.set_reactive(Widget.auto_links, False)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is self.screen:
            self.refresh()

    def _key(self, key: str, display: str, description: str, enabled: bool) -> Content:
        # A click presses the key, as it does on Textual's footer.
        click = Style.from_meta({"@click": f"app.simulate_key({key!r})"})
        dim = Style() if enabled else Style(dim=True)
        return Content.assemble(
            (display, self.get_visual_style("key-bar--key") + click + dim),
            (f" {description}", self.get_visual_style("key-bar--description") + click + dim),
        )

    def render(self) -> RenderResult:
        app, screen = self.app, self.screen
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        keys: list[Content] = []
        palette: Content | None = None
        seen: set[str] = set()
        for key, (_node, binding, enabled, _tooltip) in screen.active_bindings.items():
            if key == palette_key:
                palette = self._key(key, app.get_key_display(binding), binding.description,
                                    enabled)
                continue
            if not binding.show or binding.action in seen:
                continue  # like the Footer: one entry per action
            seen.add(binding.action)
            keys.append(self._key(key, app.get_key_display(binding), binding.description,
                                  enabled))
        line = Content(" ").join(keys)
        if palette is None:
            return line
        gap = self.size.width - line.cell_length - palette.cell_length - 2
        if gap < 1:
            return line
        return Content.assemble(line, " " * gap, "│ ", palette)
