"""A resumed basket is the server's, not the cache's: the cached copy is only
shown (marked as such) until the basket is read back. And a sandbox whose
process ended is named as such, then replaced with the basket kept."""

from __future__ import annotations

import pytest

from tui_app.services.api import errors
from tui_app.services.api.auth import ClientCredentialsAuth
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.cookies import BasketCookies
from tui_app.services.api.endpoints import Endpoint
from tui_app.services.api.models import OrderAction
from tui_app.services.connection import SANDBOX_PROFILE_NAME
from tui_app.services.workspace import SandboxStopped

from sandboxed import connected, embedded, named, open_workspace, order


def another_window(server, basket_id: str, cookies: dict[str, str]) -> CheckoutClient:
    """A client of its own on the same basket: changes the server's copy
    without touching this config's cache (another window, or the reply a
    killed app never saved)."""
    org = server.orgs[0]
    return CheckoutClient(
        Endpoint.from_base_url(server.base_url),
        ClientCredentialsAuth(org.client_id, org.client_secret),
        cookies=BasketCookies({basket_id: cookies}),
    )


def lines(order_) -> list[tuple[str | None, float | None]]:
    return [(item.id, item.quantity) for item in order_.orderItems]


async def test_a_resumed_basket_is_read_back_and_then_equals_the_servers(tmp_path, sandbox):
    first = await connected(tmp_path, sandbox)
    monthly, annual = named(first, "Digital Monthly", "Digital Annual")
    basket = (await first.initiate(order([monthly]))).data
    await first.aclose()
    record = first.session.state.current

    async with another_window(sandbox, basket.id, record.cookies) as other:
        changed = (await other.update(basket.id, [OrderAction.add(annual.id, 2)])).data.order
        first_item = basket.order.orderItems[0].id
        changed = (await other.update(
            basket.id, [OrderAction.change_quantity(first_item, 3)])).data.order
    assert len(changed.orderItems) == 2

    second = open_workspace(tmp_path, sandbox)
    await second.activate(SANDBOX_PROFILE_NAME)
    resumed = second.resume(second.resumable())
    # At once: the cached copy, marked as cached.
    assert resumed.cached and lines(resumed.order) == lines(basket.order)
    await second.reread()
    assert not resumed.cached
    assert lines(resumed.order) == lines(changed)
    assert resumed.order.total_amount == changed.total_amount
    await second.aclose()
    # What is cached now is the server's copy.
    third = open_workspace(tmp_path, sandbox)
    await third.activate(SANDBOX_PROFILE_NAME)
    assert lines(third.resume(third.resumable()).order) == lines(changed)
    await third.aclose()


async def test_every_reply_carrying_the_basket_confirms_a_cached_copy(tmp_path, sandbox):
    first = await connected(tmp_path, sandbox)
    await first.initiate(order(named(first, "Digital Monthly")))
    await first.aclose()
    for confirm in ("validate", "update"):
        again = await connected(tmp_path, sandbox)
        resumed = again.resume(again.resumable())
        assert resumed.cached
        if confirm == "validate":
            await again.validate()
        else:
            await again.update([OrderAction.change_quantity(resumed.items[0].id, 2)])
        assert not again.basket.cached, confirm
        await again.aclose()


async def test_a_stopped_sandbox_is_named_and_a_new_one_keeps_the_basket(
    tmp_path, fresh_sandbox_factory
):
    db = tmp_path / "sandbox.sqlite3"
    server = fresh_sandbox_factory(db_path=db)
    ended: list[int] = []
    workspace = open_workspace(tmp_path, server)
    handle = embedded(server)
    workspace.attach_sandbox(type(handle)(
        base_url=handle.base_url, client_id=handle.client_id,
        client_secret=handle.client_secret, stop=handle.stop,
        poll=lambda: ended[0] if ended else None,
    ))
    await workspace.activate(SANDBOX_PROFILE_NAME)
    await workspace.load_catalogue()
    basket = (await workspace.initiate(order(named(workspace, "Digital Monthly")))).data

    server.stop()
    ended.append(-9)  # as a killed process reports it
    with pytest.raises(SandboxStopped) as stopped:
        await workspace.validate()
    assert "The embedded sandbox stopped (killed by signal 9)" in stopped.value.summary
    assert isinstance(stopped.value.__cause__, errors.ConnectionRefused)
    with pytest.raises(SandboxStopped):
        await workspace.update([OrderAction.change_quantity(basket.order.orderItems[0].id, 2)])

    again = fresh_sandbox_factory(db_path=db)
    await workspace.replace_sandbox(embedded(again))
    assert workspace.basket.basket_id == basket.id and workspace.offers  # nothing lost
    verdict = (await workspace.validate()).data
    assert [i.id for i in verdict.checkout.orderItems] == [
        i.id for i in basket.order.orderItems
    ]
    await workspace.aclose()
