"""Figure 4: sandbox throughput under concurrent clients.

The sandbox runs in a process of its own (`python -m tui_app sandbox --memory
--port 0`, as a user starts it, access log included) so the load generator
does not share its GIL. N async httpx clients each run rounds of initiate →
update (add an item) → validate, as tests/sandbox/test_sandbox_load.py does. Reported:
requests per second (one figure per run) and the p50 / p95 latency of every
request of every run. There is no reference and no budget.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.stats import NONE, Row

CLIENTS = 16
ROUNDS = 10  # per client; each round is 3 requests
TIMEOUT = 120.0


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, one per request
    failures: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(values: list[float], share: float) -> float:
    """The ``share`` (0-1) percentile, nearest-rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


async def _client(http: Any, index: int, rounds: int, offers: list[dict[str, Any]],
                  result: LoadResult) -> None:
    async def timed(send: Any) -> Any:
        started = time.perf_counter()
        reply = await send
        result.latencies.append(time.perf_counter() - started)
        if reply.status_code != 200:
            result.failures.append(f"{reply.request.method} {reply.request.url.path}: "
                                   f"{reply.status_code}")
        return reply

    for round_ in range(rounds):
        offer = offers[(index + round_) % len(offers)]
        body = {"order": {
            "orderItems": [{"offer": {"id": offer["id"], "version": offer["version"]}}],
            "external_id": f"load-{index}-{round_}-{time.monotonic_ns()}", "country": "GB",
            "source": "benchmark", "order_type": "new"}}
        created = await timed(http.post("/partner/checkout/initiate", json=body))
        if created.status_code != 200:
            continue
        cookie = "; ".join(f"{k}={v}" for k, v in created.cookies.items())
        await timed(http.put(
            "/partner/checkout/update",
            json={"orderActions": [{"orderItemActionType": "add", "offerId": offer["id"]}]},
            headers={"Cookie": cookie},
        ))
        await timed(http.post(f"/partner/checkout/validate/{created.json()['id']}"))


async def run_load(base_url: str, token: str, clients: int = CLIENTS,
                   rounds: int = ROUNDS) -> LoadResult:
    """``clients`` concurrent clients, each with its own connection."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        listing = await http.get("/offers/v2")
        listing.raise_for_status()
    offers = [
        offer for offer in listing.json()["items"]
        if offer["record_type"] == "offer"
        and "GB" in (offer["data"]["attributes"].get("allowed_countries__limio") or ["GB"])
    ]
    result = LoadResult(requests=0, seconds=0.0)
    pool = [httpx.AsyncClient(base_url=base_url, headers=headers) for _ in range(clients)]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(_client(http, i, rounds, offers, result)
                               for i, http in enumerate(pool)))
        result.seconds = time.perf_counter() - started
    finally:
        for http in pool:
            await http.aclose()
    result.requests = len(result.latencies)
    return result


def measure_load(repeat: int, clients: int = CLIENTS, rounds: int = ROUNDS) -> list[Row]:
    from benchmarks.sandbox_process import SandboxProcess

    requests = clients * rounds * 3
    rps = Row(f"sandbox throughput, {clients} clients", unit="rps", budget=NONE,
              note=f"{requests} requests per run (initiate / update / validate) from {clients} "
              "async httpx clients, sandbox in its own process")
    p50 = Row("sandbox latency p50 (under that load)", unit="ms", budget=NONE)
    p95 = Row("sandbox latency p95 (under that load)", unit="ms", budget=NONE)
    rows = [rps, p50, p95]
    latencies: list[float] = []
    try:
        with SandboxProcess() as sandbox:
            url, token = sandbox.banner.base_url, sandbox.banner.orgs[0].demo_token
            asyncio.run(asyncio.wait_for(run_load(url, token, 2, 1), TIMEOUT))  # warm-up
            for _ in range(repeat):
                result = asyncio.run(asyncio.wait_for(run_load(url, token, clients, rounds),
                                                      TIMEOUT))
                if result.failures:
                    raise RuntimeError(f"{len(result.failures)} requests failed, e.g. "
                                       f"{result.failures[0]}")
                rps.samples.append(result.rps)
                p50.samples.append(percentile(result.latencies, 0.50))
                p95.samples.append(percentile(result.latencies, 0.95))
                latencies.extend(result.latencies)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else \
            type(exc).__name__
        for row in rows:
            row.error = row.error or reason
    if latencies:
        p50.note = (f"per run; over all {len(latencies)} requests: p50 "
                    f"{percentile(latencies, 0.5) * 1000:.1f} ms, p95 "
                    f"{percentile(latencies, 0.95) * 1000:.1f} ms, mean "
                    f"{statistics.fmean(latencies) * 1000:.1f} ms")
    return rows
