"""The basket table changes in place: the rows follow the basket, and the
cursor stays on the line the user was looking at."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from tui_app.widgets.basket_table import COLUMN_KEYS, BasketTable, Row

from pilot import (
    build_app,
    initiate,
    ready,
    screen_text,
    scroll_bar_redraws_on_a_new_layout,
    settle,
)


def rows(keys, qty="1"):
    return [Row(key, tuple(qty if c == "qty" else f"{c}-{key}" for c in COLUMN_KEYS))
            for key in keys]


# Cells of every kind the table draws: styled, right-justified, wide, empty, odd.
VARIED = {
    "item": ["abc…", "", "日本語…", "x" * 9],
    "offer": ["Digital Monthly", "[/b] [bold red]x[/]", "␛[31mred␛[0m", "L" * 79 + "…",
              " pad "],
    "qty": ["2", "10", "", "3 "],
    "unit": ["£9.99", "9.99 ␛[31mGBP[/]", "—", "1.00 LLLLLLLLLLL…"],
    "total": ["£19.98", "", "CA$1,000.00", "  7"],
    "status": ["✗ blocked", "staged: qty→4", "! quantity out of range", "",
               "✗ blocked · staged: remove"],
    "type": ["offer", "add_on", "—", "[/]type"],
    "version": ["v1", "[b]v[/b]", "", "ünïcødé"],
}


def varied_rows():
    return [
        Row(f"r{n}", tuple(VARIED[c][n % len(VARIED[c])] for c in COLUMN_KEYS))
        for n in range(6)
    ]


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield BasketTable()


def shown_keys(table: BasketTable) -> list[str]:
    return [table.coordinate_to_cell_key((i, 0))[0].value for i in range(table.row_count)]


async def test_rows_follow_the_basket_and_the_cursor_stays_on_its_row():
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(BasketTable)
        table.sync(rows([f"a{n}" for n in range(40)]))
        await pilot.pause()
        table.move_cursor(row=20)

        # A few lines go, one changes: done in place, the cursor keeps "a20".
        keep = [f"a{n}" for n in range(40) if n not in (3, 5)]
        at = keep.index("a20")
        table.sync(rows(keep[:at]) + rows(["a20"], qty="7") + rows(keep[at + 1:]))
        await pilot.pause()
        assert table.row_count == 38 and table.cell_text("a20", "qty") == "7"
        assert table.highlighted_key() == "a20"

        # Another basket entirely: every row replaced, the cursor on the same line.
        table.sync(rows([f"b{n}" for n in range(500)]))
        await pilot.pause()
        assert shown_keys(table) == [f"b{n}" for n in range(500)]
        assert table.cursor_row == 18 and table.highlighted_key() == "b18"

        # Most of it removed (more than a tenth): rebuilt, the cursor kept on b450.
        table.move_cursor(row=450)
        table.sync(rows([f"b{n}" for n in range(400, 500)]))
        await pilot.pause()
        assert table.row_count == 100 and table.highlighted_key() == "b450"

        # The server reordered lines: shown in the server's order.
        table.sync(rows([f"b{n}" for n in range(499, 399, -1)]))
        await pilot.pause()
        assert shown_keys(table)[:2] == ["b499", "b498"]
        assert table.highlighted_key() == "b450"

        # Columns are as wide as their longest cell, however many rows came at once.
        long = "Premium Digital Monthly with a very long name"
        widest = Row("c-long", tuple(long if c == "offer" else "x" for c in COLUMN_KEYS))
        table.sync([*rows([f"c{n}" for n in range(300)]), widest])
        await pilot.pause()
        offer = next(c for c in table.ordered_columns if c.key.value == "offer")
        assert offer.content_width == len(long)

        table.sync([])
        await pilot.pause()
        assert table.row_count == 0 and table.shown == {}


async def test_cells_are_drawn_as_rich_draws_them():
    """The table draws each cell from its string; every cell, in every state
    (zebra rows, cursor, hover, focused or not, the header), comes out as the
    same segments as Rich draws the cell's ``Text``."""
    from rich.segment import Segment
    from textual.widgets import DataTable

    app = TableApp()
    async with app.run_test(size=(200, 20)) as pilot:
        table = app.query_one(BasketTable)
        table_rows = varied_rows()
        table.sync(table_rows)
        await pilot.pause()
        for focused in (False, True):
            if focused:
                table.focus()
            else:
                table.blur()
            await pilot.pause()
            table.render_lines(table.region.reset_offset)  # its pseudo-class state
            for row in range(table.row_count):
                style = table._get_row_style(row, table.rich_style)
                for column, spec in enumerate(table.ordered_columns):
                    width = spec.get_render_width(table)
                    for cursor in (False, True):
                        for hover in (False, True):
                            table._show_hover_cursor = hover
                            fast = table._render_cell(row, column, style, width, cursor, hover)
                            rich = table.rich_cell(row, column, style, width, cursor, hover)
                            assert list(Segment.simplify(fast[0])) == list(
                                Segment.simplify(rich[0])), (row, column, cursor, hover)
            header = table._get_row_style(-1, table.rich_style)
            for column, spec in enumerate(table.ordered_columns):
                width = spec.get_render_width(table)
                fast = table._render_cell(-1, column, header, width)
                rich = DataTable._render_cell(table, -1, column, header, width)
                assert list(Segment.simplify(fast[0])) == list(Segment.simplify(rich[0]))


async def test_lines_are_drawn_as_the_data_table_draws_them():
    """Each line on screen (kept by what it shows) is the strip Textual's own
    ``DataTable.render_line`` makes, wherever the cursor, hover and scroll are."""
    from textual.widgets import DataTable

    app = TableApp()
    async with app.run_test(size=(100, 12)) as pilot:
        table = app.query_one(BasketTable)
        table.sync(rows([f"a{n}" for n in range(30)]))
        await pilot.pause()

        def same() -> None:
            table._pseudo_class_state = table.get_pseudo_class_state()
            for y in range(table.size.height + 1):
                ours = list(table.render_line(y))
                textual = list(DataTable.render_line(table, y))
                assert ours == textual, y

        same()
        table.focus()
        table.move_cursor(row=20)
        await pilot.pause()
        same()
        table.hover_coordinate = table.hover_coordinate._replace(row=21)
        table._show_hover_cursor = True
        same()
        table.scroll_to(x=7, y=3, animate=False)
        await pilot.pause()
        same()
        table.sync(rows([f"a{n}" for n in range(30)], qty="12,345"))  # a wider column
        await pilot.pause()
        same()
        table.sync(varied_rows())  # styled, right-justified, wide, empty and odd cells
        await pilot.pause()
        table.scroll_to(x=0, y=0, animate=False)
        await pilot.pause()
        same()
        table.move_cursor(row=2)
        await pilot.pause()
        same()
        await pilot.resize_terminal(60, 12)  # narrower: columns give way
        await pilot.pause()
        assert table.hidden_columns
        same()


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_columns_give_way_instead_of_scrolling_sideways(tmp_path, sandbox, size):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 2), ("Puzzles & Crosswords", 1),
                       ("Digital Annual", 1))
        table = app.screen.query_one(BasketTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert not table.show_horizontal_scrollbar
        header = screen_text(app).splitlines()[4]
        for label in ("Item", "Offer", "Qty", "Unit price", "Line total", "Status"):
            assert label in header, (size, header)
        if size[0] >= 200:
            assert table.hidden_columns == ()
            assert "Version" in header and "Type" in header
        else:
            assert table.hidden_columns == ("version",)
            assert "Version" not in header
        await pilot.resize_terminal(200, 60)  # room again: every column comes back
        await settle(pilot)
        assert table.hidden_columns == ()


async def test_a_row_given_again_unchanged_keeps_what_it_shows_and_a_changed_one_is_shown_anew():
    """sync knows an unchanged row's shown cells without looking again; a row
    whose text changed (to control characters, here) is made visible anew."""
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(BasketTable)
        first = rows([f"a{n}" for n in range(20)])
        table.sync(first)
        await pilot.pause()
        kept = table.shown["a3"]

        again = [Row(row.key, tuple(row.cells)) for row in first]  # equal, not the same
        hostile = list(again[5].cells)
        hostile[COLUMN_KEYS.index("offer")] = "evil\x1b[31m"
        again[5] = Row("a5", tuple(hostile))
        table.sync(again)
        await pilot.pause()
        assert table.shown["a3"] is kept
        assert table.cell_text("a5", "offer") == "evil␛[31m"
        assert "evil␛[31m" in screen_text(app)

        table.sync(first)  # and back
        await pilot.pause()
        assert table.cell_text("a5", "offer") == "offer-a5"


async def test_a_column_follows_its_changed_cells_and_the_table_its_row_count():
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(BasketTable)
        qty = next(c for c in table.ordered_columns if c.key.value == "qty")
        base = rows([f"a{n}" for n in range(50)], qty="10")
        table.sync(base)
        await pilot.pause()
        assert qty.content_width == len("Qty")
        assert table.virtual_size.height == 50 + 1  # the rows and the header

        def with_qty(values: dict[str, str]) -> list[Row]:
            return [Row(row.key, tuple(values.get(row.key, "10") if c == "qty" else cell
                                       for c, cell in zip(COLUMN_KEYS, row.cells, strict=True)))
                    for row in base]

        table.sync(with_qty({"a7": "12345"}))  # grows past the column
        await pilot.pause()
        assert qty.content_width == 5
        table.sync(with_qty({"a7": "12345", "a8": "7"}))  # a narrower cell shrinks
        await pilot.pause()
        assert qty.content_width == 5
        table.sync(with_qty({"a8": "7"}))  # the widest shrinks: the column too
        await pilot.pause()
        assert qty.content_width == len("Qty")
        table.sync(with_qty({"a8": "7"})[:20])
        await pilot.pause()
        assert table.virtual_size.height == 20 + 1


async def test_columns_are_as_wide_as_rich_measures_their_widest_cell():
    """Cells of ASCII and the table's own one-cell marks ("…", "—", "£")
    are counted by their length; any other character by Rich's cell width:
    a wide one counts two."""
    from rich.cells import cell_len

    app = TableApp()
    async with app.run_test(size=(200, 30)) as pilot:
        table = app.query_one(BasketTable)
        marked = [Row(f"m{n}", tuple(f"{n:04}…" if c == "item" else f"£{n}—{c}"
                                     for c in COLUMN_KEYS)) for n in range(500)]
        wide = Row("wide", tuple("日本語日本語…" if c == "item" else "—" for c in COLUMN_KEYS))
        table.sync([*marked, wide])
        await pilot.pause()
        for column in table.ordered_columns:
            index = COLUMN_KEYS.index(column.key.value)
            widest = max(cell_len(cells[index]) for cells in table.shown.values())
            assert column.content_width == max(widest, cell_len(column.label.plain))
        item = next(c for c in table.ordered_columns if c.key.value == "item")
        assert item.content_width == 13  # 6 wide characters and "…"; its length is 7


async def test_a_row_is_where_datatable_would_put_it_and_the_cursor_is_scrolled_to():
    from textual.widgets import DataTable

    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(BasketTable)
        table.sync(rows([f"a{n}" for n in range(500)]))
        await pilot.pause()
        for index in (0, 1, 17, 250, 499, 500, -1):
            assert table._get_row_region(index) == DataTable._get_row_region(table, index)
        for fixed_rows, fixed_columns, header in ((0, 0, True), (0, 2, False), (3, 1, True)):
            table.fixed_rows, table.fixed_columns, table.show_header = (
                fixed_rows, fixed_columns, header)
            assert table._get_fixed_offset() == DataTable._get_fixed_offset(table)
        table.fixed_rows, table.fixed_columns, table.show_header = 0, 0, True
        table.move_cursor(row=450, animate=False)
        await pilot.pause()
        top = table.scroll_offset.y
        assert top <= 450 < top + table.scrollable_content_region.height - 1
        assert "a450" in screen_text(app)


async def test_the_scroll_bar_follows_the_rows_and_is_not_drawn_again_for_nothing():
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(BasketTable)
        table.sync(rows([f"a{n}" for n in range(500)]))
        await pilot.pause()
        bar = table.vertical_scrollbar
        assert bar.window_virtual_size == 501  # the rows and the header

        assert await scroll_bar_redraws_on_a_new_layout(pilot, table) == 0

        table.sync(rows([f"b{n}" for n in range(40)]))  # fewer rows: a longer thumb
        await pilot.pause()
        assert bar.window_virtual_size == 41
        table.move_cursor(row=39)
        await pilot.pause()
        assert table.scroll_offset.y > 0 and bar.position == table.scroll_offset.y
