"""Fault injection: the sandbox on a bad day, on purpose and repeatably.

Applied to ``/api/...`` requests only (minting tokens stays reliable; use a
short ``--token-ttl`` to exercise expiry). Each request draws from one seeded
generator, so the same seed and the same requests give the same faults:

- latency: every request waits a random time in [min, max] milliseconds;
- fail: reply 502 with a gateway's HTML page, without touching the basket;
- drop: the request IS processed, then the connection is cut before the
  reply is complete — the client cannot know whether an update was applied;
- garbage: reply 200 with an HTML page instead of JSON, nothing processed.
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing this module stays cheap
    from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class FaultPlan:
    latency_ms: tuple[int, int] = (0, 0)
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    garbage_rate: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        low, high = self.latency_ms
        if low < 0 or high < low:
            raise ValueError("latency must be MIN[:MAX] milliseconds with 0 <= MIN <= MAX")
        rates = (self.fail_rate, self.drop_rate, self.garbage_rate)
        if any(not 0 <= rate <= 1 for rate in rates):
            raise ValueError("fault rates are shares between 0 and 1")
        if sum(rates) > 1:
            raise ValueError("the fault rates add up to more than 1")

    @property
    def active(self) -> bool:
        return self.latency_ms != (0, 0) or any(
            (self.fail_rate, self.drop_rate, self.garbage_rate)
        )

    def describe(self) -> str:
        parts = []
        if self.latency_ms != (0, 0):
            low, high = self.latency_ms
            parts.append(f"latency {low}–{high} ms" if high != low else f"latency {low} ms")
        for name, rate in (
            ("502 replies", self.fail_rate),
            ("dropped connections", self.drop_rate),
            ("non-JSON replies", self.garbage_rate),
        ):
            if rate:
                parts.append(f"{rate:.0%} {name}")
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        return ", ".join(parts) or "none"


def parse_latency(text: str) -> tuple[int, int]:
    low, _, high = text.partition(":")
    if not low.isdigit() or (high and not high.isdigit()):
        raise ValueError(f"{text!r} is not MIN[:MAX] milliseconds, e.g. 200 or 50:400")
    return int(low), int(high or low)


GARBAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>The upstream sent an invalid response "
    b"(sandbox fault injection).</p></body></html>"
)


UPSTREAM_FAILURE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>Simulated upstream failure "
    b"(sandbox fault injection).</p></body></html>"
)


class FaultInjector:
    """ASGI middleware carrying out a FaultPlan."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan
        self._random = random.Random(plan.seed)
        self._lock = threading.Lock()  # one draw sequence, whatever the concurrency

    def _draw(self) -> tuple[float, float]:
        low, high = self.plan.latency_ms
        with self._lock:
            return self._random.uniform(low, high) / 1000, self._random.random()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        delay, roll = self._draw()
        if delay:
            await asyncio.sleep(delay)
        plan = self.plan
        if roll < plan.fail_rate:
            # What a gateway sends when the service behind it fails: a page,
            # not the API's JSON (which would be the API refusing the body).
            await _reply(send, 502, "text/html; charset=utf-8", UPSTREAM_FAILURE)
            return
        roll -= plan.fail_rate
        if roll < plan.garbage_rate:
            await _reply(send, 200, "text/html", GARBAGE)
            return
        roll -= plan.garbage_rate
        if roll < plan.drop_rate:
            await self._process_then_drop(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _process_then_drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        started: dict[str, Message] = {}

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                started["start"] = message

        await self.app(scope, receive, swallow)  # the work is done...
        start = started.get("start")
        if start is not None:
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", b"1000"))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
        # ...but the reply is not: returning with the body incomplete makes the
        # server close the connection, as a proxy dying mid-reply would.


async def _reply(send: Send, status: int, content_type: str, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
