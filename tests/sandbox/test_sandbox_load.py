"""A bounded load test on loopback: many concurrent clients, a fixed number of
requests, zero errors, and the requests per second the sandbox managed."""

from __future__ import annotations

import asyncio
import time

import httpx

from tui_app.sandbox import SandboxServer

CLIENTS = 16
ROUNDS = 10  # each round: initiate, update (add), validate


async def one_client(server, index, offers, failures):
    token = server.orgs[index % 2].demo_token
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        done = 0
        for round_ in range(ROUNDS):
            offer = offers[(index + round_) % len(offers)]
            body = {"order": {"orderItems": [{"offer": {"id": offer["id"],
                                                        "version": offer["version"]}}],
                              "external_id": f"load-{index}-{round_}", "country": "GB",
                              "source": "load", "order_type": "new"}}
            created = await http.post("/partner/checkout/initiate", json=body)
            cookie = "; ".join(f"{k}={v}" for k, v in created.cookies.items())
            updated = await http.put(
                "/partner/checkout/update",
                json={"orderActions": [{"orderItemActionType": "add", "offerId": offer["id"]}]},
                headers={"Cookie": cookie},
            )
            checked = await http.post(f"/partner/checkout/validate/{created.json()['id']}")
            for reply in (created, updated, checked):
                if reply.status_code != 200:
                    failures.append((reply.request.url.path, reply.status_code, reply.text))
            if len(updated.json()["order"]["orderItems"]) != 2:
                failures.append(("lost update", updated.text))
            done += 3
        return done


async def test_many_concurrent_clients_get_no_errors(capsys):
    with SandboxServer() as server:
        token = server.orgs[0].demo_token
        async with httpx.AsyncClient() as http:
            listing = await http.get(f"{server.base_url}/offers/v2",
                                     headers={"Authorization": f"Bearer {token}"})
        offers = [o for o in listing.json()["items"]
                  if o["record_type"] == "offer" and "GB" in
                  (o["data"]["attributes"].get("allowed_countries__limio") or ["GB"])]
        failures: list = []
        started = time.perf_counter()
        counts = await asyncio.gather(
            *(one_client(server, i, offers, failures) for i in range(CLIENTS))
        )
        elapsed = time.perf_counter() - started
    total = sum(counts)
    assert failures == []
    assert total == CLIENTS * ROUNDS * 3
    with capsys.disabled():
        print(f"\nsandbox load: {total} requests from {CLIENTS} clients, 0 errors, "
              f"{total / elapsed:.0f} requests/s")
