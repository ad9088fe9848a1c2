"""How big a basket, an update and a body may be: refused beyond the cap with a
502 naming the field (or a 413 for the body), and nothing stored, so no single
request can make every later one slow."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from tui_app.sandbox.limits import MAX_ACTIONS, MAX_BODY, MAX_ITEMS, ServerLimits

COOKIE = "limio-landing-state"


def test_the_caps_leave_room_for_the_benchmark_baskets():
    assert MAX_ITEMS >= 2 * 500 and MAX_ACTIONS >= 500  # benchmarks/ build 500-line baskets


@pytest.fixture
def shop(fresh_sandbox):
    token = fresh_sandbox.orgs[0].demo_token
    with httpx.Client(base_url=fresh_sandbox.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        offers = http.get("/offers/v2").json()["items"]
        offer = next(o for o in offers if o["name"] == "Digital Monthly")
        yield Shop(fresh_sandbox, http, offer)


class Shop:
    def __init__(self, server, http: httpx.Client, offer: dict) -> None:
        self.server, self.http, self.offer = server, http, offer

    def counts(self) -> tuple[int, int]:
        return self.server._db.run(lambda tx: tx.counts())

    def initiate(self, lines: int, external_id: str = "caps-1") -> httpx.Response:
        line = {"offer": {"id": self.offer["id"], "version": self.offer["version"]}}
        body = {"order": {"orderItems": [line] * lines, "external_id": external_id,
                          "country": "GB", "source": "pytest", "order_type": "new"}}
        reply = self.http.post("/partner/checkout/initiate", json=body)
        self.http.cookies.clear()
        return reply

    def update(self, cookie: str, adds: int, *, compact: bool = False) -> httpx.Response:
        action = {"orderItemActionType": "add", "offerId": self.offer["id"]}
        body = json.dumps({"orderActions": [action] * adds},
                          separators=(",", ":") if compact else None)
        return self.http.put("/partner/checkout/update", content=body.encode(),
                             headers={"Content-Type": "application/json",
                                      "Cookie": f"{COOKIE}={cookie}"})


def test_a_basket_of_the_cap_is_made_and_one_more_is_refused(shop):
    full = shop.initiate(MAX_ITEMS)
    assert full.status_code == 200
    assert len(full.json()["order"]["orderItems"]) == MAX_ITEMS
    before = shop.counts()
    over = shop.initiate(MAX_ITEMS + 1, external_id="caps-2")
    assert over.status_code == 502
    assert over.json() == {"message": f"order.orderItems: {MAX_ITEMS + 1} items; "
                                      f"a basket holds at most {MAX_ITEMS}"}
    assert shop.counts() == before


def test_an_update_of_more_actions_than_the_cap_is_refused_whole(shop):
    cookie = shop.initiate(1).cookies[COOKIE]
    before = shop.counts()
    reply = shop.update(cookie, MAX_ACTIONS + 1)
    assert reply.status_code == 502
    assert reply.json() == {"message": f"orderActions: {MAX_ACTIONS + 1} actions; "
                                       f"an update takes at most {MAX_ACTIONS}"}
    assert shop.counts() == before
    assert shop.update(cookie, MAX_ACTIONS).status_code == 200  # the cap itself is fine


def test_updates_cannot_grow_a_basket_past_the_cap_and_a_refusal_changes_nothing(shop):
    cookie = shop.initiate(MAX_ITEMS - 10).cookies[COOKIE]
    before = shop.counts()
    reply = shop.update(cookie, 20)
    assert reply.status_code == 502
    assert reply.json() == {"message": f"orderActions[10]: the basket already holds "
                                       f"{MAX_ITEMS} items; a basket holds at most {MAX_ITEMS}"}
    assert shop.counts() == before  # all or nothing: not even the first 10 are added
    assert shop.update(cookie, 10).status_code == 200
    assert shop.counts() == (before[0], before[1] + 10)


def test_the_one_megabyte_update_that_froze_the_sandbox_is_refused_at_once(shop):
    cookie = shop.initiate(1).cookies[COOKIE]
    adds = 12_633  # what fits in 1 MB: it used to add them all
    before = shop.counts()
    started = time.perf_counter()
    reply = shop.update(cookie, adds, compact=True)
    assert reply.status_code == 502 and reply.json()["message"].startswith("orderActions: ")
    assert time.perf_counter() - started < 2
    assert shop.counts() == before


def test_many_bad_lines_give_a_message_of_bounded_length(shop):
    body = {"order": {"orderItems": [{"offer": {"id": f"nope-{n}-" + "x" * 800,
                                                "version": "v"}} for n in range(MAX_ITEMS)],
                      "external_id": "caps-3", "country": "GB", "source": "pytest",
                      "order_type": "new"}}
    reply = shop.http.post("/partner/checkout/initiate", json=body)
    assert reply.status_code == 502
    message = reply.json()["message"]
    assert message.startswith("order.orderItems[0].offer.id: no offer ")
    assert message.endswith(f"; and {MAX_ITEMS - 20} more")
    assert len(message) < 5000


@pytest.mark.parametrize("chunked", [False, True], ids=["declared length", "chunked"])
def test_a_body_over_the_limit_is_413_however_it_is_sent(shop, chunked):
    before = shop.counts()
    body = b'{"order": "' + b"x" * MAX_BODY + b'"}'
    if chunked:  # no Content-Length to trust: counted as it arrives
        content = iter([body[i:i + 65536] for i in range(0, len(body), 65536)])
        reply = shop.http.post("/partner/checkout/initiate", content=content,
                               headers={"Content-Type": "application/json"})
    else:
        reply = shop.http.post("/partner/checkout/initiate", content=body,
                               headers={"Content-Type": "application/json"})
    assert reply.status_code == 413
    assert reply.json() == {"message": f"body too large: at most {MAX_BODY} bytes"}
    assert shop.counts() == before


def test_a_body_that_stops_arriving_is_408(fresh_sandbox_factory):
    server = fresh_sandbox_factory(limits=ServerLimits(body_timeout=0.5))
    port = int(server.root_url.rsplit(":", 1)[1])
    head = (f"POST /api/partner/checkout/initiate HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {server.orgs[0].demo_token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"order\":")
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert time.monotonic() - started < 4
    assert reply.startswith(b"HTTP/1.1 408 ")
    assert reply.endswith(b'{"message":"request body not received within 0.5 s"}')
