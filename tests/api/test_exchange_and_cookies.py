import json
import subprocess
import sys
from http.cookiejar import Cookie
from urllib.request import Request

from tui_app.services.api.cookies import (
    BasketCookies,
    parse_set_cookie,
    refusing_jar,
    render_template,
)
from tui_app.services.api.exchange import SECRET_KEYS, ExchangeLog
from tui_app.services.api.tokens import decode_unverified, describe_expiry

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJvcmdfbmFtZSI6Ik5vcnRod2luZCIsImV4cCI6NDEwMjQ0NDgwMH0.sig-SECRET"


def record(log, **overrides):
    fields = dict(
        method="POST",
        url="https://t.example/api/x",
        request_headers=[("Authorization", f"Bearer {TOKEN}"), ("Cookie", "a=1; landing=xyz")],
        request_body="",
        status=200,
        response_headers=[("Set-Cookie", "landing=SECRETVALUE; Path=/; HttpOnly")],
        response_body="{}",
        duration_ms=1.0,
    )
    fields.update(overrides)
    return log.record(**fields)


def test_authorization_and_cookies_are_masked_in_the_log():
    log = ExchangeLog()
    entry = record(log)
    assert entry.header("authorization", response=False) == "Bearer ***"
    assert entry.header("cookie", response=False) == "a=***; landing=***"
    assert entry.header("set-cookie") == "landing=***; Path=/; HttpOnly"
    assert TOKEN not in repr(entry) and "SECRETVALUE" not in repr(entry)


def test_secret_fields_in_form_and_json_bodies_are_masked():
    log = ExchangeLog()
    entry = record(
        log,
        request_headers=[("Content-Type", "application/x-www-form-urlencoded")],
        request_body="grant_type=client_credentials&client_id=me&client_secret=s3cr3t-value",
        response_headers=[("Content-Type", "application/json")],
        response_body=json.dumps({"access_token": TOKEN, "expires_in": 3600}),
    )
    assert "s3cr3t-value" not in entry.request_body and "client_id=me" in entry.request_body
    assert json.loads(entry.response_body) == {"access_token": "***", "expires_in": 3600}


def test_secret_keys_are_masked_however_a_server_spells_them():
    # Mixed case, a \u escape, deep in a big reply: the quick path that skips
    # parsing bodies without secret keys must not let any of these through.
    big = {"order": {"orderItems": [{"id": f"i{n}", "quantity": 1} for n in range(500)]}}
    for body in (
        json.dumps(big | {"Access_Token": "abc123"}),
        '{"data": {"\\u0074oken": "abc123"}}',
        json.dumps({"items": [big, {"nested": [{"CLIENT_SECRET": "abc123"}]}]}),
        # Not ASCII: the Kelvin sign lower-cases to "k"; and with a "£" around.
        json.dumps(big | {"name": "£9.99", "to\u212aen": "abc123"}, ensure_ascii=False),
        json.dumps(big | {"naïve": "£", "PassWord": "abc123"}, ensure_ascii=False),
        # Every key, each with a backslash (but no escape that spells one) about.
        *(json.dumps(big | {"path": "C:\\x", key.upper(): "abc123"}) for key in SECRET_KEYS),
    ):
        entry = record(ExchangeLog(), response_body=body,
                       response_headers=[("Content-Type", "application/json")])
        assert "abc123" not in entry.response_body, body[:80]
    for plain in (json.dumps(big), json.dumps(big | {"İd_token": "£"}, ensure_ascii=False)):
        assert record(ExchangeLog(), response_body=plain).response_body == plain  # untouched


def test_known_secret_values_are_scrubbed_anywhere():
    log = ExchangeLog()
    log.add_secret("hunter2-long")
    entry = record(log, response_body="echo: hunter2-long", error="failed with hunter2-long")
    assert "hunter2-long" not in entry.response_body + entry.error


def test_raw_exchanges_are_kept_only_when_asked():
    assert ExchangeLog().raw(record(ExchangeLog()).id) is None
    log = ExchangeLog(keep_raw=True)
    entry = record(log)
    assert log.raw(entry.id).header("authorization", response=False) == f"Bearer {TOKEN}"


def test_log_is_bounded():
    log = ExchangeLog(limit=3)
    for _ in range(5):
        record(log)
    assert [e.id for e in log] == [3, 4, 5]


def test_cookies_set_by_the_server_are_kept_per_basket_and_sent_back():
    jar = BasketCookies()
    jar.absorb("basket-1", ["state=abc; Path=/; HttpOnly", "other=1"])
    jar.absorb("basket-2", ["state=zzz"])
    assert jar.header_for("basket-1", None) == "state=abc; other=1"
    assert jar.header_for("basket-2", "basketId={basket_id}") == "state=zzz"
    restored = BasketCookies(jar.to_dict())
    assert restored.header_for("basket-1", None) == "state=abc; other=1"


def test_template_is_only_a_fallback():
    jar = BasketCookies()
    assert jar.header_for("basket-9", "landing={basket_id}") == "landing=basket-9"
    assert jar.header_for("basket-9", None) is None
    assert render_template("x={basket_id}", "b") == {"x": "b"}


def test_a_server_can_delete_a_cookie():
    jar = BasketCookies({"b": {"state": "1"}})
    jar.absorb("b", ["state=; Max-Age=0"])
    assert jar.get("b") == {}
    assert parse_set_cookie('q="quoted"; Path=/') == ("q", "quoted", False)


def test_an_expires_in_the_past_deletes_a_cookie():
    jar = BasketCookies({"b": {"state": "1", "keep": "2"}})
    jar.absorb("b", ["state=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                     "keep=3; Expires=Fri, 01 Jan 2100 00:00:00 GMT"])
    assert jar.get("b") == {"keep": "3"}


def test_the_jar_given_to_httpx_keeps_nothing():
    jar = refusing_jar()
    cookie = Cookie(0, "state", "1", None, False, "example.com", True, False, "/", True,
                    False, None, False, None, None, {})
    request = Request("https://example.com/")
    assert not jar._policy.set_ok(cookie, request)
    assert not jar._policy.return_ok(cookie, request)


def test_the_modules_of_the_first_frame_leave_http_cookiejar_to_httpx():
    # ~25 ms of start-up: imported with httpx, after the first frame.
    code = ("import sys, tui_app.app, tui_app.screens.offers, tui_app.widgets.order_pane\n"
            "print('http.cookiejar' in sys.modules, 'urllib.request' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


def test_jwt_claims_are_read_for_display():
    info = decode_unverified(TOKEN)
    assert info.organisation == "Northwind"
    assert info.expires_at.year == 2100
    assert decode_unverified("opaque-token") is None
    assert decode_unverified("a.!!!.c") is None


def test_expiry_reads_like_a_person_would_say_it():
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert describe_expiry(now + timedelta(minutes=52, seconds=10), now) == "in 52 min"
    assert describe_expiry(now - timedelta(minutes=4), now) == "expired 4 min ago"
    assert describe_expiry(now + timedelta(hours=3, minutes=5), now) == "in 3 h 5 min"


def test_the_redacted_entry_keeps_every_field_and_scrubs_each_text():
    # redact() builds the entry field by field: a field added to Exchange
    # must be carried over (as dataclasses.replace would) or this fails.
    import dataclasses

    log = ExchangeLog(keep_raw=True)
    log.add_secret("s3cr3t-value")
    log.add_secret("abc")  # too short to scrub
    entry = record(
        log,
        url="https://t.example/api/x?k=s3cr3t-value",
        request_headers=[("Authorization", f"Bearer {TOKEN}"), ("X-Echo", "s3cr3t-value abc")],
        request_body='{"client_secret": "x", "note": "s3cr3t-value"}',
        response_headers=[("Content-Type", "application/json"), ("X-Echo", "s3cr3t-value")],
        response_body='{"note": "s3cr3t-value", "n": 1}',
        error="failed near s3cr3t-value",
        started_at=None,
    )
    raw = log.raw(entry.id)
    for name in (f.name for f in dataclasses.fields(entry)):
        kept = getattr(entry, name)
        if name in ("url", "request_headers", "request_body", "response_headers",
                    "response_body", "error"):
            assert "s3cr3t-value" not in str(kept) and "s3cr3t-value" in str(getattr(raw, name))
        else:
            assert kept == getattr(raw, name), name
    assert entry.url == "https://t.example/api/x?k=***"
    assert entry.request_headers[1] == ("X-Echo", "*** abc")
    assert json.loads(entry.request_body) == {"client_secret": "***", "note": "***"}
    assert entry.response_body == '{"note": "***", "n": 1}'
    assert entry.error == "failed near ***"
