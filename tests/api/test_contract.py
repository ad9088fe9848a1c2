"""Every reply the sandbox gives, success or error, matches the vendored spec;
so does every body the client sends."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tui_app.services.api.models import BASKET_ID_RE

from contract import request_errors, response_errors, validate_path_id_errors


@pytest.fixture(scope="module")
def api(sandbox):
    org = sandbox.orgs[0]
    with httpx.Client(base_url=sandbox.base_url) as http:
        http.headers["Authorization"] = f"Bearer {org.demo_token}"
        yield http


@pytest.fixture(scope="module")
def offers(api):
    return [o for o in api.get("/offers/v2").json()["items"] if o["record_type"] == "offer"]


def initiate(api, offers, **overrides):
    body = {
        "order": {
            "orderItems": [
                {"offer": {"id": o["id"], "version": o["version"]}, "quantity": 1}
                for o in offers
            ],
            "external_id": f"contract-{uuid.uuid4()}",
            "country": "GB",
            "source": "contract-test",
            "order_type": "new",
            **overrides,
        }
    }
    assert request_errors("initiate", body) == []
    return body, api.post("/partner/checkout/initiate", json=body)


def cookie_header(reply):
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in reply.cookies.items())}


def check(name, reply):
    body = reply.json() if reply.content else None
    assert response_errors(name, reply.status_code, body) == [], (reply.status_code, body)


def test_initiate_update_validate_replies_match_the_spec(api, offers):
    _, reply = initiate(api, offers[:2])
    check("initiate", reply)
    basket_id = reply.json()["id"]
    assert BASKET_ID_RE.match(basket_id) and validate_path_id_errors(basket_id) == []
    item = reply.json()["order"]["orderItems"][0]["id"]
    body = {"orderActions": [{"orderItemActionType": "change_quantity", "orderItemId": item,
                              "quantity": 2}]}
    assert request_errors("update", body) == []
    check("update", api.put("/partner/checkout/update", json=body,
                                   headers=cookie_header(reply)))
    check("validate", api.post(f"/partner/checkout/validate/{basket_id}"))


def test_error_replies_match_the_spec(api, offers, sandbox):
    _, reply = initiate(api, offers[:1])
    basket_id = reply.json()["id"]
    anonymous = httpx.Client(base_url=sandbox.base_url)
    # 401 on every operation
    check("initiate", anonymous.post("/partner/checkout/initiate", json={}))
    check("update", anonymous.put("/partner/checkout/update", json={"orderActions": []}))
    check("validate", anonymous.post(f"/partner/checkout/validate/{basket_id}"))
    # 502 for a body that breaks the schema, naming the field
    bad = api.post("/partner/checkout/initiate", json={"order": {"orderItems": []}})
    check("initiate", bad)
    assert "order.external_id" in bad.json()["message"]
    bad_update = api.put(
        "/partner/checkout/update",
        json={"orderActions": [{"orderItemActionType": "explode"}]},
        headers=cookie_header(reply),
    )
    check("update", bad_update)
    # 404 for a basket the caller cannot see
    check("update", api.put("/partner/checkout/update", json={"orderActions": []}))
    check("validate", api.post("/partner/checkout/validate/basket-" + str(uuid.uuid4())))
    anonymous.close()


def test_the_client_sends_only_bodies_the_spec_accepts(api, offers):
    # Bodies exactly as the client serialises them.
    from tui_app.services.api.models import InitiateCheckout, OrderAction, UpdateCheckout

    body, _ = initiate(api, offers[:1], tracking={"accountId": "001", "offers": ["x"]})
    assert request_errors("initiate", InitiateCheckout.model_validate(body).to_json()) == []
    update = UpdateCheckout(orderActions=[OrderAction.add("x"), OrderAction.remove("y")])
    assert request_errors("update", json.loads(update.model_dump_json(exclude_none=True))) == []
