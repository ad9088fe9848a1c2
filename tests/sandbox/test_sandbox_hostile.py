"""Hostile requests to the sandbox: each gets its documented status and a
message, and nothing is stored."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest

from tui_app.sandbox import SandboxServer


@pytest.fixture(scope="module")
def server():
    with SandboxServer() as running:
        yield running


@pytest.fixture(scope="module")
def setup(server):
    """A basket of org 0, and what a request needs."""
    token = server.orgs[0].demo_token
    with httpx.Client(base_url=server.base_url) as http:
        offers = http.get("/offers/v2", headers={"Authorization": f"Bearer {token}"}).json()
        offer = next(o for o in offers["items"] if o["name"] == "Digital Monthly")
        body = {"order": {"orderItems": [{"offer": {"id": offer["id"],
                                                    "version": offer["version"]}}],
                          "external_id": "hostile-1", "country": "GB", "source": "t",
                          "order_type": "new"}}
        reply = http.post("/partner/checkout/initiate", json=body,
                          headers={"Authorization": f"Bearer {token}"})
        cookie = "; ".join(f"{k}={v}" for k, v in reply.cookies.items())
    return {"token": token, "body": body, "basket": reply.json()["id"], "cookie": cookie,
            "offer": offer}


def counts(server):
    return server._db.run(lambda tx: tx.counts())


def forged(server, **claims):
    payload = {"sub": "sandbox-northwind", "org": "org-northwind", "scope": "partner",
               "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, "not-the-sandbox-key-but-long-enough-32b", algorithm="HS256")


def alg_none(server):
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    claims = {"sub": "sandbox-northwind", "org": "org-northwind", "exp": int(time.time()) + 600}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{body}."


CASES = {
    "body over the size limit": (
        "POST", "/partner/checkout/initiate",
        lambda s, d: {"content": b'{"order": "' + b"x" * (1024 * 1024 + 10) + b'"}',
                      "headers": {"Content-Type": "application/json"}}, 413, "too large"),
    "malformed JSON": (
        "POST", "/partner/checkout/initiate",
        lambda s, d: {"content": b'{"order": ', "headers": {"Content-Type": "application/json"}},
        502, "not valid JSON"),
    "wrong content type": (
        "POST", "/partner/checkout/initiate",
        lambda s, d: {"content": json.dumps(d["body"]).encode(),
                      "headers": {"Content-Type": "text/plain"}}, 502, "Content-Type"),
    "huge quantity": (
        "POST", "/partner/checkout/initiate",
        lambda s, d: {"json": {"order": {**d["body"]["order"], "external_id": "hostile-2",
                                         "orderItems": [{**d["body"]["order"]["orderItems"][0],
                                                         "quantity": 10**12}]}}},
        502, "quantity"),
    "unknown field": (
        "POST", "/partner/checkout/initiate",
        lambda s, d: {"json": {"order": {**d["body"]["order"], "external_id": "hostile-3",
                                         "discount": "100%"}}}, 502, "order.discount"),
    "id outside the pattern": (
        "POST", "/partner/checkout/validate/basket-123", lambda s, d: {}, 502, "id"),
    "forged token": (
        "POST", "/partner/checkout/initiate",
        lambda s, d: {"json": d["body"], "token": forged(s)}, 401, "Unauthorized"),
    "alg none token": (
        "POST", "/partner/checkout/initiate",
        lambda s, d: {"json": d["body"], "token": alg_none(s)}, 401, "Unauthorized"),
    "expired token": (
        "POST", "/partner/checkout/initiate",
        lambda s, d: {"json": d["body"], "token": s.mint_token("org-northwind", ttl=-10)},
        401, "Unauthorized"),
    "another organisation's basket (update)": (
        "PUT", "/partner/checkout/update",
        lambda s, d: {"json": {"orderActions": [{"orderItemActionType": "add",
                                                  "offerId": d["offer"]["id"]}]},
                      "headers": {"Cookie": d["cookie"]}, "token": s.orgs[1].demo_token},
        404, "Basket not found."),
    "another organisation's basket (validate)": (
        "POST", "/partner/checkout/validate/{basket}",
        lambda s, d: {"token": s.orgs[1].demo_token}, 404, "Basket not found."),
    "a bad action in a batch": (
        "PUT", "/partner/checkout/update",
        lambda s, d: {"json": {"orderActions": [
            {"orderItemActionType": "add", "offerId": d["offer"]["id"]},
            {"orderItemActionType": "remove", "orderItemId": "nope"}]},
            "headers": {"Cookie": d["cookie"]}}, 502, "orderActions[1]"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_hostile_request_is_refused_and_nothing_is_stored(server, setup, case):
    method, path, build, status, words = CASES[case]
    options = build(server, setup)
    token = options.pop("token", setup["token"])
    headers = {"Authorization": f"Bearer {token}", **options.pop("headers", {})}
    before = counts(server)
    with httpx.Client(base_url=server.base_url) as http:
        reply = http.request(method, path.format(basket=setup["basket"]), headers=headers,
                             **options)
    assert reply.status_code == status
    assert words in reply.json()["message"]
    assert counts(server) == before
