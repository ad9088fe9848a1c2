"""The line at the top of every screen: who we talk to, which basket, and
whether a call is on its way. Status is always spelled out, never colour only.
The names, ids and codes in it are the tenant's (or a file's): shown through
``formatting.shown``, never as markup."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui_app.formatting import NAME_MAX, money, plural, short, shown
from tui_app.widgets.key_bar import key_display

COUNTRY_MAX = 8  # a "country" that is not a two-letter code is cut to this


class ContextBar(Static):
    DEFAULT_CSS = """
    ContextBar { height: 1; padding: 0 1; background: $panel; color: $foreground; }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "context_version", self._redraw)
        self.watch(self.app, "busy", self._redraw)

    def _redraw(self, _value: object = None) -> None:
        self.update(self.describe())

    def describe(self) -> Text:
        app = self.app
        workspace = app.workspace
        line = Text()
        if workspace.profile is None:
            line.append(" CONNECTING ", style="reverse")
            line.append(" starting the embedded sandbox…" if app.sandbox_pending else " no profile")
        elif workspace.is_sandbox and workspace.sandbox_stopped:
            line.append(" SANDBOX STOPPED ", style="bold reverse")
            line.append(f" {key_display(app, 'app.restart_sandbox')} starts it again")
        elif workspace.is_sandbox:
            line.append(" SANDBOX ", style="bold reverse")
            if workspace.basket is None:
                line.append(" embedded · no credentials needed")
        else:
            line.append(" TENANT ", style="bold reverse")
            line.append(f" {shown(workspace.profile.name, NAME_MAX)}")
        basket = workspace.basket
        if basket is not None:
            order = basket.order
            line.append("  │  ")
            line.append(short(basket.basket_id, 15), style="bold")
            if basket.country:
                line.append(f" · {shown(basket.country, COUNTRY_MAX)}")
            line.append(f" · {plural(len(order.orderItems), 'item')}")
            line.append(f" · {money(order.total_amount, order.total_currency)}")
            if workspace.staged:
                line.append(f" · {plural(len(workspace.staged), 'staged action')}")
        if app.busy:
            line.append(f"  │  ⟳ {shown(app.busy, NAME_MAX)}…", style="bold")
        return line
