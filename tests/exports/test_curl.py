"""Copy as curl: the command, run by the real curl, gets the same reply as
the app did, and never carries the token or the client secret."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime

import pytest

from tui_app.services.api import errors
from tui_app.services.api.auth import ClientCredentialsAuth
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.endpoints import Endpoint
from tui_app.services.api.exchange import Exchange, ExchangeLog
from tui_app.services.api.models import OrderAction
from tui_app.services.exports.curl import (
    export_line,
    quote,
    shell_script,
    to_curl,
    variables_needed,
)

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
STATUS_OPTIONS = ("-sS", "-w", "\\n%{http_code}")


@pytest.fixture
async def client(sandbox):
    org = sandbox.orgs[0]
    async with CheckoutClient(
        Endpoint.from_base_url(sandbox.base_url),
        ClientCredentialsAuth(org.client_id, org.client_secret),
        log=ExchangeLog(keep_raw=True),
    ) as client:
        yield client


def secrets_of(client: CheckoutClient) -> dict[str, str]:
    return {"LIMIO_TOKEN": client.auth.current.value,
            "LIMIO_CLIENT_SECRET": client.auth.client_secret}


def command_for(client: CheckoutClient, exchange: Exchange) -> str:
    raw = client.log.raw(exchange.id)
    assert raw is not None
    command = to_curl(raw, options=STATUS_OPTIONS)
    for value in secrets_of(client).values():
        assert value not in command
    return command


def replay(command: str, environment: dict[str, str]) -> tuple[int, object]:
    """Run the command as a user would paste it; return the status and JSON body."""
    result = subprocess.run(
        ["sh", "-c", command],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **environment},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body)


def without(value: object, keys: set[str]) -> object:
    """``value`` with the volatile keys dropped at any depth."""
    if isinstance(value, dict):
        return {k: without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [without(item, keys) for item in value]
    return value


async def order_body(client: CheckoutClient, external_id: str | None = None) -> dict:
    offers = [o for o in await client.all_offers()
              if not o.is_add_on and (not o.countries or "GB" in o.countries)][:2]
    return {
        "order": {
            "orderItems": [{"offer": {"id": o.id, "version": o.version}, "quantity": 1}
                           for o in offers],
            "external_id": external_id or f"curl-{uuid.uuid4()}",
            "country": "GB",
            "source": "it's a \"test\" $HOME `date`",  # quoting must survive the shell
            "order_type": "new",
        }
    }


@needs_curl
async def test_initiate_replayed_with_curl_updates_the_same_basket(client):
    result = await client.initiate(await order_body(client))
    command = command_for(client, result.exchange)
    assert '-H "Authorization: Bearer $LIMIO_TOKEN"' in command
    status, body = replay(command, secrets_of(client))
    assert status == result.exchange.status == 200
    original = json.loads(result.exchange.response_body)
    # Same external id: the same basket, the same lines (items get new ids).
    assert body["id"] == original["id"]
    def lines(order: dict) -> object:
        items = [{k: v for k, v in item.items() if k != "id"} for item in order["orderItems"]]
        return without({**order, "orderItems": items}, {"expiresAt"})

    assert lines(body["order"]) == lines(original["order"])


@needs_curl
async def test_update_replayed_with_curl_needs_and_carries_the_cookie(client):
    basket = (await client.initiate(await order_body(client))).data
    item = basket.order.orderItems[0]
    result = await client.update(basket.id, [OrderAction.change_quantity(item.id, 3)])
    command = command_for(client, result.exchange)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.get(basket.id).items())
    assert f"Cookie: {cookie}" in command  # in the clear: update cannot work without it
    assert "-X PUT" in command
    status, body = replay(command, secrets_of(client))
    assert status == 200
    assert without(body, {"expiresAt"}) == without(
        json.loads(result.exchange.response_body), {"expiresAt"})


@needs_curl
async def test_validate_and_offers_replayed_with_curl_give_the_same_reply(client):
    basket = (await client.initiate(await order_body(client))).data
    validated = await client.validate(basket.id)
    page = await client.list_offers(page_size=3, tags=["digital"])
    for result in (validated, page):
        status, body = replay(command_for(client, result.exchange), secrets_of(client))
        assert status == result.exchange.status == 200
        assert without(body, {"expiresAt"}) == without(
            json.loads(result.exchange.response_body), {"expiresAt"})


@needs_curl
async def test_the_token_call_reads_the_client_secret_from_the_environment(client):
    await client.list_offers(page_size=1)
    mint = next(e for e in client.log if e.path == "/oauth2/token")
    command = command_for(client, mint)
    assert '--data-urlencode "client_secret=$LIMIO_CLIENT_SECRET"' in command
    status, body = replay(command, secrets_of(client))
    assert status == 200 and body["token_type"] == "Bearer" and body["access_token"]
    # A wrong secret in the environment is refused: the variable is really used.
    status, _ = replay(command, {**secrets_of(client), "LIMIO_CLIENT_SECRET": "wrong"})
    assert status in (400, 401)


@needs_curl
async def test_without_the_token_in_the_environment_the_call_is_refused(client):
    page = await client.list_offers(page_size=1)
    status, _ = replay(command_for(client, page.exchange), {"LIMIO_TOKEN": "not-a-token"})
    assert status == 401


# --------------------------------------------------------------------------- no curl needed


def exchange(**fields) -> Exchange:
    base = dict(id=7, started_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), method="GET",
                url="https://acme.prod.limio.com/api/offers/v2", request_headers=[],
                request_body="")
    return Exchange(**{**base, **fields})


@pytest.mark.parametrize(
    "text",
    ["plain", "it's", 'say "hi"', "$HOME and `date` and $(id)", "back\\slash", "new\nline",
     "bang!", "ünï©ødé", "", "tok-inside-tok", "it's tok $x", "tok_suffix", "a\ntok"],
)
def test_quoted_words_come_back_unchanged_from_the_shell(text):
    secret = "tok"
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SECRET_VAR": secret}
    word = quote(text, {secret: "SECRET_VAR"})
    if secret in text:
        assert secret not in word.replace("SECRET_VAR", "")
    result = subprocess.run(["sh", "-c", f"printf '%s' {word}"], env=environment,
                            capture_output=True, text=True, check=True)
    assert result.stdout == text


def test_a_redacted_exchange_still_reads_the_token_from_the_variable():
    masked = exchange(request_headers=[("authorization", "Bearer ***"),
                                       ("accept", "application/json")])
    command = to_curl(masked)
    assert '-H "Authorization: Bearer $LIMIO_TOKEN"' in command
    assert "-H 'Accept: application/json'" in command
    assert "***" not in command


def test_other_credentials_are_never_written_either():
    command = to_curl(exchange(request_headers=[("Authorization", "Basic dXNlcjpwYXNz"),
                                                ("Proxy-Authorization", "Basic cHJveHk=")]))
    assert "dXNlcjpwYXNz" not in command and "cHJveHk=" not in command
    assert '-H "Authorization: Basic $LIMIO_AUTHORIZATION_CREDENTIALS"' in command
    assert variables_needed(command) == ["LIMIO_AUTHORIZATION_CREDENTIALS",
                                         "LIMIO_PROXY_AUTHORIZATION_CREDENTIALS"]


def test_headers_curl_sets_itself_are_left_out_and_lines_continue():
    command = to_curl(exchange(
        method="POST",
        url="https://acme.prod.limio.com/api/partner/checkout/validate/basket-1",
        request_headers=[("host", "acme"), ("content-length", "0"), ("connection", "keep-alive"),
                         ("accept-encoding", "gzip"), ("user-agent", "x"), ("accept", "*/*"),
                         ("authorization", "Bearer abc.def.ghi")],
    ), token_variable="MY_TOKEN")
    assert command.splitlines() == [
        "curl -sS --fail-with-body -X POST "
        "https://acme.prod.limio.com/api/partner/checkout/validate/basket-1 \\",
        '  -H "Authorization: Bearer $MY_TOKEN"',
    ]
    assert "abc.def.ghi" not in command


def test_a_script_says_what_to_export_before_running():
    command = to_curl(exchange(request_headers=[("authorization", "Bearer t")]))
    assert variables_needed(command) == ["LIMIO_TOKEN"]
    script = shell_script(command, title="Replays #7")
    assert script.startswith("#!/bin/sh\n# Replays #7\n")
    assert "#   export LIMIO_TOKEN=..." in script
    assert script.endswith(command + "\n")


@needs_curl
async def test_generated_commands_are_quiet_and_fail_loudly_on_a_refusal(client):
    missing = "basket-" + "0" * 36
    with pytest.raises(errors.BasketNotFound) as caught:
        await client.validate(missing)
    command = to_curl(client.log.raw(caught.value.exchange.id))
    assert command.startswith("curl -sS --fail-with-body ")
    result = await asyncio.to_thread(
        subprocess.run,
        ["sh", "-c", command],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **secrets_of(client)},
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 22, "a 404 must make the command fail"
    assert json.loads(result.stdout) == json.loads(caught.value.exchange.response_body)
    assert result.stderr.strip().startswith("curl: (22)")  # -S: the failure is said


def test_the_export_line_sets_the_variable_the_command_reads_exactly():
    token = "eyJ.it's $HOME `x`"
    line = export_line("LIMIO_TOKEN", token)
    result = subprocess.run(
        ["sh", "-c", line + ' && printf %s "$LIMIO_TOKEN"'],
        capture_output=True, text=True, timeout=30, check=True,
    )
    assert result.stdout == token
