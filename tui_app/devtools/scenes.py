"""Named states of the app, each reached from a fresh, seeded sandbox.

The snapshot tests and `python -m tui_app.devtools.screenshots` both use
these scenes, so the pictures in the README are the states the tests check.
Everything on screen is repeatable: the sandbox is seeded (same basket and
item ids every run), external ids come from a counter, and no clock shows.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from textual.pilot import Pilot

from tui_app.app import BasketBuilderApp, make_app
from tui_app.sandbox import SandboxServer
from tui_app.services.connection import EmbeddedSandbox
from tui_app.services.models import InitiateCheckout, OrderAction
from tui_app.services.paths import AppPaths
from tui_app.services.workspace import Workspace

SEED = 20261127
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


def lose_cookie() -> Step:
    """The basket's landing-state cookie is gone: the next update is a 404."""

    async def step(pilot: Pilot) -> None:
        app = app_of(pilot)
        app.workspace.cookies.set(app.workspace.basket.basket_id, {"stale": "cookie"})

    return step


THREE = ["Digital Monthly", "Puzzles & Crosswords", "Digital Annual"]

SCENES: list[Scene] = [
    Scene("offers", "Offers: the sandbox catalogue, ready to pick from", "offers"),
    Scene("basket-empty", "Basket: nothing yet", "basket"),
    Scene("basket-filled", "Basket: three items, totals in GBP", "basket",
          [basket_of(*THREE, quantities=[2, 1, 1])]),
    Scene("basket-staged", "Basket: two actions staged for one update", "basket",
          [basket_of(*THREE), stage_two()]),
    Scene("validation-valid", "Validation: a valid basket", "validation",
          [basket_of(*THREE), validated()]),
    Scene("validation-blocked", "Validation: blocked in Germany, with the reasons", "validation",
          [basket_of("Digital Monthly", "Print + Digital Bundle", country="DE"), validated()]),
    Scene("basket-blocked", "Basket: the blocked item is marked", "basket",
          [basket_of("Digital Monthly", "Print + Digital Bundle", country="DE"), validated()]),
    Scene("profiles", "Profiles: the built-in sandbox profile", "profiles"),
    Scene("help", "F1 help: every key of the screen, with its binding id", "basket",
          [basket_of(*THREE), press("f1")]),
]


@contextmanager
def scene_app(scene: Scene, config_dir: Path | None = None) -> Iterator[BasketBuilderApp]:
    """A fresh app on a fresh seeded sandbox, with repeatable external ids."""
    counter = itertools.count(1)

    def workspace(profiles, session) -> Workspace:
        return Workspace(profiles, session,
                         external_ids=lambda: f"demo-order-{next(counter):04d}")

    server = SandboxServer(seed=SEED).start()
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
