"""Figure 2: from a key press to the result on screen, in-process with Pilot.

The app is built as `tests/ui/pilot.py` builds it (``make_app``), on a sandbox in
a process of its own as the app itself runs it, and driven at 120x40. For
baskets of 1, 50 and 500 order lines:

- initiate: N picks are put in the Offers screen's pick list, then ctrl+s;
  the clock stops when the Basket screen shows the new basket's N rows.
- update: on the Basket screen, ``c`` opens the quantity dialog, the new
  quantity is typed; the clock runs from Enter until the row shows it.
- validate: ``v`` on the Basket screen; the clock stops when the Validation
  screen shows the verdict.

The UI is checked every millisecond, and painted once with
``pilot.pause(0)`` when the result is there and no batch holds the app's
frames. The reference of each
is the same HTTP call (same body, same sandbox) sent with plain httpx over a
warm connection, measured right after each UI run.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.stats import PLUS_MS, Row

PLUS_LIMIT_MS = 50.0
WAIT = 60.0  # seconds any single result may take before the figure is given up
SIZE = (120, 40)
POLL_IDLE = 0.001  # seconds the loop idles between two polls


class NotShown(TimeoutError):
    """The screen did not show the result in time."""


async def until(pilot: Any, condition: Callable[[], bool], what: str,
                within: float = WAIT) -> float:
    """Check ``condition()`` every millisecond until it holds; return when
    the screen showing it has been painted.

    Between checks the event loop idles in select() as a real app's does, and
    the app's own timers lay out and paint as they would in a terminal. The
    checks do not use ``pilot.pause(0)``: that posts a callback to every
    widget on the screen and waits for each (about 170 on the Offers screen),
    work a real app never does, which cost the measured app up to 50 ms per
    initiate. A loop that never idled would also hold the GIL and starve the
    sandbox's thread, which no user would see.
    """
    from textual.css.query import NoMatches

    def shown() -> bool:
        try:
            return condition()
        except NoMatches:  # the screen is there but not composed yet
            return False

    app = pilot.app
    deadline = time.perf_counter() + within
    # Frames held in a batch (a screen switch's, a reply's) are not drawn
    # until it ends: the result is not on screen before then.
    while not shown() or app._batch_count:
        if time.perf_counter() > deadline:
            raise NotShown(f"{what} did not show within {within:g} s")
        await asyncio.sleep(POLL_IDLE)
    # The state is there; one step paints it (pause() runs the screen's
    # pending layout and compositor update at once), and then it is on screen.
    await pilot.pause(0)
    return time.perf_counter()


def send_key(app: Any, key: str) -> None:
    """Hand one key to the app as its terminal driver does, and return at once.

    ``pilot.press`` is not used for the timed key: after each key it waits
    for the process to go idle (at least two 20 ms sleeps, up to a second
    while a reply is being processed), which would be counted as UI time.
    """
    from textual import events

    char = key if len(key) == 1 else None
    app._driver.send_message(events.Key(key, char))


async def settle(pilot: Any) -> None:
    """Wait for every worker (API calls included) and the screen updates after them."""
    for _ in range(2):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _rows(sizes: list[int]) -> dict[tuple[str, int], Row]:
    rows = {}
    for action in ("initiate", "update", "validate"):
        for size in sizes:
            rows[(action, size)] = Row(
                f"key→result {action}, {size} item{'s' if size != 1 else ''}",
                unit="ms", budget=PLUS_MS, limit=PLUS_LIMIT_MS,
            )
    first = rows[("initiate", sizes[0])]
    first.note = ("Pilot at 120x40, the sandbox in a process of its own as the app runs it; "
                  "reference: the same request with plain httpx, warm connection")
    return rows


def measure_keys(repeat: int, sizes: list[int], sandbox: str = "process") -> list[Row]:
    """``sandbox``: "process" (its own process, as the app embeds it) or
    "thread" (in the app's process, as the tests run it)."""
    rows = _rows(sizes)
    _CLIENT_MS.clear()
    try:
        asyncio.run(asyncio.wait_for(_measure(repeat, sizes, rows, sandbox), timeout=WAIT * 6))
    except Exception as exc:
        reason = _reason(exc)
        for row in rows.values():
            if not row.samples or len(row.samples) < repeat:
                row.error = row.error or reason
    _annotate(rows)
    return list(rows.values())


def _sandbox(kind: str) -> Any:
    """A running sandbox with ``base_url`` and ``orgs[0]`` (client id, secret, demo token)."""
    if kind == "process":
        from benchmarks.sandbox_process import SandboxProcess

        class Started:
            def __enter__(self) -> Any:
                self.process = SandboxProcess().start()
                return self.process.banner

            def __exit__(self, *exc_info: object) -> None:
                self.process.stop()

        return Started()
    from tui_app.sandbox import SandboxServer

    return SandboxServer()


async def _measure(repeat: int, sizes: list[int], rows: dict[tuple[str, int], Row],
                   sandbox: str) -> None:
    import httpx

    from tui_app.app import make_app
    from tui_app.services.connection import EmbeddedSandbox
    from tui_app.services.store.paths import AppPaths

    with tempfile.TemporaryDirectory(prefix="bb-bench-") as tmp, _sandbox(sandbox) as server:
        paths = AppPaths.resolve(Path(tmp) / "config")
        paths.ensure()
        org = server.orgs[0]

        def start_sandbox() -> EmbeddedSandbox:
            return EmbeddedSandbox(base_url=server.base_url, client_id=org.client_id,
                                   client_secret=org.client_secret, stop=lambda: None)

        app = make_app(paths, start_sandbox=start_sandbox, first_screen="offers")
        async with (
            httpx.AsyncClient(base_url=server.base_url,
                              headers={"Authorization": f"Bearer {org.demo_token}"}) as http,
            app.run_test(size=SIZE) as pilot,
        ):
            await settle(pilot)
            if not app.workspace.offers:
                raise RuntimeError("the app did not load the sandbox catalogue")
            (await http.get("/offers/v2")).raise_for_status()  # warm the connection
            for size in sizes:
                await _initiate(pilot, http, size, repeat, rows[("initiate", size)])
                await _update(pilot, http, size, repeat, rows[("update", size)])
                await _validate(pilot, http, size, repeat, rows[("validate", size)])


def _last_exchange(app: Any, method: str, path_part: str) -> Any:
    for exchange in reversed(list(app.workspace.log)):
        if exchange.method == method and path_part in exchange.path:
            return exchange
    raise LookupError(f"the app sent no {method} {path_part}")


def _last_request(app: Any, method: str, path_part: str, row: Row) -> dict[str, Any]:
    """The body of the app's last such request; its duration (as the app's
    client measured it) is kept for the note under the table."""
    exchange = _last_exchange(app, method, path_part)
    _CLIENT_MS.setdefault(row.figure, []).append(exchange.duration_ms)
    return json.loads(exchange.request_body) if exchange.request_body else {}


_CLIENT_MS: dict[str, list[float]] = {}


def _annotate(rows: dict[tuple[str, int], Row]) -> None:
    """Say how much of each figure the app's own HTTP call was."""
    for row in rows.values():
        times = _CLIENT_MS.get(row.figure)
        if times and row.samples:
            client = statistics.median(times)
            note = f"the app's client saw the HTTP call take {client:.1f} ms (median)"
            row.note = f"{row.note}; {note}" if row.note else note


async def _initiate(pilot: Any, http: Any, size: int, repeat: int, row: Row) -> None:
    from benchmarks.baskets import order_items, pick_offers
    from tui_app.screens.basket import BasketScreen
    from tui_app.screens.offers import OffersScreen
    from tui_app.services.api.models import ItemType
    from tui_app.widgets.offer_picks import Pick

    app = pilot.app
    chosen = {offer.id: offer for offer in pick_offers(app.workspace.offers)}
    picks = [
        Pick(offer_id=item["offer"]["id"], version=item["offer"]["version"],
             quantity=item["quantity"], item_type=ItemType.OFFER,
             name=chosen[item["offer"]["id"]].display_name)
        for item in order_items(app.workspace.offers, size)
    ]
    for _ in range(repeat):
        app.switch_mode("offers")
        await settle(pilot)
        screen = app.screen
        if not isinstance(screen, OffersScreen):
            raise RuntimeError(f"expected the Offers screen, got {type(screen).__name__}")
        screen.picks.picks = list(picks)
        screen.picks._redraw()
        await settle(pilot)
        before = app.workspace.basket.basket_id if app.workspace.basket else None

        def shown(before: str | None = before) -> bool:
            basket, screen = app.workspace.basket, app.screen
            return (
                basket is not None and basket.basket_id != before
                and isinstance(screen, BasketScreen) and screen.table.row_count == size
            )

        started = time.perf_counter()
        send_key(app, "ctrl+s")
        row.samples.append(await until(pilot, shown, f"the {size}-item basket") - started)
        await settle(pilot)

        body = _last_request(app, "POST", "/partner/checkout/initiate", row)
        body["order"]["external_id"] = f"bench-ref-{uuid.uuid4()}"  # a new basket, as the app's
        started = time.perf_counter()
        reply = await http.post("/partner/checkout/initiate", json=body)
        row.reference.append(time.perf_counter() - started)
        _check(reply, size)


async def _update(pilot: Any, http: Any, size: int, repeat: int, row: Row) -> None:
    from textual.widgets import Input

    from tui_app.screens.basket import BasketScreen
    from tui_app.screens.quantity import QuantityScreen

    app = pilot.app
    screen = app.screen
    if not isinstance(screen, BasketScreen):
        raise RuntimeError(f"expected the Basket screen, got {type(screen).__name__}")
    table = screen.table
    index = size // 2
    key = list(table.shown)[index]
    table.move_cursor(row=index)
    table.focus()
    await settle(pilot)
    for _ in range(repeat):
        new = "7" if table.cell_text(key, "qty") != "7" else "8"  # within 1-10
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, QuantityScreen), "the quantity dialog")
        app.screen.query_one(Input).value = ""
        await pilot.press(*new)

        def shown(new: str = new) -> bool:
            return app.screen is screen and table.cell_text(key, "qty") == new

        started = time.perf_counter()
        send_key(app, "enter")
        row.samples.append(await until(pilot, shown, "the new quantity") - started)
        await settle(pilot)

        body = _last_request(app, "PUT", "/partner/checkout/update", row)
        basket_id = app.workspace.basket.basket_id
        cookie = app.workspace.cookies.header_for(basket_id, None)
        started = time.perf_counter()
        reply = await http.put("/partner/checkout/update", json=body,
                               headers={"Cookie": cookie or ""})
        row.reference.append(time.perf_counter() - started)
        _check(reply, size)


async def _validate(pilot: Any, http: Any, size: int, repeat: int, row: Row) -> None:
    from textual.widgets import Static

    from tui_app.screens.basket import BasketScreen
    from tui_app.screens.validation import ValidationScreen

    app = pilot.app

    def verdict_shown() -> bool:
        screen = app.screen
        if not isinstance(screen, ValidationScreen):
            return False
        text = str(screen.query_one("#verdict", Static).render())
        return text.startswith(("✓", "✗"))

    for _ in range(repeat):
        app.switch_mode("basket")
        app.workspace.basket.validation = None  # so the verdict on screen is a new one
        app.context_changed()
        await settle(pilot)
        if not isinstance(app.screen, BasketScreen):
            raise RuntimeError(f"expected the Basket screen, got {type(app.screen).__name__}")
        started = time.perf_counter()
        send_key(app, "v")
        row.samples.append(await until(pilot, verdict_shown, "the verdict") - started)
        await settle(pilot)

        basket_id = app.workspace.basket.basket_id
        _last_request(app, "POST", "/partner/checkout/validate/", row)
        started = time.perf_counter()
        reply = await http.post(f"/partner/checkout/validate/{basket_id}")
        row.reference.append(time.perf_counter() - started)
        _check(reply, size, key="checkout")
    app.switch_mode("basket")
    await settle(pilot)


def _check(reply: Any, size: int, key: str = "order") -> None:
    reply.raise_for_status()
    items = reply.json()[key]["orderItems"]
    if len(items) != size:
        raise RuntimeError(f"the reference call saw {len(items)} items, not {size}")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError) and not str(exc):
        return "timed out"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:160]
