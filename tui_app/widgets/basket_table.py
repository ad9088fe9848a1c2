"""The basket's items as a table that changes in place, drawn from plain strings.

Rows are keyed by order item id and the table remembers what each row shows,
so a redraw touches only the cells that differ, and the cursor stays on the
row the user was looking at.

Each row is kept once, as a tuple of the strings it shows; the table holds
those same strings as its cells (no ``Text`` per cell). A visible cell is
drawn straight into segments from its string (see ``BasketTable._render_cell``),
exactly as Rich would draw the ``Text`` that ``cell_renderable`` describes, so
the cost of a change follows the rows on screen, not the size of the basket:
Textual's own path measured and rendered every visible cell through Rich
again after any change (about 1 ms a row on this project's machine).

Every cell is the tenant's text: it is shown through ``formatting.shown``
(control characters visible, one line, cut with "…" when very long) and drawn
as text, never read as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any, NamedTuple

from rich.cells import cell_len
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual._segment_tools import line_crop
from textual._two_way_dict import TwoWayDict
from textual.cache import LRUCache
from textual.geometry import Region, Size, Spacing
from textual.renderables.styled import Styled
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import Row as TableRow
from textual.widgets.data_table import CellKey, Column, ColumnKey, RowKey

from tui_app.formatting import CELL_MAX, heading, shown
from tui_app.widgets.clear_rows import clear_rows
from tui_app.widgets.steady_scroll_bars import steady_size_updated

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
# The columns that give way, in this order, when the rows are wider than the
# table (the Basket screen at 80 columns): hidden whole rather than left
# behind a sideways scroll.
GIVE_WAY = ("version", "type", "unit", "item")
PLACED_MAX = 2048  # cell styles kept with their place: some seven screenfuls
# Characters besides ASCII that the table's own formatting puts in cells, each
# one cell wide: a shortened id's "…", an unknown value's "—", currency signs.
# A column with no other is measured by len (see _measure).
ONE_CELL_MARKS = tuple(mark for mark in "…—£€¥" if cell_len(mark) == 1)


@dataclass
class GivingWayColumn(Column):
    """A column that can give way to the others: then it takes no room at all."""

    gave_way: bool = False

    def get_render_width(self, data_table: DataTable[Any]) -> int:
        return 0 if self.gave_way else super().get_render_width(data_table)


class _CellLook(NamedTuple):
    """What of the table's settings a cell is drawn by (see _cell_look)."""

    padding: int
    fixed_rows: int
    fixed_columns: int
    show_cursor: bool
    show_hover_cursor: bool
    css_foreground: bool
    css_background: bool


class _Frame(NamedTuple):
    """What every line of a frame shares (see BasketTable._frame_parts)."""

    base_style: Style
    columns: list[Column]
    widths: tuple[int, ...]
    ours: bool  # drawn by BasketTable's own path (else DataTable's)
    show_header: bool
    zebra: bool
    row_count: int
    cursor_row: int
    hover_row: int
    look: _CellLook
    cells_of: Callable[[dict[str, str]], tuple[str, ...]]  # a row's cells, in column order


class Row(NamedTuple):
    """A line of the table (made 500 times a redraw: a tuple is quickest)."""

    key: str
    cells: tuple[str, ...]  # in COLUMNS order, as plain text (as the tenant sent it)

    def cell(self, column: str) -> str:
        return self.cells[COLUMN_KEYS.index(column)]


def _ascii_but_marks(text: str) -> bool:
    """Whether ``text`` holds only ASCII and ONE_CELL_MARKS (str.replace finds
    a mark at C speed; str.translate looked up every character: 0.5 ms for
    the 500 ids of a basket)."""
    if text.isascii():
        return True
    for mark in ONE_CELL_MARKS:
        text = text.replace(mark, "")
    return text.isascii()


def _all_displayed(rows: Iterable[tuple[str, ...]]) -> bool:
    """Whether every cell of ``rows`` is displayed as it is (see ``displayed``),
    checked for all of them at once at C speed (a new 500-item basket: 0.5 ms
    less than row by row)."""
    rows = list(rows)
    return ("".join(map("".join, rows)).isprintable()
            and max(map(len, chain.from_iterable(rows)), default=0) <= CELL_MAX // 2)


def _as_given(cells: tuple[str, ...]) -> tuple[str, ...]:
    return cells


def displayed(cells: tuple[str, ...]) -> tuple[str, ...]:
    """What each cell shows: see the module docstring."""
    if "".join(cells).isprintable() and max(map(len, cells), default=0) <= CELL_MAX // 2:
        return cells  # the common case, checked at C speed (500 rows: ~2 ms less)
    return tuple(
        value if value.isprintable() and len(value) <= CELL_MAX // 2 else shown(value, CELL_MAX)
        for value in cells
    )


def cell_style(column: str, value: str) -> str:
    """A cell's own style (``value`` is already ``displayed``). Words first;
    colour only underlines what the words say."""
    if column == "status":
        if "✗" in value:
            return "bold red"
        if value.startswith("staged"):
            return "bold yellow"
        if value.startswith("!"):
            return "yellow"
    return ""


def cell_renderable(column: str, value: str) -> Text:
    """A cell as a Rich ``Text`` (never markup); ``value`` is already ``displayed``."""
    return Text(value, style=cell_style(column, value),
                justify="right" if column in _RIGHT else None)


class BasketTable(DataTable[str]):
    DEFAULT_CSS = """
    BasketTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.shown: dict[str, tuple[str, ...]] = {}
        # Each row's cells as last given to sync: given again, its shown cells
        # are known without looking into its strings again (the screen keeps
        # an unchanged line's strings, so equal tuples compare by identity).
        self._given: dict[str, tuple[str, ...]] = {}
        for key, label in COLUMNS:
            column_key = self.add_column(heading(label), key=key)
            self.columns[column_key] = GivingWayColumn(**vars(self.columns[column_key]))
        self._styles: dict[str, Style] = {}  # a cell style's name -> as the console reads it
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(1000)
        self._frame: _Frame | None = None
        self._frame_row_styles: dict[tuple[object, ...], Style] = {}
        self._cell_style_cache: dict[tuple[Style, Style, Style, str], tuple[Style, Style]] = {}
        # (id of a padding style, of a text style, row, column) -> the two with
        # the cell's place (see _cell_segments)
        self._placed_styles: dict[tuple[int, int, int, int], tuple[Style, Style]] = {}
        self._rich_drawn = False  # a cell of the line being drawn went through Rich
        self._edge_metas: dict[int, Style] = {}  # row -> the place of its blank end

    # ------------------------------------------------------------- rows

    def sync(self, rows: list[Row]) -> None:
        """Make the table show ``rows``, changing only what differs."""
        given, self._given = self._given, dict(rows)
        shown = self.shown
        show = _as_given if _all_displayed(self._given.values()) else displayed
        wanted = {
            key: shown[key] if given.get(key) == cells and key in shown else show(cells)
            for key, cells in self._given.items()
        }
        gone = [key for key in self.shown if key not in wanted]
        keep, line = self.highlighted_key(), self.cursor_row
        if len(gone) > max(8, len(self.shown) // 10):
            # Another basket, or most of this one replaced: removing rows one
            # by one costs the whole table each time, so start afresh.
            self._rebuild(wanted, keep, line)
            self._settle_dimensions()
            return
        for key in gone:
            self.remove_row(key)
            del self.shown[key]
        added: list[tuple[str, tuple[str, ...]]] = []
        changed: list[str] = []  # rows whose cells changed within their columns' widths
        for key, cells in wanted.items():
            before = self.shown.get(key)
            if before is None:
                added.append((key, cells))
            elif before != cells:
                self._change_row(key, cells, before, changed)
            self.shown[key] = cells
        for key in changed:
            # Only the row is drawn again (update_cell redraws the whole
            # table: 32 lines for a quantity changed in a 500-line basket).
            index = self._row_locations.get(key)  # type: ignore[arg-type]  # str finds it
            if index is not None:
                self.refresh_row(index)
        self._add_rows(added)
        if list(self.shown) != list(wanted):
            # The server reordered items (new rows are appended above): rare,
            # so a full rebuild in the server's order is fine here.
            self._rebuild(wanted, keep, line)
        elif gone and keep in wanted:
            self.move_cursor(row=list(wanted).index(keep), animate=False)
        self._settle_dimensions()

    def _change_row(self, key: str, cells: tuple[str, ...], before: tuple[str, ...],
                    changed: list[str]) -> None:
        """Put a row's new cells in place; it goes in ``changed`` when no
        column's width changes with it (else the whole table is redrawn)."""
        row = self._data[key]  # a str finds its RowKey
        resized = False
        for column, new, old in zip(COLUMN_KEYS, cells, before, strict=True):
            if new == old:
                continue
            if self._may_resize(column, new, old):
                self.update_cell(key, column, new, update_width=True)
                resized = True
            else:
                row[column] = new  # a str finds its ColumnKey, if the row has those
        self._update_count += 1  # DataTable's own caches go by it
        if not resized:
            changed.append(key)

    def _may_resize(self, column: str, new: str, old: str) -> bool:
        """Whether a cell changing from ``old`` to ``new`` can change its
        column's width: it grows past it, or it was the widest and shrinks.
        Else the column stays as it is (measuring it again counts every
        row's cell: ~1 ms of a quantity changed in a 500-line basket)."""
        width = self.columns[ColumnKey(column)].content_width
        new_width, old_width = cell_len(new), cell_len(old)
        return new_width > width or (old_width >= width and new_width < old_width)

    @property
    def _total_row_height(self) -> int:
        # Every row here is one line high (sync adds no other), so the
        # height is the row count: DataTable works it out from every row's
        # offset after any change (~1 ms for 500 rows).
        return len(self.rows)

    def _get_row_region(self, row_index: int) -> Region:
        # As DataTable's, with every row one line high: a row's place is its
        # index (DataTable adds up the heights of all rows above it, ~1 ms
        # each time the cursor is drawn on a new 500-row basket).
        if not self.is_valid_row_index(row_index):
            return Region(0, 0, 0, 0)
        row_width = (sum(column.get_render_width(self) for column in self.columns.values())
                     + self._row_label_column_width)
        y = row_index + (self.header_height if self.show_header else 0)
        return Region(0, y, max(self.size.width, row_width), 1)

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size,
                      layout: bool = True) -> bool:
        return steady_size_updated(self, size, container_size, lambda: super(
            BasketTable, self)._size_updated(size, virtual_size, container_size, layout))

    def _get_fixed_offset(self) -> Spacing:
        # As DataTable's, which lists every row in order to add up the heights
        # of the fixed ones, of which there are none here (0.5 ms each time
        # the cursor is scrolled into view on a 500-row basket).
        if self.fixed_rows:
            return super()._get_fixed_offset()
        left = (sum(column.get_render_width(self)
                    for column in self.ordered_columns[: self.fixed_columns])
                + self._row_label_column_width)
        return Spacing(self.header_height if self.show_header else 0, 0, 0, left)

    def _settle_dimensions(self) -> None:
        """Size the columns for what ``sync`` changed now, as DataTable does
        when it is next idle: else the first frame is drawn with the old
        widths and every visible line again once they are known (~9 ms for a
        new 500-item basket, profile)."""
        if self._updated_cells:
            updated, self._updated_cells = self._updated_cells, set()
            self._update_column_widths(updated)
        if self._require_update_dimensions:
            self._require_update_dimensions = False
            new_rows, self._new_rows = self._new_rows, set()
            self._update_dimensions(new_rows)

    def _add_rows(self, rows: list[tuple[str, tuple[str, ...]]]) -> None:
        """Append ``rows`` at once: what ``add_row`` does for each, with the
        per-row work (cursor checks, a refresh, an idle check, measuring
        each cell later by its key) done once, and the table's maps filled
        a map at a time (a row key hashes in Python: a 500-row basket hashed
        them 7,500 times, a third of this)."""
        if not rows:
            return
        locations = self._row_locations  # a str finds its RowKey: same hash, equal
        if len(dict.fromkeys(key for key, _ in rows)) < len(rows) or (locations and any(
            key in locations for key, _ in rows
        )):
            for key, cells in rows:  # raises DuplicateKey, as add_row would
                self.add_row(*cells, key=key)
        # A row's cells are keyed by the columns' plain names: a ColumnKey
        # finds its str (same hash, equal), and a str hashes at C speed where
        # a ColumnKey hashes in Python (4,000 calls for 500 new rows).
        columns = [column.key.value for column in self.ordered_columns]
        start = self.row_count
        keys = [RowKey(key) for key, _ in rows]
        if start == 0:
            self._row_locations = TwoWayDict(dict(zip(keys, range(len(keys)), strict=True)))
        else:
            for index, row_key in enumerate(keys, start):
                locations[row_key] = index
        self._data.update(zip(keys, [dict(zip(columns, cells, strict=True)) for _, cells in rows],
                              strict=True))
        self.rows.update((row_key, TableRow(row_key, 1, None, False)) for row_key in keys)
        self._measure([cells for _, cells in rows])
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        if self.row_count == len(rows) and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()  # a cursor appears where there was none
        self._update_count += 1
        self.check_idle()
        self.refresh()

    def _rebuild(self, wanted: dict[str, tuple[str, ...]], keep: str | None, line: int) -> None:
        """Show ``wanted`` from scratch, the cursor back on row ``keep`` if it
        is still there, else on the same line."""
        clear_rows(self)
        self.shown = dict(wanted)
        self._add_rows(list(wanted.items()))
        if not wanted:
            return
        keys = list(wanted)
        self.move_cursor(row=keys.index(keep) if keep in wanted else min(line, len(keys) - 1),
                         animate=False)

    # ------------------------------------------------------------- widths

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Rows added by _add_rows are measured there; any other new row here
        # (DataTable's own paths); then the base class sizes the table.
        shown = self.shown
        self._measure([cells for row_key in new_rows
                       if (cells := shown.get(str(row_key.value))) is not None])
        self._fit_columns()
        super()._update_dimensions(())

    def _measure(self, rows: list[tuple[str, ...]]) -> None:
        """Widen the columns for these rows' cells. Every cell is one line of
        plain text we already hold, so its width is counted directly (Textual
        measures each through Rich: a 500-row basket took ~70 ms)."""
        for column, values in zip(self.ordered_columns, zip(*rows, strict=True), strict=False):
            # A printable string of ASCII and one-cell marks is as wide as it
            # is long: counted by len at C speed, a column at a time (cell_len
            # was most of this: the 500 shortened ids of a new basket, each
            # ending in "…", were 1.9 ms of its redraw).
            measure = len if _ascii_but_marks("".join(values)) else cell_len
            # Lines repeat their prices, types and versions: each once.
            column.content_width = max(column.content_width, max(map(measure, set(values))))

    @property
    def hidden_columns(self) -> tuple[str, ...]:
        return tuple(str(column.key.value) for column in self.ordered_columns
                     if getattr(column, "gave_way", False))

    def _fit_columns(self) -> bool:
        """Hide the columns that give way until the rows fit the width (and
        show them again when there is room); True when that changed."""
        room = self.size.width - self.styles.scrollbar_size_vertical
        if room <= 0:
            return False
        padding = 2 * self.cell_padding
        by_key = {str(column.key.value): column for column in self.ordered_columns}
        total = sum(column.content_width + padding for column in by_key.values())
        hide = set()
        for key in GIVE_WAY:
            if total <= room:
                break
            total -= by_key[key].content_width + padding
            hide.add(key)
        changed = False
        for key, column in by_key.items():
            if isinstance(column, GivingWayColumn) and column.gave_way != (key in hide):
                column.gave_way = key in hide
                changed = True
        if changed:
            self._strips.clear()
            self.refresh()
        return changed

    def _on_resize(self, event: events.Resize) -> None:
        if self._fit_columns():
            self._require_update_dimensions = True
        super()._on_resize(event)

    def _update_column_widths(self, updated_cells: set[CellKey]) -> None:
        # As Textual's (a column narrows again when its widest cell does),
        # counted from the strings instead of measured through Rich.
        for row_key, column_key in updated_cells:
            column = self.columns.get(column_key)
            if column is None or row_key not in self.rows:
                continue
            label_width = cell_len(column.label.plain)
            new_width = cell_len(self._data[row_key][column_key])
            if new_width < column.content_width:
                widths = [cell_len(cells[column_key]) for cells in self._data.values()]
                column.content_width = max([*widths, label_width])
            else:
                column.content_width = max(new_width, label_width)
        self._require_update_dimensions = True

    # ------------------------------------------------------------- drawing

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line of the frame shares, worked out once for the frame
        # (the widget's style alone walks every ancestor).
        self._frame = self._frame_parts()
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None
            self._frame_row_styles.clear()

    def _row_style(self, index: int, base_style: Style) -> Style:
        """``_get_row_style``, worked out once a frame for each kind of row
        (header, fixed, odd, even): each one walks the widget's ancestors for
        its component style, and showed in the profile of every new line."""
        frame = self._frame
        if frame is None:
            return self._get_row_style(index, base_style)
        kind = (index == -1, index < frame.look.fixed_rows, frame.zebra and index % 2)
        style = self._frame_row_styles.get(kind)
        if style is None:
            style = self._frame_row_styles[kind] = self._get_row_style(index, base_style)
        return style

    def _frame_parts(self) -> _Frame:
        """What the lines of a frame share: the settings a line is drawn by,
        each read once (reading a reactive costs about a microsecond, and a
        line read some twenty of them)."""
        columns = self.ordered_columns
        look = self._cell_look()
        return _Frame(
            self.rich_style, columns, tuple(column.get_render_width(self) for column in columns),
            self.cursor_type == "row" and not (look.fixed_rows or look.fixed_columns)
            and not self._labelled_row_exists and self.header_height == 1,
            self.show_header, self.zebra_stripes, self.row_count,
            self.cursor_coordinate.row, self.hover_coordinate.row, look,
            itemgetter(*(str(column.key.value) for column in columns)),  # 8 columns: a tuple
        )

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the table on screen: the header or one row. A row's
        line is kept, keyed by everything it shows (its strings, its place,
        cursor and hover, the column widths and the styles), so a change
        draws again only the rows it touched; Textual's own path drew every
        visible row again after any change. The same strips as
        ``DataTable.render_line`` (a test holds it to that)."""
        frame = self._frame or self._frame_parts()
        if not frame.ours:
            return super().render_line(y)
        base_style, columns, widths = frame.base_style, frame.columns, frame.widths
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        index = (-1 if y < 1 else y - 1 + scroll_y) if frame.show_header else y + scroll_y
        if index >= frame.row_count:
            return Strip.blank(width, base_style)
        cursor, hover = frame.cursor_row == index, frame.hover_row == index
        if index == -1:
            values: tuple[str, ...] = tuple(column.label.plain for column in columns)
        else:
            # The cells are keyed by str (see _add_rows): found at C speed.
            values = frame.cells_of(self._data[self._row_locations.get_key(index)])
        look = frame.look
        key = (
            index, values, cursor, hover, widths, width, scroll_x, base_style,
            self._pseudo_class_state, look.show_hover_cursor, look.show_cursor,
        )
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._draw_line(index, values, columns, widths, width,
                                                       scroll_x, base_style, cursor, hover, look)
        return strip

    def _draw_line(self, index: int, values: tuple[str, ...], columns: list[Column],
                   widths: tuple[int, ...], width: int, scroll_x: int, base_style: Style,
                   cursor: bool, hover: bool, look: _CellLook) -> Strip:
        """One row (or the header, ``index`` -1) as ``DataTable._render_line``
        draws it for a row cursor with no fixed rows, columns or labels."""
        row_style = self._row_style(index, base_style)
        self._rich_drawn = False
        segments: list[Segment] = []
        # Every data cell of the line has the same cursor and hover styles
        # (no fixed cells here): looked up once, not once a cell.
        styles = None if index == -1 else self._get_styles_to_render_cell(
            False, False, False, hover, cursor, look.show_cursor,
            look.show_hover_cursor, look.css_foreground, look.css_background,
        )
        for column_index, (column, column_width, value) in enumerate(
            zip(columns, widths, values, strict=True)
        ):
            segments.extend(self._cell_segments(
                index, column_index, column.key, None if index == -1 else value,
                row_style, column_width, cursor, hover, look, styles))
        extend, _ = self._get_styles_to_render_cell(
            index == -1, False, False, hover, cursor, look.show_cursor,
            look.show_hover_cursor, False, False,
        )
        edge = self._edge_metas.get(index)
        if edge is None:
            if len(self._edge_metas) > PLACED_MAX:
                self._edge_metas.clear()
            edge = self._edge_metas[index] = Style.from_meta(
                {"row": index, "column": 0, "out_of_bounds": True})
        extend = row_style + extend + edge
        rest = width - sum(widths)
        segments.append(Segment(" " * max(0, rest), extend))
        if scroll_x == 0 and rest >= 0:
            # Each cell is exactly its column's width: the line is the
            # table's width, nothing to crop (line_crop measured every
            # segment again, the new ids of a basket through Rich's slow path).
            strip = Strip(segments, width)
        else:
            cropped = line_crop(segments, scroll_x, scroll_x + width, width)
            strip = Strip(cropped).adjust_cell_length(width, base_style)
        # Cells drawn here come simplified (see _cell_segments); one through
        # Rich may not.
        return strip.simplify() if self._rich_drawn else strip

    def _cell_look(self) -> _CellLook:
        """The table's settings every cell is drawn by: read once a frame,
        not seven times a cell (reading reactives was a third of drawing one)."""
        return _CellLook(
            self.cell_padding, self.fixed_rows, self.fixed_columns, self.show_cursor,
            self._show_hover_cursor, self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._cell_style_cache.clear()
        self._placed_styles.clear()  # keyed by the ids of the styles just let go

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """One cell as segments, made from its string: the same segments (after
        ``Strip.simplify``, which the table applies to every line) as Rich
        draws for ``cell_renderable`` padded and styled as ``DataTable`` does."""
        if column_index < 0 or row_index < -1:
            return super()._render_cell(row_index, column_index, base_style, width,
                                        cursor, hover)
        column_key = self._column_locations.get_key(column_index)
        value = None if row_index == -1 else (
            self._data[self._row_locations.get_key(row_index)][column_key])
        return [self._cell_segments(row_index, column_index, column_key, value, base_style,
                                    width, cursor, hover, self._cell_look())]

    def _cell_segments(
        self, row_index: int, column_index: int, column_key: ColumnKey, value: str | None,
        base_style: Style, width: int, cursor: bool, hover: bool, look: _CellLook,
        styles: tuple[Style, Style] | None = None,
    ) -> list[Segment]:
        """``_render_cell`` for a cell whose string (``value``, None for the
        header's label) and column are known; ``styles``: its cursor and hover
        styles (``_get_styles_to_render_cell``), when the caller has them."""
        header = row_index == -1
        if header:
            label = self.columns[column_key].label
            if label.spans or label.style or label.justify not in (None, "default"):
                self._rich_drawn = True
                return super()._render_cell(row_index, column_index, base_style, width,
                                            cursor, hover)[0]
            value, style, right = label.plain, "", False
        else:
            column = column_key.value or ""
            assert value is not None
            style, right = cell_style(column, value), column in _RIGHT
        if right:
            value = value.rstrip()  # as Rich's right justification does
        if width == 0:  # a column that gave way
            return []
        pad = look.padding
        fill = width - 2 * pad - cell_len(value)
        if fill < 0 or "\n" in value:
            # Not for a displayed cell, except for a moment when a cell has
            # grown and its column not yet: drawn through Rich then.
            self._rich_drawn = True
            return self.rich_cell(row_index, column_index, base_style, width, cursor, hover)[0]
        if styles is None:
            is_fixed = not header and (row_index < look.fixed_rows
                                       or column_index < look.fixed_columns)
            styles = self._get_styles_to_render_cell(
                header, False, is_fixed, hover, cursor, look.show_cursor,
                look.show_hover_cursor, look.css_foreground, look.css_background,
            )
        component, post = styles
        plain, text = self._cell_styles(base_style, component, post, style)
        # The cell's place, which a mouse click reads, comes last: Rich adds
        # styles attribute by attribute, so the result is the one Rich makes
        # adding it first (the test compares them). Kept by place and look:
        # the lines of the next basket are drawn at the same places.
        # Keyed by the styles' ids (they live in _cell_style_cache, cleared
        # with this): a tuple of ints hashes at C speed, a Style in Python.
        place = (id(plain), id(text), row_index, column_index)
        placed = self._placed_styles.get(place)
        if placed is None:
            if len(self._placed_styles) > PLACED_MAX:
                self._placed_styles.clear()
            meta = Style.from_meta({"row": row_index, "column": column_index})
            placed = self._placed_styles[place] = (plain + meta, text + meta)
        plain, text = placed
        if not style:
            # Padding and text alike: one segment, as Strip.simplify would
            # make of the three (so the line needs no simplify).
            line = (f"{' ' * (pad + fill)}{value}{' ' * pad}" if right
                    else f"{' ' * pad}{value}{' ' * (fill + pad)}")
            return [Segment(line, plain)] if line else []
        if right:
            segments = [Segment(" " * pad, plain), Segment(" " * fill + value, text),
                        Segment(" " * pad, plain)]
        else:
            segments = [Segment(" " * pad, plain), Segment(value, text),
                        Segment(" " * (fill + pad), plain)]
        return [segment for segment in segments if segment.text]

    def _cell_styles(self, base: Style, component: Style, post: Style,
                     own: str) -> tuple[Style, Style]:
        """The styles of a cell's padding and of its text, as ``Styled``
        makes them (pre style, the segment's own, post style), without the
        cell's place."""
        key = (base, component, post, own)
        styles = self._cell_style_cache.get(key)
        if styles is None:
            pre = base + component
            styles = self._cell_style_cache[key] = (
                pre + Style.null() + post, pre + self._style(own) + post
            )
        return styles

    def rich_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A data cell drawn through Rich as ``DataTable`` draws a cell, from
        ``cell_renderable`` (the tests hold ``_render_cell`` to this)."""
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cell = cell_renderable(column_key.value or "", self._data[row_key][column_key])
        is_fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component, post = self._get_styles_to_render_cell(
            False, False, is_fixed, hover, cursor, self.show_cursor,
            self._show_hover_cursor, self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        base_style += Style.from_meta({"row": row_index, "column": column_index})
        options = self.app.console_options.update_dimensions(width, 1).update(no_wrap=True)
        return self.app.console.render_lines(
            Styled(Padding(cell, (0, self.cell_padding)), pre_style=base_style + component,
                   post_style=post),
            options,
        )

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.app.console.get_style(name, default=Style.null())
        return style

    # ------------------------------------------------------------- reading

    def highlighted_key(self) -> str | None:
        if self.row_count == 0:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    def cell_text(self, key: str, column: str) -> str:
        """What a cell shows, as plain text (for tests and for copy)."""
        return self.shown[key][COLUMN_KEYS.index(column)]
