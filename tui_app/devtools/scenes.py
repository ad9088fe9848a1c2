"""Named states of the app, each reached from a fresh, seeded sandbox.

The snapshot tests and `python -m tui_app.devtools.screenshots` both use
these scenes, so the pictures in the README are the states the tests check.
Everything on screen is repeatable: the sandbox is seeded (same basket and
item ids every run), external ids come from a counter, no clock shows, and
the exchange log's times, durations and port are made steady.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from textual.pilot import Pilot
from textual.widgets import Input

from tui_app.app import BasketBuilderApp, make_app
from tui_app.sandbox import SandboxServer
from tui_app.services.api.models import InitiateCheckout, OrderAction
from tui_app.services.connection import EmbeddedSandbox
from tui_app.services.store.paths import AppPaths
from tui_app.services.workspace import Workspace

SEED = 20261127
CLOCK = 1_795_770_000.0  # 2026-11-27 09:00:00 UTC
Step = Callable[[Pilot], Awaitable[None]]


@dataclass(frozen=True)
class Scene:
    name: str  # file name of the screenshot
    caption: str
    first_screen: str
    steps: list[Step] = field(default_factory=list)
    size: tuple[int, int] = (100, 30)


async def settle(pilot: Pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def app_of(pilot: Pilot) -> BasketBuilderApp:
    return pilot.app  # type: ignore[return-value]


async def initiate(pilot: Pilot, names: list[str], country: str = "GB",
                   quantities: list[int] | None = None) -> None:
    """Create a basket as the offers screen would, through the workspace."""
    app = app_of(pilot)
    offers = {o.display_name: o for o in app.workspace.offers}
    quantities = quantities or [1] * len(names)
    body = InitiateCheckout.model_validate(
        {
            "order": {
                "orderItems": [
                    {
                        "offer": {"id": offers[n].id, "version": offers[n].version},
                        "quantity": q,
                        "type": offers[n].item_type.value,
                    }
                    for n, q in zip(names, quantities, strict=True)
                ],
                "external_id": app.workspace.next_external_id(),
                "country": country,
                "source": "basket-builder",
                "order_type": "new",
            }
        }
    )
    await app.workspace.initiate(body)
    app.context_changed()
    await settle(pilot)


def basket_of(*names: str, country: str = "GB", quantities: list[int] | None = None) -> Step:
    async def step(pilot: Pilot) -> None:
        await initiate(pilot, list(names), country, quantities)

    return step


def validated() -> Step:
    async def step(pilot: Pilot) -> None:
        app = app_of(pilot)
        await app.workspace.validate()
        app.context_changed()
        await settle(pilot)

    return step


def stage_two() -> Step:
    async def step(pilot: Pilot) -> None:
        app = app_of(pilot)
        items = app.workspace.basket.items
        app.workspace.stage(OrderAction.change_quantity(items[0].id, 2))
        app.workspace.stage(OrderAction.remove(items[1].id))
        app.context_changed()
        await settle(pilot)

    return step


def press(*keys: str) -> Step:
    async def step(pilot: Pilot) -> None:
        await pilot.press(*keys)
        await settle(pilot)

    return step


def type_into(selector: str, text: str) -> Step:
    """Put text in a field as if typed, then let the screen react."""

    async def step(pilot: Pilot) -> None:
        field = pilot.app.screen.query_one(selector, Input)
        field.focus()
        field.value = text
        await settle(pilot)

    return step


def pick(*names: str) -> Step:
    """Add offers to the offers screen's pick list, as Enter on a row would."""

    async def step(pilot: Pilot) -> None:
        for name in names:
            offer = next(o for o in app_of(pilot).workspace.offers if o.display_name == name)
            await type_into("#filter", offer.id)(pilot)
            await pilot.press("ctrl+o")
            await settle(pilot)
        await type_into("#filter", "")(pilot)

    return step


def highlight(offer_name: str) -> Step:
    async def step(pilot: Pilot) -> None:
        from tui_app.widgets.basket_table import BasketTable

        app = app_of(pilot)
        item = next(i for i in app.workspace.basket.items if i.offer.name == offer_name)
        grid = app.screen.query_one(BasketTable)
        grid.move_cursor(row=grid.get_row_index(item.id))
        grid.focus()
        await settle(pilot)

    return step


def lose_cookie() -> Step:
    """The server no longer knows the basket's landing-state cookie: the next
    update is a 404, which the basket screen must explain."""

    async def step(pilot: Pilot) -> None:
        app = app_of(pilot)
        app.workspace.cookies.set(app.workspace.basket.basket_id, {"stale": "cookie"})

    return step


STEADY_HOST = "127.0.0.1:8750"


def steady_exchanges() -> Step:
    """What differs run to run in the exchange log — when each call started,
    how long it took, the sandbox's port, the server's Date header — made
    the same every run, so the Inspector's picture is repeatable."""

    async def step(pilot: Pilot) -> None:
        log = app_of(pilot).workspace.log
        entries = log._entries  # devtools only: the log has no public way to rewrite
        if not entries:
            return
        host = urlsplit(entries[0].url).netloc
        start = datetime.fromtimestamp(CLOCK, UTC)

        def steady(text: str) -> str:
            return text.replace(host, STEADY_HOST)

        def headers(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
            return [(k, "Fri, 27 Nov 2026 09:00:00 GMT" if k.lower() == "date" else steady(v))
                    for k, v in pairs]

        entries[:] = [
            replace(e, started_at=start + timedelta(seconds=2 * n), duration_ms=12.0 + 3 * n,
                    url=steady(e.url), request_headers=headers(e.request_headers),
                    response_headers=headers(e.response_headers))
            for n, e in enumerate(entries)
        ]

    return step


def open_first_scenario() -> Step:
    """The Scenarios screen with the first file of its list opened (Enter)."""

    async def step(pilot: Pilot) -> None:
        pilot.app.screen.query_one("#scenario-list").focus()
        await pilot.press("enter")
        await settle(pilot)

    return step


SMALL = (80, 24)
THREE = ["Digital Monthly", "Puzzles & Crosswords", "Digital Annual"]
BLOCKED = [basket_of("Digital Monthly", "Print + Digital Bundle", country="DE"), validated()]

SCENES: list[Scene] = [
    Scene("offers", "Offers: the sandbox catalogue, ready to pick from", "offers"),
    Scene("offers-picked", "Offers: three items picked, the order form filled", "offers",
          [pick(*THREE)]),
    Scene("offers-filtered", "Offers: typing filters the catalogue", "offers",
          [type_into("#filter", "digital")]),
    Scene("offers-error", "Offers: the server's refusal of an unknown offer, form kept",
          "offers",
          [type_into("#manual-id", "0" * 40), type_into("#manual-version", "1" * 40),
           press("ctrl+o"), press("ctrl+s")]),
    Scene("basket-empty", "Basket: nothing yet", "basket"),
    Scene("basket-filled", "Basket: three items, totals in GBP", "basket",
          [basket_of(*THREE, quantities=[2, 1, 1])]),
    Scene("basket-small", "Basket at 80×24", "basket",
          [basket_of(*THREE, quantities=[2, 1, 1])], size=SMALL),
    Scene("basket-staged", "Basket: two actions staged for one update", "basket",
          [basket_of(*THREE), stage_two()]),
    Scene("basket-blocked", "Basket: the blocked item is marked", "basket", BLOCKED),
    Scene("basket-error", "Basket: a 404 explained, the basket kept as last confirmed",
          "basket",
          [basket_of(*THREE), lose_cookie(), highlight("Digital Annual"), press("x"),
           press("y")]),
    Scene("quantity", "Change quantity: the offer's limits, checked as you type", "basket",
          [basket_of(*THREE), highlight("Digital Monthly"), press("c"), press("1", "2")]),
    Scene("confirm-remove", "Remove asks first", "basket",
          [basket_of(*THREE), highlight("Digital Annual"), press("x")]),
    Scene("country", "Move the basket to another country", "basket",
          [basket_of(*THREE), press("k"), type_into("#country", "DE")]),
    Scene("validation-none", "Validation: not validated yet", "validation",
          [basket_of(*THREE)]),
    Scene("validation-valid", "Validation: a valid basket", "validation",
          [basket_of(*THREE), validated()]),
    Scene("validation-blocked", "Validation: blocked in Germany, with the reasons",
          "validation", BLOCKED),
    Scene("validation-wide", "Validation at 200×60", "validation", BLOCKED, size=(200, 60)),
    Scene("profiles", "Profiles: the built-in sandbox profile", "profiles"),
    Scene("profiles-invalid", "Profiles: every field checked as you type", "profiles",
          [press("ctrl+n"), type_into("#name", "Acme production"),
           type_into("#target", "https://acme.prod.limio.com/api")]),
    Scene("help", "F1 help: every key of the screen, with its binding id", "basket",
          [basket_of(*THREE), press("f1")]),
    Scene("inspector", "Inspector: every request and reply, secrets masked", "basket",
          [basket_of(*THREE), validated(), steady_exchanges(), press("f7")]),
    Scene("scenarios", "Scenarios: a file opened, its steps ready to replay", "scenarios",
          [open_first_scenario()]),
    # Every screen at 80×24: nothing cut, hidden or surprising at the smallest size.
    Scene("offers-small", "Offers at 80×24", "offers", [pick(*THREE)], size=SMALL),
    Scene("validation-small", "Validation at 80×24", "validation", BLOCKED, size=SMALL),
    Scene("profiles-small", "Profiles at 80×24", "profiles", size=SMALL),
    Scene("inspector-small", "Inspector at 80×24", "basket",
          [basket_of(*THREE), validated(), steady_exchanges(), press("f7")], size=SMALL),
    Scene("scenarios-small", "Scenarios at 80×24", "scenarios", [open_first_scenario()],
          size=SMALL),
]


@contextmanager
def scene_app(scene: Scene, config_dir: Path | None = None) -> Iterator[BasketBuilderApp]:
    """A fresh app on a fresh seeded sandbox, with repeatable external ids."""
    counter = itertools.count(1)

    def workspace(profiles, session) -> Workspace:
        return Workspace(profiles, session,
                         external_ids=lambda: f"demo-order-{next(counter):04d}")

    # A fixed clock: expiry dates in the checkout are the same every run.
    server = SandboxServer(seed=SEED, clock=lambda: CLOCK).start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            paths = AppPaths.resolve(config_dir or Path(scratch))
            paths.ensure()
            org = server.orgs[0]
            sandbox = EmbeddedSandbox(server.base_url, org.client_id, org.client_secret,
                                      lambda: None)
            yield make_app(paths, start_sandbox=lambda: sandbox,
                           first_screen=scene.first_screen, workspace_factory=workspace)
    finally:
        server.stop()


async def play(scene: Scene, pilot: Pilot) -> None:
    """Bring a running app to the scene's state."""
    await settle(pilot)
    for step in scene.steps:
        await step(pilot)
    await settle(pilot)
    # A blinking cursor would be caught on or off at random.
    for text_input in pilot.app.screen.query(Input):
        text_input.cursor_blink = False
    await settle(pilot)
