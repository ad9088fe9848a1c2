"""Deeply nested, oversized or odd input, wherever the sandbox parses some:
the body, `tracking`, the landing-state cookie, `opt.queryMoreAlias` and the
other query options, bearer tokens and Basic credentials. Each gets a 4xx or a
502 with a JSON message, never a 500, and nothing is stored.

Every hostile value is tried in every place, so a new parser or a new place
that forgets the bounds fails here."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
from urllib.parse import quote

import pytest

from tui_app.sandbox import SandboxServer

COOKIE = "limio-landing-state"


def deep_arrays(depth: int, closed: bool = True) -> str:
    return "[" * depth + ("]" * depth if closed else "")


def deep_objects(depth: int) -> str:
    return '{"x":' * depth + "1" + "}" * depth


# JSON texts, from just past the documented depth to far past the stack.
HOSTILE_JSON = {
    "arrays 33 deep": deep_arrays(33),
    "arrays 1,000 deep": deep_arrays(1000),
    "objects 1,000 deep": deep_objects(1000),
    "arrays 20,000 deep": deep_arrays(20_000),
    "100,000 unclosed [": deep_arrays(100_000, closed=False),
    "100,000-character string": json.dumps("x" * 100_000),
    "NaN": "NaN",
}
# Text that is not JSON at all, for places that take text.
HOSTILE_TEXT = {
    "percent soup": "%%%",
    "NUL and controls": "\x00\x01\x1b[31m",
    "non-ASCII": "é\u202e💥",
    "100,000 characters": "a" * 100_000,
    "base64 padding only": "=====",
}


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def server():
    with SandboxServer() as running:
        yield running


@pytest.fixture(scope="module")
def basket(server):
    """An initiate body that works, and the cookie of the basket it made."""
    offers = call(server, "GET", "/api/offers/v2", auth=True)[1]["items"]
    offer = next(o for o in offers if o["name"] == "Digital Monthly")
    body = {"order": {"orderItems": [{"offer": {"id": offer["id"],
                                                "version": offer["version"]}}],
                      "external_id": "deep-1", "country": "GB", "source": "pytest",
                      "order_type": "new"}}
    status, _, headers = call(server, "POST", "/api/partner/checkout/initiate",
                              body=json.dumps(body).encode(), auth=True)
    assert status == 200
    cookie = headers["set-cookie"].split(";")[0].split("=", 1)[1]
    return {"body": body, "cookie": cookie, "offer": offer}


def call(server, method: str, target: str, *, body: bytes | None = None, auth: bool = False,
         headers: dict[str, str] | None = None, content_type: str = "application/json",
         ) -> tuple[int, dict, dict[str, str]]:
    """One request over a raw socket, so no client library second-guesses the
    input: (status, JSON reply, reply headers)."""
    lines = [f"{method} {target} HTTP/1.1", "Host: sandbox", "Connection: close"]
    if auth:
        lines.append(f"Authorization: Bearer {server.orgs[0].demo_token}")
    if body is not None:
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    port = int(server.root_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # Refused before it was all sent? The reply is still there to read.
        with contextlib.suppress(ConnectionError):
            sock.sendall(head + (body or b""))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    raw_head, _, raw_body = data.partition(b"\r\n\r\n")
    status = int(raw_head.split(b" ", 2)[1])
    reply_headers = {}
    for line in raw_head.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        reply_headers[name.strip().lower()] = value.strip()
    try:
        reply = json.loads(raw_body)
    except ValueError:
        reply = {"not json": raw_body[:200].decode("latin-1")}
    return status, reply, reply_headers


def q(value: str) -> str:
    """Percent-encode what cannot go raw in a request line; keep % raw (bad escapes)."""
    return quote(value, safe="%=")


def counts(server):
    return server._db.run(lambda tx: tx.counts())


def initiate_with_tracking(server, data, tracking: str):
    text = json.dumps(data["body"])
    # Spliced in as text: the test's own json.dumps could not nest this deep.
    raw = text[:-2] + f', "tracking": {{"accountId": "a1", "extra": {tracking}}}}}}}'
    return call(server, "POST", "/api/partner/checkout/initiate", body=raw.encode(), auth=True)


def token_with_header(server, data, value: str):
    headers = {"Authorization": f"Bearer {b64(value)}.{b64('{}')}.c2ln"}
    return call(server, "GET", "/api/offers/v2", headers=headers)


def update_with_cookie(server, data, value: str):
    return call(server, "PUT", "/api/partner/checkout/update", body=b'{"orderActions": []}',
                auth=True, headers={"Cookie": f"{COOKIE}={value}"})


def offers_with(server, data, query: str):
    return call(server, "GET", f"/api/offers/v2?{query}", auth=True)


def token_with_basic(server, data, value: str):
    return call(server, "POST", "/oauth2/token", body=b"grant_type=client_credentials",
                content_type="application/x-www-form-urlencoded",
                headers={"Authorization": f"Basic {b64(value)}"})


# place -> (send a JSON text there, the statuses it may answer)
JSON_PLACES = {
    "initiate body": (lambda s, d, v: call(s, "POST", "/api/partner/checkout/initiate",
                                           body=v.encode(), auth=True), {502, 413}),
    "update body": (lambda s, d, v: call(s, "PUT", "/api/partner/checkout/update",
                                         body=v.encode(), auth=True,
                                         headers={"Cookie": f"{COOKIE}={d['cookie']}"}),
                    {502, 413}),
    "tracking": (initiate_with_tracking, {502, 413}),
    "landing cookie": (lambda s, d, v: update_with_cookie(s, d, b64(v)), {404, 431}),
    "queryMoreAlias": (lambda s, d, v: offers_with(
        s, d, f"opt.queryMoreFrom=1&opt.queryMoreAlias={b64(v)}"), {502, 431}),
    "bearer token": (token_with_header, {401, 431}),
    "basic credentials": (token_with_basic, {400, 401, 431}),
}

# place -> (send a text there, the statuses it may answer)
TEXT_PLACES = {
    "landing cookie": (lambda s, d, v: update_with_cookie(s, d, q(v)), {404, 431}),
    "queryMoreAlias": (lambda s, d, v: offers_with(
        s, d, f"opt.queryMoreFrom=1&opt.queryMoreAlias={q(v)}"), {502, 431}),
    "opt.pageSize": (lambda s, d, v: offers_with(s, d, f"opt.pageSize={q(v)}"), {502, 431}),
    "offersSource": (lambda s, d, v: offers_with(s, d, f"offersSource={q(v)}"), {502, 431}),
    "bearer token": (lambda s, d, v: call(s, "GET", "/api/offers/v2",
                                          headers={"Authorization": f"Bearer {q(v)}"}),
                     {401, 431}),
    "basic credentials": (lambda s, d, v: token_with_basic(s, d, v), {400, 401, 431}),
    "validate path": (lambda s, d, v: call(
        s, "POST", f"/api/partner/checkout/validate/{quote(v, safe='')}", auth=True),
        {404, 431, 502}),
    # Unencoded: what h11 itself refuses must be refused in JSON too.
    "raw request target": (lambda s, d, v: call(s, "GET", f"/api/offers/v2?path={v}",
                                                auth=True), {200, 400, 431, 502}),
    "raw header": (lambda s, d, v: call(s, "GET", "/api/offers/v2", auth=True,
                                        headers={"X-Odd": v}), {200, 400, 431}),
}


def assert_answered_cleanly(server, caplog, status, reply, allowed, before):
    assert status in allowed, (status, reply)
    assert "not json" not in reply, reply
    if status != 200:
        assert isinstance(reply.get("message"), str) and reply["message"], reply
        assert len(reply["message"]) < 2000  # the caller's input is not echoed back whole
    assert counts(server) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("value", list(HOSTILE_JSON), ids=list(HOSTILE_JSON))
@pytest.mark.parametrize("place", list(JSON_PLACES), ids=list(JSON_PLACES))
def test_hostile_json_anywhere_is_refused_not_a_500(server, basket, caplog, place, value):
    send, allowed = JSON_PLACES[place]
    before = counts(server)
    if (place, value) == ("tracking", "100,000-character string"):
        allowed = allowed | {200}  # long but flat, and within the body limit: accepted
    with caplog.at_level(logging.ERROR):
        status, reply, _ = send(server, basket, HOSTILE_JSON[value])
    assert_answered_cleanly(server, caplog, status, reply, allowed, before)


@pytest.mark.parametrize("value", list(HOSTILE_TEXT), ids=list(HOSTILE_TEXT))
@pytest.mark.parametrize("place", list(TEXT_PLACES), ids=list(TEXT_PLACES))
def test_odd_text_anywhere_is_refused_not_a_500(server, basket, caplog, place, value):
    send, allowed = TEXT_PLACES[place]
    before = counts(server)
    with caplog.at_level(logging.ERROR):
        status, reply, _ = send(server, basket, HOSTILE_TEXT[value])
    assert_answered_cleanly(server, caplog, status, reply, allowed, before)


def test_the_depth_refusal_names_the_body_and_the_limit(server, basket):
    status, reply, _ = initiate_with_tracking(server, basket, deep_objects(1000))
    assert (status, reply) == (
        502, {"message": "body: nested deeper than 32 levels of arrays and objects"})
    # Up to the limit is fine: the tracking object is the 3rd level of the body.
    status, reply, _ = initiate_with_tracking(server, basket, deep_arrays(32 - 3))
    assert status == 200, reply


def test_a_request_head_over_the_limit_is_431(server):
    status, reply, _ = call(server, "GET", "/api/offers/v2", auth=True,
                            headers={"Cookie": "a=" + "b" * 40_000})
    assert status == 431
    assert reply == {"message": "request line and headers too large: at most 32768 bytes"}
