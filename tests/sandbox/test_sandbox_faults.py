"""The sandbox misbehaving on purpose: each fault alone, and repeatably."""

from __future__ import annotations

import time

import httpx
import pytest

from tui_app.sandbox import SandboxServer
from tui_app.sandbox.faults import FaultPlan, parse_latency


def offers(server, client):
    token = server.orgs[0].demo_token
    return client.get(f"{server.base_url}/offers/v2",
                      headers={"Authorization": f"Bearer {token}"})


def test_fail_rate_answers_502_as_a_gateway_would():
    with SandboxServer(faults=FaultPlan(fail_rate=1.0)) as server, httpx.Client() as client:
        reply = offers(server, client)
    assert reply.status_code == 502
    assert reply.headers["content-type"].startswith("text/html")
    assert "Simulated upstream failure" in reply.text


async def test_the_client_retries_a_simulated_upstream_failure():
    from tui_app.services.api import errors
    from tui_app.services.api.auth import BearerAuth
    from tui_app.services.api.client import CheckoutClient
    from tui_app.services.api.endpoints import Endpoint

    with SandboxServer(faults=FaultPlan(fail_rate=1.0)) as server:
        token = server.orgs[0].demo_token
        async with CheckoutClient(Endpoint.from_base_url(server.base_url), BearerAuth(token),
                                  backoff=0) as client:
            with pytest.raises(errors.UpstreamError) as caught:
                await client.list_offers()
            assert not caught.value.refused
            assert "HTML page" in caught.value.message
            assert len(client.log) == 3  # the first try and two retries


def test_garbage_rate_answers_html_instead_of_json():
    with SandboxServer(faults=FaultPlan(garbage_rate=1.0)) as server, httpx.Client() as client:
        reply = offers(server, client)
    assert reply.status_code == 200 and reply.text.startswith("<!DOCTYPE html>")


def test_a_dropped_connection_still_applied_the_request():
    with SandboxServer(faults=FaultPlan(drop_rate=1.0)) as server, httpx.Client() as client:
        org = server.orgs[0]
        token = client.post(server.token_url, data={
            "grant_type": "client_credentials", "client_id": org.client_id,
            "client_secret": org.client_secret}).json()["access_token"]  # tokens never fault
        with pytest.raises(httpx.RemoteProtocolError):
            offers(server, client)
        assert token


def test_latency_delays_every_reply():
    with SandboxServer(faults=FaultPlan(latency_ms=(150, 150))) as server, \
            httpx.Client() as client:
        started = time.perf_counter()
        assert offers(server, client).status_code == 200
        assert time.perf_counter() - started >= 0.15


def test_the_same_seed_gives_the_same_faults():
    def statuses(seed):
        plan = FaultPlan(fail_rate=0.3, garbage_rate=0.3, seed=seed)
        with SandboxServer(faults=plan) as server, httpx.Client() as client:
            return [
                (r.status_code, r.headers["content-type"].split(";")[0])
                for r in (offers(server, client) for _ in range(12))
            ]

    first = statuses(42)
    assert first == statuses(42)
    assert len(set(first)) > 1  # a mix, not all one kind


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        ({"fail_rate": 1.5}, "between 0 and 1"),
        ({"fail_rate": 0.6, "drop_rate": 0.6}, "more than 1"),
        ({"latency_ms": (300, 100)}, "MIN <= MAX"),
    ],
)
def test_impossible_plans_are_refused(plan, words):
    with pytest.raises(ValueError, match=words):
        FaultPlan(**plan)


def test_latency_is_read_from_the_command_line_form():
    assert parse_latency("200") == (200, 200)
    assert parse_latency("50:400") == (50, 400)
    with pytest.raises(ValueError):
        parse_latency("fast")
