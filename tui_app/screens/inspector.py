"""Inspector: every request the app made this session and its reply.

The list (newest first) updates as calls happen. The highlighted exchange is
shown in full, redacted; one key reveals the raw exchange of that row only,
and moving away (or leaving the screen) hides it again. From here an exchange
is copied as curl, and the whole log is exported as HAR.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container
from textual.markup import escape
from textual.message import Message
from textual.widgets import DataTable, Input

from tui_app.formatting import plural, shown
from tui_app.screens.base import AppScreen
from tui_app.screens.curl_modal import CurlScreen
from tui_app.screens.modals import ConfirmScreen
from tui_app.screens.save_path import SavePathScreen
from tui_app.services.api.exchange import Exchange
from tui_app.services.exports.har import write_har
from tui_app.widgets.delivery import export_file
from tui_app.widgets.exchange_detail import ExchangeDetail
from tui_app.widgets.exchange_format import PATH_MAX
from tui_app.widgets.exchange_list import ExchangeList
from tui_app.widgets.put import put_title


def har_name(now: datetime) -> str:
    return f"basket-builder-{now:%Y%m%d-%H%M%S}.har"


class InspectorScreen(AppScreen):
    MODE = "inspector"
    # What stays on a narrow key bar, most important first.
    KEY_PRIORITY = ("curl", "export_har", "find", "reveal")
    HELP = """
Every request the app made this session, newest first, with its status in
words, duration and size. The highlighted one is shown in full below:
headers and pretty-printed bodies. Secrets are masked; r reveals the raw
exchange of that row only (marked SECRETS SHOWN) until you press r again or
move to another row. / finds text in the exchange (Esc goes back to the list).
c copies the call as a curl command that reads the token from $LIMIO_TOKEN;
e exports the whole log as a HAR file, secrets masked.
"""
    # Stacked at every size: the list needs the full width for its path
    # column, and the extra height of a big terminal goes to the bodies.
    DEFAULT_CSS = """
    InspectorScreen #inspector-panes { height: 1fr; }
    InspectorScreen ExchangeList { height: 2fr; border: round $primary; }
    InspectorScreen ExchangeDetail { height: 3fr; border: round $primary; }
    InspectorScreen ExchangeDetail.revealed { border: heavy $error; }
    """
    BINDINGS = [
        Binding("c", "curl", "Copy as curl", id="inspector.curl"),
        Binding("e", "export_har", "Export HAR", id="inspector.har"),
        Binding("r", "reveal", "Reveal/hide secrets", id="inspector.reveal"),
        Binding("slash", "find", "Find", id="inspector.find"),
        Binding("x", "clear_log", "Clear log", id="inspector.clear"),
        Binding("escape", "back_to_list", "Back to list", id="inspector.list", show=False),
    ]

    class Recorded(Message):
        """A new exchange landed in the log (posted from the client's task)."""

    def __init__(self, clock: Callable[[], datetime] = datetime.now) -> None:
        super().__init__()
        self.clock = clock  # names the HAR file; tests replace it
        self.revealed_id: int | None = None

    def compose_body(self) -> ComposeResult:
        with Container(id="inspector-panes"):
            yield ExchangeList(id="exchange-list")
            yield ExchangeDetail(id="exchange-detail")

    def on_mount(self) -> None:
        self.query_one(ExchangeList).border_title = "Exchanges (newest first)"
        self.query_one(ExchangeDetail).border_title = "Exchange"
        self.workspace.log.subscribe(self._on_recorded)
        self.sync()
        self.query_one(ExchangeList).focus()

    def on_unmount(self) -> None:
        self.workspace.log.unsubscribe(self._on_recorded)

    def _on_recorded(self, _exchange: Exchange) -> None:
        # Runs inside the API call; post instead of redrawing here so the
        # call is not held up, and never touch a screen that is gone.
        if self.is_attached:
            self.post_message(self.Recorded())

    def on_inspector_screen_recorded(self, _message: Recorded) -> None:
        self.sync()

    def on_screen_suspend(self) -> None:
        # Leaving the screen hides any revealed secret: nothing stays shown behind.
        if self.revealed_id is not None:
            self.revealed_id = None
            self.show_detail()

    # ------------------------------------------------------------- drawing

    @property
    def table(self) -> ExchangeList:
        return self.query_one(ExchangeList)

    @property
    def detail(self) -> ExchangeDetail:
        return self.query_one(ExchangeDetail)

    @property
    def current(self) -> Exchange | None:
        """The highlighted exchange (redacted)."""
        return self.table.highlighted

    def sync(self) -> None:
        self.table.show(self.workspace.log)
        count = self.table.row_count
        put_title(self.table, plural(count, "exchange") if count else None, subtitle=True)
        self.show_detail()
        self.refresh_bindings_if_changed()

    def show_detail(self) -> None:
        exchange = self.current
        if exchange is None or exchange.id != self.revealed_id:
            self.revealed_id = None
        raw = self.workspace.log.raw(exchange.id) if self.revealed_id is not None else None
        if raw is None:
            self.revealed_id = None
        self.detail.show(raw or exchange, revealed=raw is not None)

    @on(DataTable.RowHighlighted, "#exchange-list")
    def _row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    @on(DataTable.RowSelected, "#exchange-list")
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        # Enter goes to the exchange, to scroll through it with the keyboard.
        self.query_one("#exchange-body").focus()

    # ------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"curl", "reveal", "find"} and self.current is None:
            return None  # shown dimmed: there is no exchange yet
        if action in {"export_har", "clear_log"} and not len(self.workspace.log):
            return None
        return True

    def action_reveal(self) -> None:
        exchange = self.current
        if exchange is None:
            return
        if self.revealed_id == exchange.id:
            self.revealed_id = None
        elif self.workspace.log.raw(exchange.id) is None:
            self.notify("The unmasked exchange is not kept for this one.", severity="warning")
            return
        else:
            self.revealed_id = exchange.id
        self.show_detail()

    def action_find(self) -> None:
        if self.current is not None:
            self.query_one("#exchange-find", Input).focus()

    def action_back_to_list(self) -> None:
        find = self.query_one("#exchange-find", Input)
        if find.has_focus and find.value:
            find.value = ""
        self.table.focus()

    def action_curl(self) -> None:
        exchange = self.current
        if exchange is None:
            return
        raw = self.workspace.log.raw(exchange.id)
        self.app.push_screen(
            CurlScreen(raw or exchange, raw=raw is not None,
                       credentials=self.workspace.credential_values)
        )

    def action_export_har(self) -> None:
        exchanges = list(self.workspace.log)  # redacted: that is all a HAR ever holds
        if not exchanges:
            return

        def write(path: Path) -> None:
            write_har(path, exchanges)

        export_file(  # a browser download when served
            self.app,
            SavePathScreen(
                "Export the exchange log as HAR",
                f"{plural(len(exchanges), 'exchange')}, secrets masked (token, cookies, "
                "client secret). A relative path is saved in the current folder.",
                har_name(self.clock()),
                write,
            ),
            lambda path: self._exported(path, len(exchanges)),
            mime_type="application/json",
        )

    def _exported(self, path: Path | None, count: int) -> None:
        if path is not None:
            self.notify(f"Exported {plural(count, 'exchange')} to {shown(path)}", timeout=8,
                        markup=False)

    def action_clear_log(self) -> None:
        if not len(self.workspace.log):
            return
        self.app.push_screen(
            ConfirmScreen(
                "Clear the exchange log?",
                f"Forget the {plural(len(self.workspace.log), 'exchange')} recorded so far. "
                "Export them as HAR first if you need them.",
                "Clear",
            ),
            self._clear_confirmed,
        )

    def _clear_confirmed(self, confirmed: bool | None) -> None:
        if confirmed:
            self.workspace.log.clear()
            self.revealed_id = None
            self.sync()

    def palette_commands(self) -> Iterable[SystemCommand]:
        exchange = self.current
        if exchange is not None:
            # The palette reads help as markup: the path (the tenant's) is escaped.
            where = f"#{exchange.id} {exchange.method} {shown(exchange.path, PATH_MAX)}"
            yield SystemCommand("Inspector: copy as curl", escape(shown(where)),
                                self.action_curl)
            revealed = self.revealed_id == exchange.id
            yield SystemCommand(
                "Inspector: hide secrets" if revealed else "Inspector: reveal secrets",
                "Show the unmasked token and cookies of this exchange only",
                self.action_reveal,
            )
            yield SystemCommand("Inspector: find in this exchange",
                                "Narrow the exchange to the lines with some text",
                                self.action_find)
        if len(self.workspace.log):
            yield SystemCommand("Inspector: export HAR", "Save every exchange, masked, as HAR",
                                self.action_export_har)
            yield SystemCommand("Inspector: clear the log", "Forget the exchanges recorded so far",
                                self.action_clear_log)
