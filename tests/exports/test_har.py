"""HAR export: a HAR 1.2 document any viewer opens, with no secret in it."""

from __future__ import annotations

import json
import stat
import uuid
from datetime import datetime

import pytest

from tui_app.services.api.auth import ClientCredentialsAuth
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.endpoints import Endpoint
from tui_app.services.api.exchange import ExchangeLog
from tui_app.services.api.models import OrderAction
from tui_app.services.exports.har import to_har, write_har

# The fields HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) requires,
# with their JSON types.
REQUIRED = {
    "log": {"version": str, "creator": dict, "entries": list},
    "creator": {"name": str, "version": str},
    "entry": {"startedDateTime": str, "time": (int, float), "request": dict,
              "response": dict, "cache": dict, "timings": dict},
    "request": {"method": str, "url": str, "httpVersion": str, "cookies": list,
                "headers": list, "queryString": list, "headersSize": int, "bodySize": int},
    "response": {"status": int, "statusText": str, "httpVersion": str, "cookies": list,
                 "headers": list, "content": dict, "redirectURL": str, "headersSize": int,
                 "bodySize": int},
    "content": {"size": int, "mimeType": str},
    "postData": {"mimeType": str},
    "timings": {"send": (int, float), "wait": (int, float), "receive": (int, float)},
    "pair": {"name": str, "value": str},
}


def problems(kind: str, value: dict, where: str) -> list[str]:
    found = []
    for field, types in REQUIRED[kind].items():
        if field not in value:
            found.append(f"{where}.{field} is missing")
        elif not isinstance(value[field], types) or isinstance(value[field], bool):
            found.append(f"{where}.{field} is {type(value[field]).__name__}")
    return found


def har_problems(document: dict) -> list[str]:
    found = problems("log", document["log"], "log")
    found += problems("creator", document["log"]["creator"], "log.creator")
    for index, entry in enumerate(document["log"]["entries"]):
        at = f"entries[{index}]"
        found += problems("entry", entry, at)
        datetime.fromisoformat(entry["startedDateTime"])  # ISO 8601, with its offset
        assert datetime.fromisoformat(entry["startedDateTime"]).tzinfo is not None
        found += problems("request", entry["request"], f"{at}.request")
        found += problems("response", entry["response"], f"{at}.response")
        found += problems("content", entry["response"]["content"], f"{at}.response.content")
        found += problems("timings", entry["timings"], f"{at}.timings")
        if "postData" in entry["request"]:
            found += problems("postData", entry["request"]["postData"], f"{at}.postData")
        for part in ("request", "response"):
            for name in ("headers", "cookies"):
                for pair in entry[part][name]:
                    found += problems("pair", pair, f"{at}.{part}.{name}")
        for pair in entry["request"]["queryString"]:
            found += problems("pair", pair, f"{at}.request.queryString")
    return found


@pytest.fixture
async def session(sandbox):
    """A client that made every kind of call: token, offers, initiate, update, validate."""
    org = sandbox.orgs[0]
    log = ExchangeLog(keep_raw=True)
    async with CheckoutClient(
        Endpoint.from_base_url(sandbox.base_url),
        ClientCredentialsAuth(org.client_id, org.client_secret),
        log=log,
    ) as client:
        offer = next(o for o in await client.all_offers()
                     if not o.is_add_on and (not o.countries or "GB" in o.countries))
        basket = (await client.initiate({"order": {
            "orderItems": [{"offer": {"id": offer.id, "version": offer.version}}],
            "external_id": f"har-{uuid.uuid4()}", "country": "GB", "source": "pytest",
            "order_type": "new"}})).data
        await client.update(basket.id, [OrderAction.change_quantity(
            basket.order.orderItems[0].id, 2)])
        await client.validate(basket.id)
        secrets = [org.client_secret, client.auth.current.value,
                   *client.cookies.get(basket.id).values()]
        yield client, secrets


async def test_the_log_exports_as_valid_har_1_2(session):
    client, _ = session
    document = to_har(client.log, "9.9.9")
    assert document["log"]["version"] == "1.2"
    assert document["log"]["creator"] == {"name": "basket-builder", "version": "9.9.9"}
    assert har_problems(document) == []
    entries = document["log"]["entries"]
    assert [e["request"]["method"] for e in entries] == [e.method for e in client.log]
    offers = next(e for e in entries if "/offers/v2" in e["request"]["url"])
    assert {"name": "opt.pageSize", "value": "50"} in offers["request"]["queryString"]
    initiate = next(e for e in entries if e["request"]["url"].endswith("/initiate"))
    assert initiate["request"]["postData"]["mimeType"] == "application/json"
    assert json.loads(initiate["request"]["postData"]["text"])["order"]["country"] == "GB"
    assert initiate["response"]["status"] == 200 and initiate["response"]["statusText"] == "OK"
    assert initiate["response"]["cookies"][0]["value"] == "***"
    update = next(e for e in entries if e["request"]["url"].endswith("/update"))
    assert update["request"]["cookies"] and all(
        c["value"] == "***" for c in update["request"]["cookies"])
    assert all(e["timings"]["wait"] == e["time"] for e in entries)
    assert json.loads(json.dumps(document)) == document


async def test_the_file_holds_no_token_secret_or_cookie(session, tmp_path):
    client, secrets = session
    path = tmp_path / "session.har"
    count = write_har(path, client.log)
    assert count == len(client.log)
    text = path.read_text("utf-8")
    for secret in secrets:
        assert secret not in text
    assert "Bearer ***" in text
    assert har_problems(json.loads(text)) == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


async def test_raw_exchanges_passed_by_mistake_are_masked_too(session):
    client, secrets = session
    raw = [client.log.raw(e.id) for e in client.log]
    text = json.dumps(to_har(raw, "1"))
    for secret in secrets:
        assert secret not in text


def test_a_failed_exchange_has_status_0_and_says_why():
    log = ExchangeLog()
    log.record(method="GET", url="https://acme.prod.limio.com/api/offers/v2", request_headers=[],
               request_body="", status=None, response_headers=[], response_body="",
               duration_ms=30000, error="Timed out: no reply from acme.prod.limio.com in time")
    document = to_har(log, "1")
    assert har_problems(document) == []
    response = document["log"]["entries"][0]["response"]
    assert response["status"] == 0
    assert response["_error"].startswith("Timed out")
    assert "postData" not in document["log"]["entries"][0]["request"]
