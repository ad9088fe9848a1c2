"""Emptying a DataTable without its wasted pass over the old rows."""

from __future__ import annotations

from typing import Any

from textual._two_way_dict import TwoWayDict
from textual.widgets import DataTable


def clear_rows(table: DataTable[Any]) -> None:
    """``table.clear()``, quicker for a long table. DataTable.clear empties
    its row offsets by reading them, which works them out from every old row
    first, only to throw them away (~15 ms at 500 rows, profile); with the
    rows dropped beforehand there is nothing to work out."""
    table.rows.clear()
    table._data.clear()
    table._row_locations = TwoWayDict({})
    table.clear()
