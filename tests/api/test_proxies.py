"""Proxies from the environment: loopback (and so the embedded sandbox) is
never sent through one, whatever HTTP_PROXY, HTTPS_PROXY or ALL_PROXY say;
every other host follows the standard NO_PROXY rules. A real listener stands
in for the proxy and must receive nothing it should not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_app.services.api import errors
from tui_app.services.api.auth import BearerAuth, ClientCredentialsAuth
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.endpoints import Endpoint
from tui_app.services.api.transport import proxy_for

from proxy_listener import pointing_every_proxy_at

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def listener(monkeypatch):
    yield from pointing_every_proxy_at(monkeypatch)


async def test_the_sandbox_on_loopback_is_reached_directly_with_its_secret_kept(
    listener, fresh_sandbox
):
    org = fresh_sandbox.orgs[0]
    localhost = fresh_sandbox.base_url.replace("127.0.0.1", "localhost")
    for base_url in (fresh_sandbox.base_url, localhost):
        auth = ClientCredentialsAuth(org.client_id, org.client_secret)
        async with CheckoutClient(Endpoint.from_base_url(base_url), auth) as client:
            offers = (await client.list_offers()).data
            assert offers.items
    assert listener.received == []


def test_basket_builder_run_on_the_embedded_sandbox_ignores_the_proxy(listener, tmp_path):
    env = {
        **os.environ,
        "PYTHONIOENCODING": "utf-8",
        "BASKET_BUILDER_CONFIG_DIR": str(tmp_path / "config"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "tui_app", "run", "examples/valid-basket.toml"],
        capture_output=True, text=True, encoding="utf-8", timeout=60, cwd=ROOT, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert listener.received == [], "the proxy was sent " + repr(listener.received[:1])


async def test_other_hosts_go_through_the_proxy_the_environment_names(listener):
    # tenant.invalid never resolves: only a proxy could take the request further.
    # (plain http is refused off loopback by the profile checks, not by the client)
    endpoint = Endpoint(
        api_base="http://tenant.invalid/api", token_url="http://tenant.invalid/oauth2/token"
    )
    async with CheckoutClient(endpoint, BearerAuth("t0ken"), retries=0) as client:
        with pytest.raises(errors.UpstreamError):
            await client.list_offers()
    assert listener.received
    assert listener.received[0].startswith(b"GET http://tenant.invalid/api/offers/v2")


@pytest.mark.parametrize(
    ("no_proxy", "proxied"),
    [("", True), ("acme.example", False), (".example", False), ("other.example", True),
     ("*", False)],
)
def test_no_proxy_follows_the_standard_rules_for_other_hosts(
    listener, monkeypatch, no_proxy, proxied
):
    monkeypatch.setenv("NO_PROXY", no_proxy)
    monkeypatch.setenv("no_proxy", no_proxy)
    assert (proxy_for("https://acme.example/api") is not None) is proxied


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/api", "http://localhost:1/api", "http://[::1]:5/api",
            "http://127.0.0.2:5/api", "http://api.localhost:5/api"],
)
def test_loopback_is_never_named_as_going_through_a_proxy(listener, url):
    assert proxy_for(url) is None
