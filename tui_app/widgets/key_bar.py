"""The screen's keys along the bottom, drawn as one line of text.

It shows what Textual's compact Footer shows (each key the screen offers,
dimmed when it cannot act now, ctrl+p on the right, every key clickable) but
is a single widget, and it fits its width by priority: when not every key
fits, the screen's main actions (its ``KEY_PRIORITY``) stay, the rest give
way to "F1 more", and no key is ever cut mid-word.

Textual's Footer mounts a widget per key and remounts them all whenever the
bindings change, which happens every time a dialog closes: about
25 ms each time, on every update of the basket. Here a change is one repaint.
"""

from __future__ import annotations

from typing import NamedTuple

from textual.app import App, RenderResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.style import Style
from textual.widget import Widget

from tui_app.formatting import shown

KEY_MAX = 12  # a key as rebound in settings.toml (a file: outside text)


def key_display(app: App, binding_id: str, default: str = "?") -> str:
    """How the key bound to ``binding_id`` is shown, as rebound in
    settings.toml if it was: from the app's own bindings, else (a screen's
    binding) from the keymap, else ``default``, the key it has unless rebound."""
    for bindings in app._bindings.key_to_bindings.values():
        for binding in bindings:
            if binding.id == binding_id:
                return app.get_key_display(binding)
    keys = app._keymap.get(binding_id)
    key = keys.split(",")[0] if keys else default
    return app.get_key_display(Binding(key, "")) if key != "?" else key


def fit_by_priority(widths: list[int], ranks: list[int], room: int, more: int) -> list[int]:
    """Which entries (by index) to show in ``room`` cells, one space between
    them: all if they fit, else the best-ranked ones that fit beside a
    "more" entry ``more`` cells wide. Shown in their own order."""
    def cost(chosen: list[int]) -> int:
        return sum(widths[i] for i in chosen) + max(len(chosen) - 1, 0)

    everything = list(range(len(widths)))
    if cost(everything) <= room:
        return everything
    chosen: list[int] = []
    for index in sorted(everything, key=lambda i: (ranks[i], i)):
        if cost([*chosen, index]) + 1 + more <= room:
            chosen.append(index)
    return sorted(chosen)


class _BarKey(NamedTuple):
    """A binding of the screen, as the bar reads it."""

    key: str
    action: str
    description: str
    show: bool
    enabled: bool
    display: str  # the key as shown (rebound in settings.toml, perhaps)


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
        self._styles: tuple[Style, Style] = (Style(), Style())  # see render()
        self._drawn_keys: tuple[tuple[_BarKey, ...], str] | None = None  # as render() read them

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        # Told each time its screen is shown, or focus moves: drawn again only
        # if a key it shows changed (drawing the bar: 1.5-2.4 ms of every
        # switch of screens, profile).
        if screen is self.screen and self._keys(screen) != self._drawn_keys:
            self.refresh()

    def _keys(self, screen: Screen) -> tuple[tuple[_BarKey, ...], str]:
        """Every binding of the screen as the bar reads it, and F1's display."""
        app = self.app
        return (
            tuple(_BarKey(key, binding.action, binding.description, binding.show, enabled,
                          app.get_key_display(binding))
                  for key, (_node, binding, enabled, _tooltip)
                  in screen.active_bindings.items()),
            key_display(app, "app.help"),
        )

    def _key(self, key: str, display: str, description: str, enabled: bool) -> Content:
        # A click presses the key, as it does on Textual's footer.
        click = Style.from_meta({"@click": f"app.simulate_key({key!r})"})
        dim = Style() if enabled else Style(dim=True)
        key_style, description_style = self._styles
        return Content.assemble(
            (shown(display, KEY_MAX), key_style + click + dim),
            (f" {description}", description_style + click + dim),
        )

    def render(self) -> RenderResult:
        # The two styles every key is drawn in, worked out once a render
        # rather than twice a key (most of drawing the bar, profile).
        self._styles = (self.get_visual_style("key-bar--key"),
                        self.get_visual_style("key-bar--description"))
        app, screen = self.app, self.screen
        self._drawn_keys = read, help_display = self._keys(screen)
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        priority: tuple[str, ...] = getattr(screen, "KEY_PRIORITY", ())
        keys: list[Content] = []
        ranks: list[int] = []
        palette: Content | None = None
        seen: set[str] = set()
        for entry in read:
            if entry.key == palette_key:
                palette = self._key(entry.key, entry.display, entry.description, entry.enabled)
                continue
            if not entry.show or entry.action in seen:
                continue  # like the Footer: one entry per action
            seen.add(entry.action)
            keys.append(self._key(entry.key, entry.display, entry.description, entry.enabled))
            name = entry.action.split("(")[0]
            ranks.append(priority.index(name) if name in priority else len(priority))
        more = self._key("f1", help_display, "more", True)
        width = self.size.width
        shown = fit_by_priority(
            [k.cell_length for k in keys], ranks, width, more.cell_length
        )
        parts = [keys[i] for i in shown]
        if len(shown) < len(keys):
            parts.append(more)
        line = Content(" ").join(parts)
        if palette is None:
            return line
        gap = width - line.cell_length - palette.cell_length - 2
        if gap < 1:
            return line
        return Content.assemble(line, " " * gap, "│ ", palette)
