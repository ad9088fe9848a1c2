"""Helpers for Pilot tests: an app on a real sandbox, waiting until it is ready."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from tui_app.app import BasketBuilderApp, make_app
from tui_app.sandbox import SandboxServer
from tui_app.services.api.models import InitiateCheckout, InitiateOrder, OfferPayload, OrderItem
from tui_app.services.store.paths import AppPaths
from tui_app.services.workspace import new_external_id

from sandboxed import embedded


def build_app(
    config_dir: Path,
    server: SandboxServer,
    *,
    first_screen: str = "offers",
    profile_name: str | None = None,
) -> BasketBuilderApp:
    """The app as `basket-builder --config-dir DIR` builds it, on ``server``."""
    paths = AppPaths.resolve(config_dir)
    paths.ensure()
    return make_app(
        paths,
        start_sandbox=lambda: embedded(server),
        profile_name=profile_name,
        first_screen=first_screen,
    )


async def settle(pilot: Pilot) -> None:
    """Wait for every worker (API calls included) and the screen updates after them."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def ready(pilot: Pilot) -> BasketBuilderApp:
    """Wait until the sandbox has started, the profile connected and the catalogue loaded."""
    await settle(pilot)
    app = pilot.app
    assert app.workspace.profile is not None, "the app did not connect"
    assert app.workspace.offers, "the catalogue did not load"
    return app


async def initiate(pilot, *lines: tuple[str, int], country: str = "GB") -> list[str]:
    """Create a basket through the workspace; return its item ids in order."""
    app = pilot.app
    offers = {offer.display_name: offer for offer in app.workspace.offers}
    items = [
        OrderItem(
            offer=OfferPayload(id=offers[name].id, version=offers[name].version),
            quantity=quantity,
            type=offers[name].item_type,
        )
        for name, quantity in lines
    ]
    order = InitiateOrder(
        orderItems=items, external_id=new_external_id(), country=country,
        source="ui-test", order_type="new",
    )
    await app.workspace.initiate(InitiateCheckout(order=order))
    app.context_changed()
    await settle(pilot)
    return [item.id for item in app.workspace.basket.items]


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def screen_lines(app) -> list[str]:
    """What the terminal would be sent for the current screen, line by line
    (dialogs and notices included: they are drawn on the screen)."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))


def styles_of(screen) -> list:
    """Every widget of ``screen`` with the rules and component styles it was
    given, to compare with what a restyle of the whole app would give it."""
    return [(node, node.styles.base.get_rules(), dict(node._component_styles))
            for node in screen.walk_children(with_self=True)]


async def scroll_bar_redraws_on_a_new_layout(pilot: Pilot, widget) -> int:
    """How often ``widget``'s vertical scroll bar is drawn again when its
    screen is laid out again with nothing changed, as a switch to it does."""
    bar = widget.vertical_scrollbar
    drawn = []
    bar.refresh = lambda *args, **kwargs: drawn.append(args)
    try:
        pilot.app.screen._refresh_layout()
        await pilot.pause()
    finally:
        del bar.refresh
    return len(drawn)
