"""The workspace: what the app does to the API and the session, without a UI."""

from __future__ import annotations

import pytest

from tui_app.services.api import errors
from tui_app.services.api.fast_json import dumps as order_json
from tui_app.services.api.models import Order, OrderAction
from tui_app.services.connection import SANDBOX_PROFILE_NAME
from tui_app.services.store.files import StoreError
from tui_app.services.store.profiles import AuthKind, Profile, Secrets

from sandboxed import connected, named, open_workspace, order


async def test_a_basket_survives_a_restart_and_can_still_be_updated(tmp_path, sandbox):
    first = await connected(tmp_path, sandbox)
    offers = named(first, "Digital Monthly", "Digital Annual")
    basket = (await first.initiate(order(offers))).data
    await first.aclose()

    # A new process: only what the session file holds.
    second = open_workspace(tmp_path, sandbox)
    await second.activate(SANDBOX_PROFILE_NAME)
    record = second.resumable()
    assert record is not None and record.basket_id == basket.id
    assert record.cookies  # the landing-state cookie travelled through the file
    resumed = second.resume(record)
    assert [i.id for i in resumed.items] == [i.id for i in basket.order.orderItems]
    await second.load_catalogue()
    updated = (await second.update([OrderAction.change_quantity(resumed.items[0].id, 3)])).data
    assert updated.order.orderItems[0].quantity == 3
    await second.aclose()


async def test_baskets_of_another_server_are_never_offered_here(tmp_path, sandbox):
    workspace = open_workspace(tmp_path, sandbox)
    workspace.profiles.put(
        Profile(name="Tenant", base_url=sandbox.base_url, auth=AuthKind.BEARER),
        Secrets(token=sandbox.orgs[0].demo_token),
    )
    workspace.profiles.save()
    await workspace.activate("Tenant")
    await workspace.load_catalogue()
    await workspace.initiate(order(named(workspace, "Digital Monthly")))
    assert workspace.resumable() is not None
    await workspace.activate(SANDBOX_PROFILE_NAME)
    assert workspace.resumable() is None and workspace.recent() == []
    await workspace.aclose()


async def test_blocked_products_are_named_with_their_reasons(tmp_path, sandbox):
    workspace = await connected(tmp_path, sandbox)
    offers = named(workspace, "Digital Monthly", "Print + Digital Bundle")
    await workspace.initiate(order(offers, country="DE"))
    verdict = (await workspace.validate()).data
    assert not verdict.is_valid
    blocked = workspace.blocked_products()
    assert [b.name for b in blocked] == ["Print + Digital Bundle"]
    assert "DE" in blocked[0].reasons[0]
    assert blocked[0].item_ids == [workspace.basket.items[1].id]
    await workspace.aclose()


async def test_staged_actions_go_as_one_update(tmp_path, sandbox):
    workspace = await connected(tmp_path, sandbox)
    offers = named(workspace, "Digital Monthly", "Digital Annual")
    await workspace.initiate(order(offers))
    items = workspace.basket.items
    workspace.stage(OrderAction.remove(items[0].id))
    workspace.stage(OrderAction.change_quantity(items[1].id, 2))
    result = (await workspace.send_staged()).data
    assert len(result.orderActionResults) == 2 and workspace.staged == []
    puts = [e for e in workspace.log if e.method == "PUT"]
    assert len(puts) == 1
    with pytest.raises(errors.RequestInvalid):
        await workspace.send_staged()
    await workspace.aclose()


async def test_a_failed_update_leaves_the_basket_as_the_server_confirmed_it(tmp_path, sandbox):
    workspace = await connected(tmp_path, sandbox)
    await workspace.initiate(order(named(workspace, "Digital Monthly")))
    before = workspace.basket.order
    with pytest.raises(errors.UpstreamError):
        await workspace.update([OrderAction.remove("no-such-item")])
    assert workspace.basket.order is before
    await workspace.aclose()


async def test_a_disk_that_refuses_the_session_is_a_warning_not_a_crash(
    tmp_path, sandbox, monkeypatch
):
    workspace = await connected(tmp_path, sandbox)

    def refuse():
        raise StoreError("cannot write session.json: No space left on device")

    monkeypatch.setattr(workspace.session, "save", refuse)
    basket = (await workspace.initiate(order(named(workspace, "Digital Monthly")))).data
    assert workspace.basket.basket_id == basket.id  # still usable
    assert any("No space left" in w for w in workspace.take_warnings())
    await workspace.aclose()


async def test_connection_report_names_the_organisation_and_expiry(tmp_path, sandbox):
    workspace = open_workspace(tmp_path, sandbox)
    org = sandbox.orgs[1]
    report = await workspace.test_connection(
        Profile(name="x", base_url=sandbox.base_url, client_id=org.client_id),
        Secrets(client_secret=org.client_secret),
    )
    assert report.ok and report.organisation == org.name
    assert report.expires_at is not None and report.offers >= 10
    refused = await workspace.test_connection(
        Profile(name="x", base_url=sandbox.base_url, client_id=org.client_id),
        Secrets(client_secret="wrong"),
    )
    assert not refused.ok and "refused" in refused.message
    incomplete = await workspace.test_connection(
        Profile(name="x", base_url=sandbox.base_url, client_id=org.client_id), Secrets()
    )
    assert not incomplete.ok and "client secret is missing" in incomplete.message


async def test_moving_a_basket_to_another_country_keeps_the_basket(tmp_path, sandbox):
    workspace = await connected(tmp_path, sandbox)
    offers = named(workspace, "Digital Monthly", "Print + Digital Bundle")
    basket = (await workspace.initiate(order(offers, quantities=[2, 1]))).data
    assert (await workspace.validate()).data.is_valid
    moved = (await workspace.change_country("DE")).data
    assert moved.id == basket.id and moved.order.country == "DE"
    assert [i.quantity for i in moved.order.orderItems] == [2, 1]
    verdict = (await workspace.validate()).data
    assert [b.name for b in workspace.blocked_products()] == ["Print + Digital Bundle"]
    assert not verdict.is_valid
    await workspace.aclose()


async def test_orders_are_kept_beside_the_session_not_in_it(tmp_path, sandbox):
    workspace = await connected(tmp_path, sandbox)
    offers = named(workspace, "Digital Monthly", "Digital Annual")
    basket = (await workspace.initiate(order(offers))).data
    await workspace.aclose()

    session_text = workspace.session.paths.session_file.read_text()
    assert basket.order.orderItems[0].id not in session_text  # small, whatever the basket
    record = workspace.session.state.current
    assert record.items == 2
    cached = workspace.orders.path_for(record.key)
    assert oct(cached.stat().st_mode & 0o777) == "0o600"
    assert [i["id"] for i in workspace.orders.get(record.key)["orderItems"]] == [
        i.id for i in basket.order.orderItems
    ]


def test_an_order_is_written_as_model_dump_json_writes_it():
    # odd text, a null left out, a field the contract does not name (kept)
    body = {
        "orderItems": [{"id": "a1", "quantity": 2, "offer": {"id": "o", "name": "Café ✓ \u202e"},
                        "price": None, "lineTotal": {"amount": 9.5, "currency": "EUR"},
                        "products": [{"path": "/p", "extra": [1, None]}]}],
        "country": None, "tracking": {"utm": "x"}, "somethingNew": {"n": 1e300},
    }
    model = Order.model_validate(body)
    written = order_json(model)
    assert isinstance(written, bytes)
    assert written == model.model_dump_json(exclude_none=True).encode()
    assert Order.model_validate_json(written) == model


async def test_a_resumed_basket_without_a_cached_order_is_read_back_from_the_server(
    tmp_path, sandbox
):
    first = await connected(tmp_path, sandbox)
    basket = (await first.initiate(order(named(first, "Digital Monthly")))).data
    await first.aclose()
    # The cache is gone (cleared by hand, or a session file from an older version).
    first.orders.path_for(first.session.state.current.key).unlink()

    second = open_workspace(tmp_path, sandbox)
    await second.activate(SANDBOX_PROFILE_NAME)
    resumed = second.resume(second.resumable())
    assert resumed.order_unknown and resumed.items == []
    await second.reread()
    assert not resumed.order_unknown
    assert [i.id for i in resumed.items] == [i.id for i in basket.order.orderItems]
    await second.aclose()


async def test_saving_in_the_background_loses_nothing_on_close(tmp_path, sandbox):
    workspace = open_workspace(tmp_path, sandbox)
    notes: list[list[str]] = []
    workspace.save_in_background(notes.append)
    await workspace.activate(SANDBOX_PROFILE_NAME)
    await workspace.load_catalogue()
    basket = (await workspace.initiate(order(named(workspace, "Digital Monthly")))).data
    item = basket.order.orderItems[0].id
    for quantity in (2, 3, 4):
        await workspace.update([OrderAction.change_quantity(item, quantity)])
    await workspace.aclose()  # flushes what the saver still holds

    again = open_workspace(tmp_path, sandbox)
    await again.activate(SANDBOX_PROFILE_NAME)
    resumed = again.resume(again.resumable())
    assert resumed.basket_id == basket.id and resumed.items[0].quantity == 4
    assert notes == []
    await again.aclose()
