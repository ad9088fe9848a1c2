"""clear_rows empties a table as DataTable.clear does, without reading the
old rows' offsets."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui_app.widgets.clear_rows import clear_rows


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="ours")
        yield DataTable(id="theirs")


def state(table: DataTable) -> tuple:
    return (table.row_count, list(table.rows), dict(table._data), table.cursor_coordinate,
            table.scroll_offset, table._y_offsets, [c.label.plain for c in table.columns.values()])


async def test_it_leaves_the_table_as_clear_does_and_rows_can_be_added_again(monkeypatch):
    app = Tables()
    async with app.run_test(size=(60, 20)) as pilot:
        ours, theirs = app.query_one("#ours", DataTable), app.query_one("#theirs", DataTable)
        for table in (ours, theirs):
            table.add_columns("a", "b")
            table.add_rows([(str(n), "x") for n in range(300)])
            table.move_cursor(row=200)
        await pilot.pause()

        original = DataTable._y_offsets

        def offsets_read(table) -> list:
            assert not table.rows, "the old rows' offsets were worked out"
            return original.fget(table)

        with monkeypatch.context() as patch:
            patch.setattr(DataTable, "_y_offsets", property(offsets_read))
            clear_rows(ours)
        theirs.clear()
        assert state(ours) == state(theirs)
        assert state(ours)[0] == 0

        for table in (ours, theirs):
            table.add_rows([("1", "y"), ("2", "z")])
        await pilot.pause()
        assert state(ours)[:1] == state(theirs)[:1] == (2,)
        assert [ours.get_row_at(1), theirs.get_row_at(1)] == [["2", "z"]] * 2
