"""A resumed basket is shown at once as the last session cached it, marked as
a cached copy, and read back from the server before anything can be done to
it: when the server's basket moved on (another window; a reply the last
session was killed before saving), the server's copy is what stays."""

from __future__ import annotations

import asyncio

from textual.widgets import Static

from tui_app.screens.modals import ResumeScreen
from tui_app.services.api.auth import ClientCredentialsAuth
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.cookies import BasketCookies
from tui_app.services.api.endpoints import Endpoint
from tui_app.services.api.models import OrderAction
from tui_app.widgets.basket_table import BasketTable
from tui_app.widgets.context_bar import ContextBar

from pilot import build_app, initiate, ready, settle


def another_window(server, basket_id: str, cookies: dict[str, str]) -> CheckoutClient:
    """A client of its own on the same basket, outside this config."""
    org = server.orgs[0]
    return CheckoutClient(
        Endpoint.from_base_url(server.base_url),
        ClientCredentialsAuth(org.client_id, org.client_secret),
        cookies=BasketCookies({basket_id: cookies}),
    )


async def test_a_resumed_basket_is_a_marked_cached_copy_until_read_back(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        [item] = await initiate(pilot, ("Digital Monthly", 1))
        basket_id = app.workspace.basket.basket_id
        annual = next(o for o in app.workspace.offers if o.display_name == "Digital Annual")
        record = app.workspace.session.state.current
    # The server's basket moves on without this app hearing of it.
    async with another_window(sandbox, basket_id, record.cookies) as other:
        server = (await other.update(basket_id, [OrderAction.add(annual.id, 1)])).data.order
    assert len(server.orderItems) == 2

    again = build_app(tmp_path, sandbox)
    async with again.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await settle(pilot)
        assert isinstance(again.screen, ResumeScreen)
        gate = asyncio.Event()
        reread = again.workspace.reread

        async def slow_reread():
            await gate.wait()
            return await reread()

        again.workspace.reread = slow_reread
        await pilot.press("enter")
        for _ in range(5):
            await pilot.pause()
        assert again.current_mode == "basket"
        summary = str(again.screen.query_one("#basket-summary", Static).render())
        bar = str(again.screen.query_one(ContextBar).render())
        assert "Cached copy from the last session — reading the basket back" in summary
        assert "Reading the basket back from the server" in bar
        assert again.screen.query_one(BasketTable).row_count == 1  # the cached copy
        # Nothing can be done to it yet: no removal is even asked for.
        await pilot.press("x")
        await pilot.pause()
        assert again.screen.check_action("remove_item", ()) is None
        assert len(again.screen_stack) == 1  # no confirmation dialog

        gate.set()
        await settle(pilot)
        assert [i.id for i in again.workspace.basket.items] == [i.id for i in server.orderItems]
        assert again.screen.query_one(BasketTable).row_count == 2
        summary = str(again.screen.query_one("#basket-summary", Static).render())
        assert "Cached copy" not in summary and "2 items" in summary
        assert any("changed on the server" in str(n.message) for n in again._notifications)
        assert again.screen.check_action("remove_item", ()) is True
        assert item in [i.id for i in again.workspace.basket.items]
