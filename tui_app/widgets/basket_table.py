"""The basket's items as a table that changes in place.

Rows are keyed by order item id and the table remembers what each row shows,
so a redraw touches only the cells that differ: a 500-item basket stays
instant, and the cursor stays on the row the user was looking at.

Every cell is the tenant's text: it is shown through ``formatting.shown``
(control characters visible, one line, cut with "…" when very long) and drawn
as a ``Text``, never read as markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from tui_app.formatting import CELL_MAX, shown

# (key, header): the status column sits early so it is visible at 80 columns.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("item", "Item"),
    ("offer", "Offer"),
    ("qty", "Qty"),
    ("unit", "Unit price"),
    ("total", "Line total"),
    ("status", "Status"),
    ("type", "Type"),
    ("version", "Version"),
)
COLUMN_KEYS = tuple(key for key, _ in COLUMNS)
_RIGHT = {"qty", "unit", "total"}


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[str, ...]  # in COLUMNS order, as plain text (as the tenant sent it)

    def cell(self, column: str) -> str:
        return self.cells[COLUMN_KEYS.index(column)]


def displayed(cells: tuple[str, ...]) -> tuple[str, ...]:
    """What each cell shows: see the module docstring."""
    return tuple(shown(value, CELL_MAX) for value in cells)


def render_cell(column: str, value: str) -> Text:
    """A cell as drawn; ``value`` is already ``displayed``."""
    if column in _RIGHT:
        return Text(value, justify="right")
    if column == "status":
        # Words first; colour only underlines what the words say.
        if "✗" in value:
            return Text(value, style="bold red")
        if value.startswith("staged"):
            return Text(value, style="bold yellow")
        if value.startswith("!"):
            return Text(value, style="yellow")
    return Text(value)


class BasketTable(DataTable[Text]):
    DEFAULT_CSS = """
    BasketTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.shown: dict[str, tuple[str, ...]] = {}
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def sync(self, rows: list[Row]) -> None:
        """Make the table show ``rows``, changing only what differs."""
        wanted = {row.key: displayed(row.cells) for row in rows}
        gone = [key for key in self.shown if key not in wanted]
        keep, line = self.highlighted_key(), self.cursor_row
        if len(gone) > max(8, len(self.shown) // 10):
            # Another basket, or most of this one replaced: removing rows one
            # by one costs the whole table each time, so start afresh.
            self._rebuild(wanted, keep, line)
            return
        for key in gone:
            self.remove_row(key)
            del self.shown[key]
        for key, cells in wanted.items():
            before = self.shown.get(key)
            if before is None:
                self._add(key, cells)
            elif before != cells:
                for column, new, old in zip(COLUMN_KEYS, cells, before, strict=True):
                    if new != old:
                        self.update_cell(key, column, render_cell(column, new), update_width=True)
            self.shown[key] = cells
        if list(self.shown) != list(wanted):
            # The server reordered items (new rows are appended above): rare,
            # so a full rebuild in the server's order is fine here.
            self._rebuild(wanted, keep, line)
        elif gone and keep in wanted:
            self.move_cursor(row=list(wanted).index(keep), animate=False)

    def _add(self, key: str, cells: tuple[str, ...]) -> None:
        self.add_row(*(render_cell(c, v) for c, v in zip(COLUMN_KEYS, cells, strict=True)),
                     key=key)

    def _rebuild(self, wanted: dict[str, tuple[str, ...]], keep: str | None, line: int) -> None:
        """Show ``wanted`` from scratch, the cursor back on row ``keep`` if it
        is still there, else on the same line."""
        self.clear()
        self.shown = {}
        for key, cells in wanted.items():
            self._add(key, cells)
            self.shown[key] = cells
        if not wanted:
            return
        keys = list(wanted)
        self.move_cursor(row=keys.index(keep) if keep in wanted else min(line, len(keys) - 1),
                         animate=False)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # DataTable measures each new cell through Rich (a 500-row basket:
        # ~70 ms on every initiate). Every cell here is one line of plain text
        # we already hold, so its width is counted directly; then the base
        # class sizes the table with no rows left to measure.
        columns = self.ordered_columns
        for row_key in new_rows:
            cells = self.shown.get(str(row_key.value))
            if cells is None:  # removed again before the table was idle
                continue
            for column, text in zip(columns, cells, strict=True):
                column.content_width = max(column.content_width, cell_len(text))
        super()._update_dimensions(())

    def highlighted_key(self) -> str | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def cell_text(self, key: str, column: str) -> str:
        """What a cell shows, as plain text (for tests and for copy)."""
        return self.shown[key][COLUMN_KEYS.index(column)]
