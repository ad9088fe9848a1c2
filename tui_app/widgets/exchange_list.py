"""Every exchange of the session as a table, newest first, that keeps the
cursor on the exchange it was on while new ones arrive."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable

from tui_app.formatting import cell, heading
from tui_app.services.api.exchange import Exchange
from tui_app.widgets.exchange_format import (
    PATH_MAX,
    duration,
    local_time,
    size,
    status_label,
)

# Path last: it is the longest, and at 80 columns the status must stay in view.
COLUMNS = (("#", "id"), ("Time", "time"), ("Method", "method"), ("Status", "status"),
           ("Duration", "duration"), ("Size", "size"), ("Path", "path"))
STATUS_WIDTH = 30


class ExchangeList(DataTable):
    DEFAULT_CSS = """
    ExchangeList { height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.exchanges: dict[int, Exchange] = {}

    def on_mount(self) -> None:
        for label, key in COLUMNS:
            self.add_column(heading(label), key=key)

    @property
    def highlighted(self) -> Exchange | None:
        """The exchange under the cursor."""
        if not self.row_count or not 0 <= self.cursor_row < self.row_count:
            return None
        key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        return self.exchanges.get(int(key)) if key is not None else None

    def show(self, exchanges: Iterable[Exchange]) -> None:
        """Bring the table in line with ``exchanges`` (the log, oldest first):
        add the new ones, drop those the log no longer holds."""
        keep = self.highlighted
        # On the newest row the cursor follows new arrivals (like tail -f);
        # on an older one it stays with the exchange the user is reading.
        following = self.row_count == 0 or self.cursor_row == 0
        wanted = {exchange.id: exchange for exchange in exchanges}
        for gone in [i for i in self.exchanges if i not in wanted]:
            self.remove_row(str(gone))
            del self.exchanges[gone]
        added = [e for i, e in wanted.items() if i not in self.exchanges]
        for exchange in added:
            self.exchanges[exchange.id] = exchange
            self.add_row(*self.cells(exchange), key=str(exchange.id))
        if added:
            self.sort("id", key=lambda cell: int(str(cell)), reverse=True)
        if keep is not None and keep.id in self.exchanges and not (following and added):
            self.move_cursor(row=self.get_row_index(str(keep.id)), animate=False)
        elif self.row_count:
            self.move_cursor(row=0, animate=False)

    @staticmethod
    def cells(exchange: Exchange) -> tuple[object, ...]:
        return (
            Text(str(exchange.id), style="dim", justify="right"),
            local_time(exchange),
            cell(exchange.method),
            status_label(exchange, STATUS_WIDTH),
            Text(duration(exchange), justify="right"),
            Text(size(exchange.response_size) if exchange.status is not None else "—",
                 justify="right"),
            cell(exchange.path, width=PATH_MAX),  # not a str: DataTable reads it as markup
        )
