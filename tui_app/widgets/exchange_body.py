"""A scrolling view of many lines of styled text that only renders the rows
in sight. A 20 kB catalogue reply pretty-prints to thousands of lines; a
Static would lay all of them out again on every key press."""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip


class ExchangeBody(ScrollView, can_focus=True):
    """Lines are wrapped to the width once (again on resize), then drawn row by row."""

    ALLOW_SELECT = True
    DEFAULT_CSS = """
    ExchangeBody { height: 1fr; scrollbar-gutter: stable; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._lines: list[Text] = []
        self._rows: list[Text] = []
        self._wrapped_at = 0
        self._strips: dict[int, Strip] = {}

    def set_lines(self, lines: list[Text], *, home: bool = True) -> None:
        self._lines = lines
        self._wrapped_at = -1  # wrap again, whatever the width
        self._rewrap()
        if home:
            self.scroll_to(0, 0, animate=False)

    @property
    def text(self) -> str:
        return "\n".join(line.plain for line in self._lines)

    def _rewrap(self) -> None:
        width = self.scrollable_content_region.width
        if width == self._wrapped_at:
            return
        if width <= 0:  # not laid out yet: on_resize will wrap
            self._rows, self._wrapped_at = [], 0
            self._strips.clear()
            return
        rows: list[Text] = []
        for line in self._lines:
            if line.cell_len <= width:
                rows.append(line)
            else:
                rows.extend(line.wrap(self.app.console, width, overflow="fold"))
        self._rows, self._wrapped_at = rows, width
        self._strips.clear()
        self.virtual_size = Size(width, len(rows))
        self.refresh()

    def on_resize(self) -> None:
        self._rewrap()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= len(self._rows):
            return Strip.blank(width, style)
        strip = self._strips.get(index)
        if strip is None:
            row = self._rows[index].copy()
            row.no_wrap = True
            selection = self.text_selection
            if selection is not None and (span := selection.get_span(index)) is not None:
                start, end = span
                row.stylize(self.screen.get_component_rich_style("screen--selection"),
                            start, len(row) if end == -1 else end)
            strip = Strip(row.render(self.app.console), row.cell_len)
            if selection is None:
                self._strips[index] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_style(
            style).apply_offsets(scroll_x, index)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(row.plain for row in self._rows)), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._strips.clear()
        self.refresh()
