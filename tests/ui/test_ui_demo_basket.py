"""Issue 12 on the Basket and Validation screens, as a user hits them: nothing
stale looks current (r reads the basket back, the summary says when the
server confirmed it), a reply never moves the user out from under a dialog,
Enter confirms a removal, F1 lists the app's keys first, Recent baskets says
what Esc does, a not-valid basket says why in its summary, the theme list
marks the theme in use, and the top lines read cleanly at 80 and 200 columns."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from rich.cells import cell_len
from textual.command import CommandPalette
from textual.widgets import Button, OptionList

from tui_app.sandbox.faults import FaultPlan
from tui_app.screens.modals import ConfirmScreen, HelpScreen, ResumeScreen
from tui_app.services import workspace as workspace_module
from tui_app.services.api.auth import ClientCredentialsAuth
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.cookies import BasketCookies
from tui_app.services.api.endpoints import Endpoint
from tui_app.services.api.models import OrderAction
from tui_app.widgets.basket_table import BasketTable
from tui_app.widgets.context_bar import ContextBar, fit, part

from pilot import build_app, initiate, ready, settle, text_of


class Clock:
    """The workspace's clock, moved on by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 4, 14, 32, 5).astimezone()

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(workspace_module, "now", clock)
    return clock


def second_client(server, app) -> CheckoutClient:
    """curl, or another instance: a client of its own on the same basket."""
    org = server.orgs[0]
    basket_id = app.workspace.basket.basket_id
    return CheckoutClient(
        Endpoint.from_base_url(server.base_url),
        ClientCredentialsAuth(org.client_id, org.client_secret),
        cookies=BasketCookies({basket_id: app.workspace.cookies.get(basket_id)}),
    )


def toasts(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


# --------------------------------------------------------------------------- 5: refresh


@pytest.mark.parametrize("screen", ["basket", "validation"])
async def test_r_reads_back_a_change_made_elsewhere_and_moves_the_confirmed_time(
    tmp_path, sandbox, clock, screen
):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        assert "confirmed just now" in text_of(app, "#basket-summary")
        annual = next(o for o in app.workspace.offers if o.display_name == "Digital Annual")
        basket_id = app.workspace.basket.basket_id
        async with second_client(sandbox, app) as other:
            await other.update(basket_id, [OrderAction.add(annual.id, 1)])
        clock.tick(125)
        app.screen.redraw_summary()  # as its timer does
        await pilot.pause()
        assert "1 item · Total" in text_of(app, "#basket-summary")  # stale, and says so:
        assert "confirmed 2 min ago" in text_of(app, "#basket-summary")
        if screen == "validation":
            await pilot.press("f5")
            await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.current_mode == screen  # a refresh stays where it was asked
        assert app.workspace.basket.confirmed_at == clock.now  # the time moved
        assert "The basket had changed on the server" in toasts(app)
        if screen == "validation":
            assert app.screen.query_one("#verdict").border_subtitle == "confirmed just now"
            await pilot.press("b")
            await settle(pilot)
        assert app.screen.query_one(BasketTable).row_count == 2
        summary = text_of(app, "#basket-summary")
        assert "2 items" in summary and "confirmed just now" in summary
        assert "2 items" in str(app.screen.query_one(ContextBar).render())


# --------------------------------------------------------------------------- 6: dialogs


async def test_a_slow_validate_never_moves_the_user_out_from_under_the_remove_dialog(
    tmp_path, fresh_sandbox_factory
):
    slow = fresh_sandbox_factory(faults=FaultPlan(latency_ms=(800, 800)))
    app = build_app(tmp_path, slow, first_screen="basket")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await ready(pilot)
        monthly, annual = await initiate(pilot, ("Digital Monthly", 1), ("Digital Annual", 1))
        grid = app.screen.query_one(BasketTable)
        grid.move_cursor(row=grid.get_row_index(annual))
        await pilot.press("v")  # 800 ms on its way…
        await pilot.pause()
        assert app.busy == "Validating"
        await pilot.press("x")  # …and meanwhile the Remove dialog opens
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await app.workers.wait_for_complete()  # the verdict arrives
        await pilot.pause()
        assert app.current_mode == "basket" and isinstance(app.screen, ConfirmScreen)
        assert app.workspace.basket.validation is not None
        assert "Validated — f5 to see it." in toasts(app)
        await pilot.press("y")
        await settle(pilot)
        assert app.current_mode == "basket"  # not yanked away once the dialog closes
        assert [item.id for item in app.workspace.basket.items] == [monthly]
        assert app.screen.query_one(BasketTable).row_count == 1


async def test_validate_with_no_dialog_open_still_goes_to_the_verdict(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        await pilot.press("v")
        await settle(pilot)
        assert app.current_mode == "validation"


async def test_enter_confirms_a_removal_and_escape_cancels_it(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        monthly, annual = await initiate(pilot, ("Digital Monthly", 1), ("Digital Annual", 1))
        grid = app.screen.query_one(BasketTable)
        grid.move_cursor(row=grid.get_row_index(annual))
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert dialog.focused is dialog.query_one("#yes", Button)
        assert "Enter" in str(dialog.query_one("#yes", Button).label)
        await pilot.press("escape")
        await settle(pilot)
        assert len(app.workspace.basket.items) == 2
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert [item.id for item in app.workspace.basket.items] == [monthly]


# --------------------------------------------------------------------------- 11


async def test_f1_lists_the_screens_own_keys_before_the_generic_table_keys(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        await pilot.press("f1")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        ids = [binding_id for _key, _action, binding_id in help_screen.bindings]
        assert ids[0].startswith("basket.")  # the screen's own keys lead
        assert "basket.refresh" in ids and "app.help" in ids
        generic = dict((action, key) for key, action in help_screen.generic)
        assert generic and "Cursor up" in generic and "Focus Next" in generic  # apart
        own_actions = {action for _key, action, _id in help_screen.bindings}
        assert not own_actions & set(generic)


async def test_recent_baskets_says_esc_keeps_the_current_basket_and_it_does(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        await initiate(pilot, ("Digital Annual", 1))
        current = app.workspace.basket.basket_id
        app._show_recent()
        await pilot.pause()
        assert isinstance(app.screen, ResumeScreen)
        assert str(app.screen.query_one("#new", Button).label) == "Keep the current basket (Esc)"
        await pilot.press("escape")
        await settle(pilot)
        assert app.workspace.basket is not None and app.workspace.basket.basket_id == current


async def test_a_basket_not_valid_for_another_reason_says_which(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        [item] = await initiate(pilot, ("Digital Monthly", 1))
        await app.workspace.update([OrderAction.remove(item)])  # an empty basket
        await app.workspace.validate()
        app.context_changed()
        await settle(pilot)
        summary = text_of(app, "#basket-summary")
        assert "✗ not valid — 1 problem: empty basket" in summary
        assert "0 blocked" not in summary


async def test_the_theme_list_marks_the_theme_in_use(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert isinstance(app.screen, CommandPalette)
        options = app.screen.query_one(OptionList)
        marked = [str(options.get_option_at_index(i).prompt)
                  for i in range(options.option_count)]
        current = [line for line in marked if "✓ current" in line]
        assert len(current) == 1 and app.theme in current[0]


# --------------------------------------------------------------------------- 12: top lines

AMOUNT = r"(?:CA\$|A\$|[£€$])\d[\d,]*\.\d\d"
GLUED = [
    re.compile(AMOUNT + r"[A-Za-z]"),  # "£121.97GBP"
    re.compile(r"[A-Za-z0-9]" + AMOUNT),
    re.compile(r"…[A-Za-z0-9]"),  # "basket-eca9bad1…GB"
    re.compile(r"basket-[0-9a-f]{8}-[0-9a-f-]{27}[A-Za-z]"),
]


def assert_reads_cleanly(widget, label: str) -> None:
    width = widget.content_size.width
    for line in str(widget.render()).split("\n"):
        assert cell_len(line) <= width, (label, width, line)
        for glued in GLUED:
            assert glued.search(line) is None, (label, line)


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_the_context_bar_and_basket_summary_fit_and_read_cleanly(tmp_path, sandbox, size):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1), ("Team Digital", 5), ("Digital Annual", 2))
        await pilot.press("s", "x")  # stage mode and a staged action: the longest lines
        await settle(pilot)
        bar, summary = app.screen.query_one(ContextBar), app.screen.query_one("#basket-summary")
        for busy in ("", "Reading the basket back from the server"):
            app.busy = busy
            await pilot.pause()
            assert_reads_cleanly(bar, f"context bar, busy={busy!r}")
            line = str(bar.render())
            assert line.startswith(" SANDBOX ") and " │ " in line
            assert "£" in line  # the total stays
        assert_reads_cleanly(summary, "summary")
        lines = str(summary.render()).split("\n")
        assert len(lines) == 2  # nothing wraps: "3" and "items" stay together
        assert "3 items" in lines[0] and "Total £" in lines[0]
        assert "STAGE MODE" in lines[1]
        if size[0] >= 200:
            assert app.workspace.basket.basket_id in lines[0]
            assert "profile Sandbox" in lines[0] and "· GB ·" in lines[0]


def test_fitting_drops_the_lowest_ranks_first_and_takes_long_forms_where_they_fit():
    parts = [
        part("Basket basket-0123456789abcdef", "Basket basket-0123…", rank=0, grow=3),
        part("GB", rank=4),
        part("2 items", rank=2),
        part("Total £9.99 GBP", rank=1),
    ]
    full = "Basket basket-0123456789abcdef · GB · 2 items · Total £9.99 GBP"
    assert str(fit(parts, None)) == full == str(fit(parts, len(full)))
    # The whole id before the country; the count and the total before either.
    assert str(fit(parts, 60)) == "Basket basket-0123456789abcdef · 2 items · Total £9.99 GBP"
    assert str(fit(parts, 55)) == "Basket basket-0123… · GB · 2 items · Total £9.99 GBP"
    assert str(fit(parts, 40)) == "Basket basket-0123… · Total £9.99 GBP"
    assert str(fit(parts, 10)) == "Basket basket-0123…"  # rank 0 stays, whole
    grouped = [part(" SANDBOX ", rank=0), part("id…", rank=1, group=1), part("GB", rank=2, group=1)]
    assert str(fit(grouped, None)) == " SANDBOX   │  id… · GB"


async def test_help_at_80_by_24_keeps_its_close_button_in_view(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await initiate(pilot, ("Digital Monthly", 1))
        await pilot.press("f1")
        await pilot.pause()
        close = app.screen.query_one("#close", Button)
        assert close.region.height > 0 and close.region.bottom <= 24
