"""The Offers screen as a user drives it, against the real sandbox."""

from __future__ import annotations

import threading

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tui_app.app import make_app
from tui_app.formatting import offer_price
from tui_app.screens.modals import HelpScreen
from tui_app.services.store.paths import AppPaths
from tui_app.widgets import order_pane
from tui_app.widgets.error_panel import ErrorPanel
from tui_app.widgets.offer_catalogue import CatalogueTable
from tui_app.widgets.offer_order_form import OrderValues, build_initiate
from tui_app.widgets.offer_picks import PickTable
from tui_app.widgets.order_pane import OrderPane

from pilot import build_app, ready, settle
from sandboxed import embedded

UNKNOWN_ID = "0" * 40
UNKNOWN_VERSION = "1" * 40


def text_of(pilot: Pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


def calls(pilot: Pilot, endpoint: str) -> list:
    return [e for e in pilot.app.workspace.log if e.path.endswith(endpoint) or endpoint in e.path]


async def type_into(pilot: Pilot, selector: str, text: str) -> None:
    """Focus a field, empty it and type ``text`` key by key, as a user would."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    keys = ["space" if char == " " else char for char in text]
    if keys:
        await pilot.press(*keys)
    await pilot.pause()


async def paste_into(pilot: Pilot, selector: str, text: str) -> None:
    """Focus a field, empty it and paste ``text`` (long ids are pasted, not typed)."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    field.post_message(events.Paste(text))
    await pilot.pause()


async def pick(pilot: Pilot, name: str, quantity: str = "") -> None:
    """Narrow the catalogue to one offer (pasting its id into the filter) and
    add it to the list with this quantity."""
    offer = next(o for o in pilot.app.workspace.offers if o.display_name == name)
    await paste_into(pilot, "#filter", offer.id)
    await type_into(pilot, "#quantity", quantity)
    await pilot.press("ctrl+o")
    await pilot.pause()


def picks(pilot: Pilot) -> PickTable:
    return pilot.app.screen.query_one(PickTable)


async def test_the_table_lists_every_catalogue_item(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(200, 60)) as pilot:
        await ready(pilot)
        table = app.screen.query_one(CatalogueTable)
        assert table.row_count == len(app.workspace.offers) == 14
        for index, offer in enumerate(app.workspace.offers):
            row = [str(cell) for cell in table.get_row_at(index)]
            assert row[0] == offer.display_name
            assert offer_price(offer) in row
            assert offer.data.attributes.term__limio in row
        rows = {str(table.get_row_at(i)[0]): table.get_row_at(i) for i in range(14)}
        assert "£9.99 / €11.99" in str(rows["Digital Monthly"][2])
        assert rows["US Digital Annual"][5] == "US"
        assert rows["Archive Access"][1] == "add-on"
        # Add-ons are not a column at this width: the highlighted offer's details say them.
        table.move_cursor(row=list(rows).index("Digital Monthly"))
        await pilot.pause()
        assert "Archive Access" in text_of(pilot, "#pick-target")
        table.move_cursor(row=list(rows).index("Archive Access"))
        await pilot.pause()
        assert "Digital Monthly" in text_of(pilot, "#pick-target")
        assert "14 items" in text_of(pilot, "#catalogue-status")


async def test_loading_then_an_empty_catalogue_are_said_in_words(tmp_path, sandbox):
    go = threading.Event()

    def slow_start():
        go.wait(5)  # the sandbox is still starting while the screen is drawn
        return embedded(sandbox)

    paths = AppPaths.resolve(tmp_path)
    paths.ensure()
    app = make_app(paths, start_sandbox=slow_start, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "Loading the catalogue…" in text_of(pilot, "#catalogue-status")
        go.set()
        await ready(pilot)
        assert "14 items" in text_of(pilot, "#catalogue-status")
        app.workspace.offers = []
        app.context_changed()
        await pilot.pause()
        assert "catalogue is empty" in text_of(pilot, "#catalogue-status")
        assert app.screen.query_one(CatalogueTable).row_count == 0


ORDER_PANE_FIELDS = [
    "manual-id", "manual-version", "quantity", "item-type", "add-pick", "picks",
    "external-id", "new-external-id", "country", "source", "order-type",
    "tracking-accountId", "tracking-contactId", "tracking-userId", "tracking-offers",
    "tracking-purchaseCountryCode", "initiate", "add-to-basket", "stage", "copy-link",
]


async def test_the_order_pane_mounted_in_steps_is_whole_when_it_says_ready(
    tmp_path, sandbox, monkeypatch
):
    # Mounted a few widgets at a time after the first paint: when it says it
    # is ready, every field is there in the order of the layout, the
    # tracking fields folded away under their heading.
    seen_at_ready: list[list[str]] = []
    app = build_app(tmp_path, sandbox, first_screen="offers")
    made = OrderPane.Ready.__init__

    def ready_made(message: OrderPane.Ready) -> None:
        pane = app.screen.query_one("#order-pane")
        seen_at_ready.append([w.id for w in pane.query("*") if w.id in ORDER_PANE_FIELDS])
        made(message)

    monkeypatch.setattr(OrderPane.Ready, "__init__", ready_made)
    # Nothing on top: no step waits for a dialog to be drawn (the pane's own
    # screen is busy mounting it and would never be; ready() would be first).
    monkeypatch.setattr(order_pane, "STEP_WAIT_AT_MOST", 5.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert seen_at_ready == [ORDER_PANE_FIELDS]
        tracking = app.screen.query_one("#tracking")
        assert tracking.collapsed
        assert not tracking.query_one("#tracking-accountId", Input).region  # folded


async def test_a_dialog_opened_while_the_order_pane_is_built_is_drawn_before_the_rest(
    tmp_path, sandbox, monkeypatch
):
    # F1 just after the first paint: the help dialog is drawn before the next
    # step of the pane is mounted behind it, not after all of them.
    seen: list[str] = []
    app = build_app(tmp_path, sandbox, first_screen="offers")
    display = app._display

    def displayed(screen, renderable) -> None:
        if (renderable is not None and isinstance(screen, HelpScreen)
                and "help drawn" not in seen):
            seen.append("help drawn")
        display(screen, renderable)

    app._display = displayed
    mount_all, order_part = OrderPane.mount_all, OrderPane._order_part

    async def mount_all_then_f1(pane, widgets, **options):
        await mount_all(pane, widgets, **options)
        if "f1" not in seen:  # once the first step is in
            seen.append("f1")
            app.action_help()

    def order_part_seen(pane):
        seen.append("next step")
        return order_part(pane)

    monkeypatch.setattr(OrderPane, "mount_all", mount_all_then_f1)
    monkeypatch.setattr(OrderPane, "_order_part", order_part_seen)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert seen[:3] == ["f1", "help drawn", "next step"]


async def test_typing_in_the_filter_narrows_the_rows_by_name_and_id(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        table = app.screen.query_one(CatalogueTable)
        await type_into(pilot, "#filter", "annual")
        names = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert names == {"Digital Annual", "US Digital Annual", "Gift Digital Annual"}
        team = next(o for o in app.workspace.offers if o.display_name == "Team Digital")
        await type_into(pilot, "#filter", team.id[:6])
        assert table.row_count == 1 and str(table.get_row_at(0)[0]) == "Team Digital"
        assert "1 of 14 items match" in text_of(pilot, "#catalogue-status")
        await type_into(pilot, "#filter", "zzz")
        assert table.row_count == 0
        assert "Nothing matches" in text_of(pilot, "#catalogue-status")


async def test_three_picks_initiate_a_gb_basket_and_open_it(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pick(pilot, "Weekend Print + Digital", "2")
        await pick(pilot, "Gift Digital Annual", "3")
        await pick(pilot, "Print + Digital Bundle")  # empty quantity: the offer's default
        assert [(p.name, p.quantity) for p in picks(pilot).picks] == [
            ("Weekend Print + Digital", 2),
            ("Gift Digital Annual", 3),
            ("Print + Digital Bundle", 1),
        ]
        await type_into(pilot, "#country", "gb")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.current_mode == "basket"
        basket = app.workspace.basket
        assert basket is not None and basket.country == "GB"
        assert sorted((i.offer.name, i.quantity) for i in basket.items) == [
            ("Gift Digital Annual", 3),
            ("Print + Digital Bundle", 1),
            ("Weekend Print + Digital", 2),
        ]
        await pilot.press("f3")
        await pilot.pause()
        assert picks(pilot).picks == []  # the list starts afresh, and says so
        assert picks(pilot).border_title == "Items to initiate with (0)"
        assert text_of(pilot, "#items-note").startswith("Empty: add offers")
        # ... and so does the external id: the next initiate is a new basket.
        assert app.screen.query_one("#external-id", Input).value != basket.external_id


async def test_a_quantity_outside_the_offers_limits_is_refused_with_its_reason(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pick(pilot, "Student Digital", "2")
        assert "at most 1" in text_of(pilot, "#quantity-note")
        assert picks(pilot).picks == []
        assert app.screen.query_one("#quantity", Input).value == "2"  # kept as typed
        await pick(pilot, "Team Digital", "3")
        assert "at least 5" in text_of(pilot, "#quantity-note")
        assert picks(pilot).picks == []
        await type_into(pilot, "#quantity", "7")
        assert "steps of 5" in text_of(pilot, "#quantity-note")
        await type_into(pilot, "#quantity", "10")
        assert "✓ 10" in text_of(pilot, "#quantity-note")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert [(p.name, p.quantity) for p in picks(pilot).picks] == [("Team Digital", 10)]


async def test_a_line_can_be_removed_from_the_list(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pick(pilot, "Weekend Print + Digital")
        await pick(pilot, "Gift Digital Annual")
        table = picks(pilot)
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("delete")
        await pilot.pause()
        assert [p.name for p in table.picks] == ["Gift Digital Annual"]
        assert "(1)" in str(table.border_title)


async def test_enter_on_a_catalogue_row_adds_it(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await paste_into(pilot, "#filter", "Archive Access")
        await pilot.press("enter")  # from the filter to the table
        await pilot.press("enter")  # adds the highlighted row
        await pilot.pause()
        [line] = picks(pilot).picks
        assert line.name == "Archive Access" and line.item_type == "add_on"


async def test_a_bad_country_is_explained_and_nothing_is_sent(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pick(pilot, "Weekend Print + Digital")
        await type_into(pilot, "#country", "Germany")
        assert "use the two-letter code: DE" in text_of(pilot, "#country-note")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await type_into(pilot, "#country", "XX")
        assert "not an ISO 3166-1 alpha-2" in text_of(pilot, "#country-note")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert calls(pilot, "/initiate") == []
        assert app.current_mode == "offers"
        panel = str(app.screen.query_one(ErrorPanel).render())
        assert "Not sent" in panel and "country" in panel
        assert app.screen.query_one("#country", Input).value == "XX"
        assert len(picks(pilot).picks) == 1


async def test_an_account_id_gives_an_assisted_link_shown_and_copyable(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pick(pilot, "Digital Monthly")
        app.screen.query_one("#tracking").collapsed = False
        await pilot.pause()
        await paste_into(pilot, "#tracking-accountId", "001ACCOUNT42")
        await pilot.press("ctrl+s")
        await settle(pilot)
        link = app.workspace.basket.assisted_link
        assert link and "/shop/assisted/" in link
        messages = " ".join(n.message for n in app._notifications)
        assert link in messages
        await pilot.press("f3")
        await pilot.pause()
        assert link in text_of(pilot, "#link")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.clipboard == link


async def test_an_unknown_offer_typed_by_hand_reaches_the_server(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await paste_into(pilot, "#manual-id", UNKNOWN_ID)
        await paste_into(pilot, "#manual-version", UNKNOWN_VERSION)
        await type_into(pilot, "#quantity", "3")
        assert "not in the catalogue" in text_of(pilot, "#pick-target")
        await pilot.press("ctrl+o")
        await pilot.pause()
        [line] = picks(pilot).picks
        assert (line.offer_id, line.version, line.quantity) == (UNKNOWN_ID, UNKNOWN_VERSION, 3)
        await pilot.press("ctrl+s")
        await settle(pilot)
        [sent] = calls(pilot, "/initiate")
        assert sent.status == 502
        panel = str(app.screen.query_one(ErrorPanel).render())
        assert f"no offer '{UNKNOWN_ID}'" in panel
        assert app.current_mode == "offers"
        assert len(picks(pilot).picks) == 1  # kept for another try


async def test_a_typed_id_without_a_version_is_refused_unless_the_catalogue_knows_it(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await paste_into(pilot, "#manual-id", UNKNOWN_ID)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "version: required" in text_of(pilot, "#pick-target")
        assert picks(pilot).picks == []
        # A catalogue id with an earlier version is accepted, and marked.
        offer = app.workspace.offers[0]
        await paste_into(pilot, "#manual-id", offer.id)
        await paste_into(pilot, "#manual-version", "2" * 40)
        await pilot.press("ctrl+o")
        await pilot.pause()
        [line] = picks(pilot).picks
        assert line.name == offer.display_name and line.outdated and line.version == "2" * 40


async def test_with_a_basket_the_offer_can_be_added_or_staged(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert not app.screen.query_one("#basket-panel").has_class("shown")
        await pick(pilot, "Digital Monthly")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("f3")
        await pilot.pause()
        basket = app.workspace.basket
        assert basket.basket_id in text_of(pilot, "#basket-target")
        await paste_into(pilot, "#filter", "Archive Access")
        await pilot.press("ctrl+b")
        await settle(pilot)
        [update] = calls(pilot, "/update")
        assert '"add"' in update.request_body and "031d4ff17bbada4afe264974332077cb6ce7f73d" in (
            update.request_body
        )
        assert sorted(i.offer.name for i in app.workspace.basket.items) == [
            "Archive Access",
            "Digital Monthly",
        ]
        await paste_into(pilot, "#filter", "Puzzles")
        await pilot.press("ctrl+t")
        await pilot.pause()
        [staged] = app.workspace.staged
        assert staged.offerId.startswith("e36a2565") and staged.quantity is None
        assert len(calls(pilot, "/update")) == 1  # staging sends nothing
        assert "1 action staged" in text_of(pilot, "#basket-target")


async def test_every_action_is_in_the_palette(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {
            "Initiate basket",
            "Add highlighted offer to the pick list",
            "New external id",
            "Focus the offer filter",
        } <= titles
        assert "Add to basket" not in titles  # no basket yet
        before = app.screen.query_one("#external-id", Input).value
        app.screen.action_new_external_id()
        assert app.screen.query_one("#external-id", Input).value != before
        await pick(pilot, "Weekend Print + Digital")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("f3")
        await pilot.pause()
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Add to basket", "Stage add to basket"} <= titles
        await pilot.press("f1")
        await pilot.pause()
        ids = {binding_id for _key, _what, binding_id in app.screen.bindings}
        assert {"offers.initiate", "offers.add_pick", "offers.add_to_basket"} <= ids


async def test_it_fits_80x24_and_spreads_out_at_200x60(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert screen.has_class("-narrow")
        table = screen.query_one(CatalogueTable)
        pane = screen.query_one("#order-pane")
        assert table.region.height >= 5 and pane.region.y > table.region.y  # stacked
        button = screen.query_one("#initiate")
        button.scroll_visible(animate=False)
        await pilot.pause()
        assert pane.region.contains_region(button.region)
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(200, 60)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert screen.has_class("-wide")
        table = screen.query_one(CatalogueTable)
        pane = screen.query_one("#order-pane")
        assert pane.region.x > table.region.x and pane.region.y == table.region.y - 2
        assert table.region.height >= 14  # every item in view
        assert screen.query_one("#initiate").region.height > 0


# --------------------------------------------------------------- the body, without the UI

ITEM = {"offer": {"id": "a" * 40, "version": "b" * 40}, "quantity": 2, "type": "offer"}


def test_the_body_is_built_from_the_items_and_the_fields_as_typed():
    values = OrderValues(
        external_id=" ext-1 ",
        country="gb",
        tracking={"accountId": "001X", "offers": "o1, o2,", "purchaseCountryCode": "ie"},
    )
    checked = build_initiate([ITEM], values)
    assert checked.problems == {}
    order = checked.body.to_json()["order"]
    assert order["external_id"] == "ext-1" and order["country"] == "GB"
    assert order["source"] == "basket-builder" and order["order_type"] == "new"
    assert order["tracking"] == {
        "accountId": "001X",
        "offers": ["o1", "o2"],
        "purchaseCountryCode": "IE",
    }
    assert order["orderItems"] == [ITEM]


def test_every_wrong_field_is_named_and_no_body_is_built():
    add_on = {"offer": {"id": "c" * 40, "version": "d" * 40}, "quantity": 1, "type": "add_on"}
    untyped = {"offer": {"id": "a" * 40, "version": "b" * 40}, "quantity": 1}
    values = OrderValues(external_id="", country="Germany", source=" ", order_type="renewal")
    checked = build_initiate([untyped, add_on], values)
    assert checked.body is None
    assert checked.problems["external_id"] == ["required"]
    assert checked.problems["source"] == ["required"]
    assert checked.problems["country"] == ["use the two-letter code: DE (Germany)"]
    assert "'new' or 'renew'" in checked.problems["order_type"][0]
    assert checked.lines()[0] == "external id: required"
    # A rule across the order (types, once add-ons are mixed in) lands on the items.
    mixed = build_initiate([untyped, add_on], OrderValues(external_id="x"))
    assert mixed.body is None
    assert "orderItems[0].type is required" in mixed.problems["items"][0]
    assert build_initiate([], OrderValues(external_id="x")).problems == {
        "items": ["add at least one item to the list"]
    }
