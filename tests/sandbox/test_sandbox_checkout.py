"""Initiate, update and validate on the sandbox, as a partner integration sees them."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tui_app.services.api.models import (
    BASKET_ID_RE,
    InitiateResponse,
    UpdateResponse,
    ValidateResponse,
)

COOKIE = "limio-landing-state"


class Partner:
    """One partner organisation talking to the sandbox."""

    def __init__(self, sandbox, org_index: int = 0) -> None:
        self.sandbox = sandbox
        token = sandbox.orgs[org_index].demo_token
        self.client = httpx.Client(
            base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}
        )
        reply = self.client.get(
            "/offers/v2", params={"offersSource": "catalog", "opt.pageSize": 200}
        )
        self.offers = {i["name"]: i for i in reply.json()["items"] if i.get("published", True)}
        self.outdated = {i["name"]: i for i in reply.json()["items"] if i["published"] is False}

    def close(self) -> None:
        self.client.close()

    def line(self, name: str, quantity: int | None = None, **extra) -> dict:
        offer = self.offers[name]
        item = {
            "offer": {"id": offer["id"], "version": offer["version"]},
            "type": offer["record_type"],
        }
        if quantity is not None:
            item["quantity"] = quantity
        return item | extra

    def initiate(self, *lines: dict, country: str = "GB", **order) -> httpx.Response:
        body = {
            "order": {
                "orderItems": list(lines),
                "external_id": order.pop("external_id", f"test-{uuid.uuid4()}"),
                "country": country,
                "source": "pytest",
                "order_type": "new",
                **order,
            }
        }
        reply = self.client.post("/partner/checkout/initiate", json=body)
        # Tests send the landing cookie explicitly, never from the client's jar.
        self.client.cookies.clear()
        return reply

    def update(self, cookie: str | None, *actions: dict) -> httpx.Response:
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie is not None else {}
        return self.client.put(
            "/partner/checkout/update", json={"orderActions": list(actions)}, headers=headers
        )

    def validate(self, basket_id: str) -> httpx.Response:
        return self.client.post(f"/partner/checkout/validate/{basket_id}")

    def basket(self, *lines: dict, country: str = "GB") -> tuple[str, str]:
        """A new basket: its id and landing-state cookie value."""
        reply = self.initiate(*lines, country=country)
        assert reply.status_code == 200, reply.text
        return reply.json()["id"], reply.cookies[COOKIE]


@pytest.fixture
def north(sandbox):
    partner = Partner(sandbox, 0)
    yield partner
    partner.close()


@pytest.fixture
def south(sandbox):
    partner = Partner(sandbox, 1)
    yield partner
    partner.close()


def add(offer_id: str, quantity: int | None = None) -> dict:
    action = {"orderItemActionType": "add", "offerId": offer_id}
    return action if quantity is None else action | {"quantity": quantity}


def remove(item_id: str) -> dict:
    return {"orderItemActionType": "remove", "orderItemId": item_id}


def change(item_id: str, quantity: int) -> dict:
    return {"orderItemActionType": "change_quantity", "orderItemId": item_id, "quantity": quantity}


# ------------------------------------------------------------------------ initiate


def test_initiate_creates_a_priced_basket_and_sets_the_landing_cookie(north):
    reply = north.initiate(
        north.line("Digital Monthly"),
        north.line("Puzzles & Crosswords"),
        north.line("Gift Digital Annual", 2),
        country="gb",
        external_id="order-1001-" + uuid.uuid4().hex,
    )
    assert reply.status_code == 200, reply.text
    body = InitiateResponse.model_validate(reply.json())
    assert BASKET_ID_RE.match(body.id)
    order = body.order
    assert order.country == "GB" and order.currency == "GBP"
    assert order.checkoutId == order.external_id and order.external_id.startswith("order-1001-")
    amounts = [
        (item.offer.name, item.price.amount, item.lineTotal.amount) for item in order.orderItems
    ]
    assert amounts == [
        ("Digital Monthly", "9.99", "9.99"),
        ("Puzzles & Crosswords", "2.99", "2.99"),
        ("Gift Digital Annual", "89.00", "178.00"),
    ]
    assert [item.type for item in order.orderItems] == ["offer", "add_on", "offer"]
    assert order.orderItems[0].price.summary == "£9.99 per month"
    assert order.orderItems[2].price.summary == "£89.00 one-off"
    assert order.orderSubtotal == order.orderTotal == "190.98"
    assert order.total.amount == "190.98" and order.total.currency == "GBP"
    assert all(uuid.UUID(item.id) for item in order.orderItems)
    assert order.orderItems[0].products[0] == {
        "path": "/products/Digital Access",
        "name": "Digital Access",
    }

    expires = datetime.strptime(body.expiresAt, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(expires - datetime.now(UTC) - timedelta(days=14)) < timedelta(minutes=1)

    set_cookie = reply.headers["set-cookie"]
    for attribute in ("Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=1209600"):
        assert attribute in set_cookie
    value = reply.cookies[COOKIE]
    decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    assert decoded == {"basketId": body.id}
    assert body.assistedCheckoutLink is None


def test_initiate_again_with_the_same_external_id_updates_that_basket(north, south):
    external_id = f"reuse-{uuid.uuid4()}"
    first = north.initiate(north.line("Digital Monthly"), external_id=external_id).json()
    again = north.initiate(
        north.line("Digital Annual"),
        north.line("Archive Access"),
        country="IE",
        external_id=external_id,
    ).json()
    assert again["id"] == first["id"]
    assert [item["offer"]["name"] for item in again["order"]["orderItems"]] == [
        "Digital Annual",
        "Archive Access",
    ]
    assert again["order"]["country"] == "IE" and again["order"]["total"] == {
        "amount": "124.49",
        "currency": "EUR",
    }
    assert again["expiresAt"] == first["expiresAt"]
    # The same external id in another organisation is another basket.
    other = south.initiate(south.line("Digital Monthly"), external_id=external_id).json()
    assert other["id"] != first["id"]


def test_totals_count_only_lines_in_the_basket_currency(north):
    reply = north.initiate(
        north.line("Digital Monthly"), north.line("Weekend Print + Digital"), country="DE"
    ).json()
    lines = reply["order"]["orderItems"]
    assert reply["order"]["currency"] == "EUR"
    assert lines[0]["price"] == {
        "currency": "EUR",
        "amount": "11.99",
        "summary": "€11.99 per month",
    }
    assert lines[1]["price"]["currency"] == "GBP"  # no euro price: its first price
    assert reply["order"]["total"] == {"amount": "11.99", "currency": "EUR"}


def test_tracking_account_id_gives_an_assisted_checkout_link(north, sandbox):
    reply = north.initiate(
        north.line("Print + Digital Bundle"),
        north.line("Sunday Magazine Delivery"),
        tracking={"accountId": "001<script>", "contactId": "003X"},
    ).json()
    link = reply["assistedCheckoutLink"]
    assert link.startswith(f"{sandbox.root_url}/shop/assisted/{reply['id']}?owner=")
    assert reply["order"]["tracking"] == {"accountId": "001<script>", "contactId": "003X"}
    page = httpx.get(link)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Print + Digital Bundle" in page.text and "£33.49" in page.text
    assert "Sunday Magazine Delivery" in page.text and "Northwind Media" in page.text
    assert "<script>" not in page.text
    assert httpx.get(link.split("?")[0] + "?owner=someone-else").status_code == 404


def _body(lines: list[dict], **order) -> dict:
    return {
        "order": {
            "orderItems": lines,
            "external_id": f"bad-{uuid.uuid4()}",
            "country": "GB",
            "source": "pytest",
            "order_type": "new",
        }
        | order
    }


def test_a_missing_field_is_502_naming_it(north):
    line = north.line("Digital Monthly")
    del line["offer"]["version"]
    reply = north.client.post("/partner/checkout/initiate", json=_body([line]))
    assert reply.status_code == 502
    assert reply.json() == {"message": "order.orderItems[0].offer.version: Field required"}


def test_several_problems_are_joined_in_one_message(north):
    line = north.line("Digital Monthly")
    del line["offer"]["id"]
    body = _body([line])
    del body["order"]["source"]
    message = north.client.post("/partner/checkout/initiate", json=body).json()["message"]
    assert message.split("; ") == [
        "order.orderItems[0].offer.id: Field required",
        "order.source: Field required",
    ]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"order_type": "upgrade"}, "order.order_type: Input should be 'new' or 'renew'"),
        ({"country": "XX"}, "order.country: 'XX' is not an ISO 3166-1 alpha-2 country code"),
        ({"country": "GBR"}, "order.country"),
        ({"orderitems": []}, "order.orderitems: Extra inputs are not permitted"),
    ],
)
def test_a_bad_order_field_is_502_naming_it(north, change, named):
    body = _body([north.line("Digital Monthly")], **change)
    reply = north.client.post("/partner/checkout/initiate", json=body)
    assert reply.status_code == 502
    assert named in reply.json()["message"]


def test_an_unknown_offer_is_502_naming_the_item(north):
    line = north.line("Digital Monthly")
    line["offer"]["id"] = "0" * 40
    reply = north.client.post(
        "/partner/checkout/initiate", json=_body([north.line("Digital Annual"), line])
    )
    assert reply.status_code == 502
    assert reply.json()["message"] == (
        f"order.orderItems[1].offer.id: no offer '{'0' * 40}' in the catalogue"
    )


def test_an_unknown_version_is_502_giving_the_current_one(north):
    line = north.line("Digital Monthly")
    line["offer"]["version"] = "f" * 40
    message = north.client.post("/partner/checkout/initiate", json=_body([line])).json()["message"]
    assert message.startswith("order.orderItems[0].offer.version: ")
    assert north.offers["Digital Monthly"]["version"] in message


def test_a_type_that_contradicts_the_catalogue_is_502(north):
    lines = [north.line("Digital Monthly"), north.line("Puzzles & Crosswords", type="offer")]
    reply = north.client.post("/partner/checkout/initiate", json=_body(lines))
    assert reply.status_code == 502
    assert reply.json()["message"].startswith("order.orderItems[1].type: ")


def test_a_body_that_is_not_json_is_502(north):
    reply = north.client.post(
        "/partner/checkout/initiate",
        content=b"{order: nope",
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 502
    assert reply.json()["message"].startswith("body is not valid JSON: ")


def test_a_body_without_the_json_content_type_is_502(north):
    reply = north.client.post(
        "/partner/checkout/initiate",
        content=json.dumps(_body([north.line("Digital Monthly")])),
        headers={"Content-Type": "text/plain"},
    )
    assert reply.status_code == 502
    assert reply.json() == {"message": "send the body as JSON with Content-Type: application/json"}


def test_a_body_over_one_mebibyte_is_413(north):
    body = _body([north.line("Digital Monthly")], source="x" * (1024 * 1024))
    reply = north.client.post("/partner/checkout/initiate", json=body)
    assert reply.status_code == 413
    assert "too large" in reply.json()["message"]


# ------------------------------------------------------------------------ update


def test_update_applies_actions_in_order_and_reports_each(north):
    basket_id, cookie = north.basket(north.line("Digital Monthly"), north.line("Digital Annual"))
    items = north.validate(basket_id).json()["checkout"]["orderItems"]
    monthly, annual = items[0]["id"], items[1]["id"]
    team_id = north.offers["Team Digital"]["id"]
    puzzles_id = north.offers["Puzzles & Crosswords"]["id"]

    reply = north.update(
        cookie, add(team_id), remove(monthly), change(annual, 3), add(puzzles_id, 1)
    )
    assert reply.status_code == 200, reply.text
    body = UpdateResponse.model_validate(reply.json())
    assert body.id == basket_id
    results = [(result.actionType, result.id) for result in body.orderActionResults]
    new_items = body.order.orderItems
    assert [kind for kind, _ in results] == ["add", "remove", "change_quantity", "add"]
    assert results[1][1] == monthly and results[2][1] == annual
    assert [(item.offer.name, item.quantity, item.type) for item in new_items] == [
        ("Digital Annual", 3, "offer"),
        ("Team Digital", 5, "offer"),  # the offer's default quantity
        ("Puzzles & Crosswords", 1, "add_on"),
    ]
    assert [results[0][1], results[3][1]] == [new_items[1].id, new_items[2].id]
    assert body.order.total.amount == "699.99"  # 3 × 99 + 5 × 80 + 2.99
    assert (
        north.validate(basket_id).json()["checkout"]["orderItems"]
        == reply.json()["order"]["orderItems"]
    )


def test_an_added_offer_takes_its_current_version(north):
    _, cookie = north.basket(north.line("Digital Annual"))
    monthly = north.offers["Digital Monthly"]
    item = north.update(cookie, add(monthly["id"])).json()["order"]["orderItems"][-1]
    assert item["offer"]["version"] == monthly["version"]


def test_a_bad_action_rejects_the_whole_batch(north):
    basket_id, cookie = north.basket(north.line("Digital Monthly"))
    before = north.validate(basket_id).json()["checkout"]
    item_id = before["orderItems"][0]["id"]
    reply = north.update(
        cookie,
        add(north.offers["Digital Annual"]["id"]),
        change(item_id, 2),
        remove("no-such-item"),
        add("f" * 40),
    )
    assert reply.status_code == 502
    assert reply.json()["message"] == (
        "orderActions[2].orderItemId: no item 'no-such-item' in this basket; "
        f"orderActions[3].offerId: no offer '{'f' * 40}' in the catalogue"
    )
    assert north.validate(basket_id).json()["checkout"] == before


def test_an_item_removed_earlier_in_the_batch_cannot_be_changed(north):
    basket_id, cookie = north.basket(north.line("Digital Monthly"))
    item_id = north.validate(basket_id).json()["checkout"]["orderItems"][0]["id"]
    reply = north.update(cookie, remove(item_id), change(item_id, 2))
    assert reply.status_code == 502
    assert reply.json()["message"].startswith("orderActions[1].orderItemId: ")


def test_an_action_missing_its_field_is_502_naming_the_action(north):
    _, cookie = north.basket(north.line("Digital Monthly"))
    reply = north.update(cookie, {"orderItemActionType": "add"})
    assert reply.status_code == 502
    assert reply.json()["message"] == "orderActions[0]: an 'add' action needs offerId"
    reply = north.update(cookie, {"orderItemActionType": "replace", "offerId": "x"})
    assert reply.json()["message"].startswith("orderActions[0].orderItemActionType: ")


@pytest.mark.parametrize("cookie", [None, "", "garbage!", "eyJub3QiOiJpdCJ9"])
def test_update_without_a_usable_cookie_is_basket_not_found(north, cookie):
    reply = north.update(cookie, add(north.offers["Digital Annual"]["id"]))
    assert reply.status_code == 404
    assert reply.json() == {"message": "Basket not found."}


def test_another_organisations_cookie_finds_no_basket(north, south):
    basket_id, cookie = north.basket(north.line("Digital Monthly"))
    reply = south.update(cookie, add(south.offers["Digital Annual"]["id"]))
    assert reply.status_code == 404
    assert reply.json() == {"message": "Basket not found."}
    assert len(north.validate(basket_id).json()["checkout"]["orderItems"]) == 1


# ------------------------------------------------------------------------ validate


def test_validate_is_private_to_the_organisation(north, south):
    basket_id, _ = north.basket(north.line("Digital Monthly"))
    assert north.validate(basket_id).status_code == 200
    reply = south.validate(basket_id)
    assert reply.status_code == 404
    assert reply.json() == {"message": "Basket not found."}


def test_validate_an_unknown_basket_is_not_found(north):
    reply = north.validate(f"basket-{uuid.uuid4()}")
    assert reply.status_code == 404 and reply.json() == {"message": "Basket not found."}


@pytest.mark.parametrize(
    "basket_id", ["basket-a1b2c3d4e5f6", "cart-" + "a" * 32, "basket-" + "!" * 32]
)
def test_validate_an_id_off_the_pattern_is_502_naming_id(north, basket_id):
    reply = north.validate(basket_id)
    assert reply.status_code == 502
    assert reply.json()["message"].startswith("id: String should match pattern")


def test_a_good_basket_validates_clean(north):
    basket_id, _ = north.basket(
        north.line("Print + Digital Bundle"), north.line("Sunday Magazine Delivery")
    )
    body = ValidateResponse.model_validate(north.validate(basket_id).json())
    assert body.is_valid
    assert body.checkout.id == basket_id and body.checkout.expiresAt
    assert body.checkout.total.amount == "33.49"


def problems(partner: Partner, basket_id: str) -> tuple[list[str], list[dict]]:
    invalid = partner.validate(basket_id).json()["invalid"]
    return invalid["blockedProducts"], invalid["validationErrors"]


def test_an_offer_not_sold_in_the_country_is_blocked(north):
    basket_id, _ = north.basket(
        north.line("Print + Digital Bundle"), north.line("Digital Monthly"), country="DE"
    )
    blocked, errors = problems(north, basket_id)
    bundle = north.offers["Print + Digital Bundle"]["id"]
    assert blocked == [bundle]
    assert [(e["code"], e["offerId"], e["message"]) for e in errors] == [
        ("country_not_allowed", bundle, "Print + Digital Bundle is not sold in DE (sold in GB, IE)")
    ]


def test_an_outdated_version_is_blocked(north):
    old = north.outdated["Digital Monthly"]
    line = {"offer": {"id": old["id"], "version": old["version"]}}
    reply = north.initiate(line)
    assert reply.status_code == 200
    item = reply.json()["order"]["orderItems"][0]
    assert item["offer"]["version"] == old["version"]
    assert item["price"]["amount"] == "8.99"  # the price of that version
    blocked, errors = problems(north, reply.json()["id"])
    assert blocked == [old["id"]]
    assert errors[0]["code"] == "outdated_version" and errors[0]["orderItemId"] == item["id"]
    assert north.offers["Digital Monthly"]["version"][:8] in errors[0]["message"]


def test_an_add_on_without_its_offer_is_blocked(north):
    basket_id, _ = north.basket(
        north.line("Digital Monthly"), north.line("Sunday Magazine Delivery")
    )
    blocked, errors = problems(north, basket_id)
    add_on = north.offers["Sunday Magazine Delivery"]["id"]
    assert blocked == [add_on]
    assert [e["code"] for e in errors] == ["addon_without_offer"]
    assert "Print + Digital Bundle" in errors[0]["message"]


def test_a_quantity_out_of_range_is_reported_but_not_blocked(north):
    basket_id, cookie = north.basket(north.line("Team Digital", 5), north.line("Student Digital"))
    items = north.validate(basket_id).json()["checkout"]["orderItems"]
    reply = north.update(cookie, change(items[0]["id"], 7), change(items[1]["id"], 2))
    assert reply.status_code == 200  # stored even outside the limits
    blocked, errors = problems(north, basket_id)
    assert blocked == []
    assert [(e["code"], e["orderItemId"]) for e in errors] == [
        ("quantity_out_of_range", items[0]["id"]),
        ("quantity_out_of_range", items[1]["id"]),
    ]
    assert "from 5 to 250 in steps of 5" in errors[0]["message"]
    assert errors[0]["message"].startswith("Team Digital")


def test_an_offer_without_a_price_in_the_basket_currency_is_reported(north):
    basket_id, _ = north.basket(north.line("Team Digital", 5), country="CA")
    blocked, errors = problems(north, basket_id)
    assert blocked == []
    assert [(e["code"], e["message"]) for e in errors] == [
        ("currency_mismatch", "Team Digital has no CAD price (priced in GBP, EUR, USD)")
    ]


def test_an_empty_basket_is_reported(north):
    basket_id, _ = north.basket()
    blocked, errors = problems(north, basket_id)
    assert blocked == [] and [e["code"] for e in errors] == ["empty_basket"]


def test_an_expired_basket_is_not_found(fresh_sandbox_factory):
    now = [1_800_000_000.0]
    sandbox = fresh_sandbox_factory(clock=lambda: now[0])
    partner = Partner(sandbox)
    try:
        reply = partner.initiate(partner.line("Digital Monthly"), external_id="ages-ago")
        assert reply.json()["expiresAt"] == "2027-01-29T08:00:00.000Z"
        basket_id, cookie = reply.json()["id"], reply.cookies[COOKIE]
        now[0] += 14 * 24 * 3600 - 1
        assert partner.validate(basket_id).status_code == 200
        now[0] += 1
        assert partner.validate(basket_id).status_code == 404
        assert (
            partner.update(cookie, add(partner.offers["Digital Annual"]["id"])).status_code == 404
        )
        # Its external id now starts a new basket.
        again = partner.initiate(partner.line("Digital Monthly"), external_id="ages-ago").json()
        assert again["id"] != basket_id and re.match(r"^basket-", again["id"])
    finally:
        partner.close()
