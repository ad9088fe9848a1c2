"""A table of keys laid out as plain lines for the width it is shown at.

The help dialog showed its keys as Rich tables, which Textual measured and
drew again at every layout pass: ~200 ms before F1's dialog appeared (profile
of the first F1 after start-up). Here each column is as wide as its widest
cell, the middle one takes what is left and wraps its words within itself,
and the lines are worked out once per width.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

GAP = "  "
EDGE = " "  # as a Rich table without a box pads its cells


def wrap_cell(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` cells, broken between words
    (a word longer than a line is cut)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while cell_len(word) > width:
            if line:
                lines.append(line)
                line = ""
            head = ""
            for char in word:
                if cell_len(head + char) > width:
                    break
                head += char
            lines.append(head)
            word = word[len(head):]
        if not line:
            line = word
        elif cell_len(line) + 1 + cell_len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line or not lines:
        lines.append(line)
    return lines


def pad(text: str, width: int) -> str:
    return text + " " * max(width - cell_len(text), 0)


class KeyTable(Widget):
    """``headers`` over ``rows`` of text (never markup); ``styles`` per
    column ("" or a Rich style). Every column but the second keeps its
    cells on one line; the second wraps."""

    DEFAULT_CSS = "KeyTable { height: auto; }"

    def __init__(self, headers: Sequence[str], rows: Sequence[Sequence[str]],
                 styles: Sequence[str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.headers = tuple(headers)
        self.rows = [tuple(row) for row in rows]
        self.column_styles = tuple(styles) + ("",) * (len(self.headers) - len(styles))
        self._lines: tuple[int, Text] | None = None

    def lines_for(self, width: int) -> Text:
        if self._lines is not None and self._lines[0] == width:
            return self._lines[1]
        table = [self.headers, *self.rows]
        widths = [max(cell_len(row[c]) for row in table) for c in range(len(self.headers))]
        if len(widths) > 1:
            others = sum(w for i, w in enumerate(widths) if i != 1)
            room = width - 2 * len(EDGE) - len(GAP) * (len(widths) - 1) - others
            widths[1] = max(min(widths[1], room), 8)
        text = Text(no_wrap=True, overflow="crop")
        for number, row in enumerate(table):
            cells = [wrap_cell(cell, widths[c]) if c == 1 else [cell]
                     for c, cell in enumerate(row)]
            for depth in range(max(len(cell) for cell in cells)):
                if text:
                    text.append("\n")
                text.append(EDGE)
                for c, cell in enumerate(cells):
                    if c:
                        text.append(GAP)
                    part = cell[depth] if depth < len(cell) else ""
                    style = "bold" if number == 0 else self.column_styles[c]
                    text.append(pad(part, widths[c]) if c < len(cells) - 1 else part, style)
        self._lines = (width, text)
        return text

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines_for(width).plain.split("\n"))

    def render(self) -> Text:
        return self.lines_for(self.content_size.width or self.size.width)
