"""The basket table changes in place: the rows follow the basket, and the
cursor stays on the line the user was looking at."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui_app.widgets.basket_table import COLUMN_KEYS, BasketTable, Row


def rows(keys, qty="1"):
    return [Row(key, tuple(qty if c == "qty" else f"{c}-{key}" for c in COLUMN_KEYS))
            for key in keys]


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
