"""Tenant data is data, never markup: a hostile tenant, walked screen by screen.

The tenant (``hostile_tenant``, a real HTTP server) answers every call with
markup, escape codes, control characters, bidi overrides, emoji and
5,000-character strings in every field the app shows. On every screen and in
every dialog the app keeps running, shows that text literally (``[/b]`` and
``[limited]`` are on screen as typed by the tenant), and nothing that would
act on the terminal (ESC, other C0/C1 controls, line separators, bidi
overrides) reaches what is drawn, nor the exported screenshot.
"""

from __future__ import annotations

import re

import pytest
from hostile_tenant import (
    GOOD_BASKET_ID,
    HOSTILE,
    HOSTILE_BASKET_ID,
    HOSTILE_ITEM_ID,
    ITEM_ID,
    LINK,
    LONG,
    NAME_B,
    NAME_LIMITED,
    ORGANISATION,
    HostileTenant,
    add_profile,
)
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList
from textual.widgets._toast import Toast

from tui_app.formatting import visible
from tui_app.screens.country import CountryScreen
from tui_app.screens.curl_modal import CurlScreen
from tui_app.screens.modals import ConfirmScreen, HelpScreen, ResumeScreen
from tui_app.screens.quantity import QuantityScreen
from tui_app.services.api.errors import UpstreamError
from tui_app.services.api.models import (
    InitiateCheckout,
    InitiateOrder,
    OfferPayload,
    OrderAction,
    OrderItem,
)
from tui_app.widgets.basket_table import BasketTable
from tui_app.widgets.basket_tree import JsonTree
from tui_app.widgets.error_panel import ErrorPanel
from tui_app.widgets.exchange_detail import ExchangeDetail
from tui_app.widgets.exchange_list import ExchangeList
from tui_app.widgets.offer_catalogue import CatalogueTable
from tui_app.widgets.offer_picks import PickTable

from pilot import build_app, ready, screen_lines, settle

# What must never be drawn: it would act on the terminal instead.
RAW = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# In the exported SVG, line breaks between its own lines are fine.
RAW_IN_SVG = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
SIZE = (160, 50)


@pytest.fixture
def tenant():
    with HostileTenant() as server:
        yield server


# --------------------------------------------------------------------------- helpers


def on_screen(pilot: Pilot) -> str:
    return "\n".join(screen_lines(pilot.app))


def assert_sane(pilot: Pilot, *, svg: bool = False) -> None:
    """Still running, and nothing on screen that would act on the terminal;
    with ``svg``, not in the exported screenshot either (slower)."""
    app = pilot.app
    assert app.is_running and app.return_code is None
    lines = screen_lines(pilot.app)
    assert not any("Traceback" in line for line in lines)
    leaked = [line for line in lines if RAW.search(line)]
    assert leaked == [], f"raw control characters drawn: {leaked[:2]!r}"
    if svg:
        exported = app.export_screenshot()
        found = RAW_IN_SVG.search(exported)
        assert found is None, f"raw {found.group()!r} in the screenshot"


def assert_literal(pilot: Pilot, *texts: str) -> None:
    shown = on_screen(pilot)
    for text in texts:
        assert text in shown, f"{text!r} is not on screen:\n{shown}"


def toasts(pilot: Pilot) -> list[str]:
    """The notifications on screen, as drawn (a toast wraps its lines)."""
    return [str(toast.render()) for toast in pilot.app.screen.query(Toast)]


def assert_toast(pilot: Pilot, text: str) -> None:
    shown = toasts(pilot)
    assert any(text in toast for toast in shown), f"{text!r} not in {shown!r}"


def text_of(pilot: Pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector).render())


def panel(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one(ErrorPanel).render())


def app_on(tenant, tmp_path, sandbox, first_screen: str = "offers"):
    """The app on a profile for ``tenant`` (the embedded sandbox beside it)."""
    name = add_profile(tmp_path, tenant)
    return build_app(tmp_path, sandbox, first_screen=first_screen, profile_name=name)


async def with_basket(pilot: Pilot) -> None:
    """A basket on the tenant of Digital Monthly [/b] ×2 and Save 20% [limited]
    (the tenant adds a third, hostile, line of its own)."""
    app = pilot.app
    by_name = {offer.display_name: offer for offer in app.workspace.offers}
    items = [
        OrderItem(offer=OfferPayload(id=by_name[name].id, version=by_name[name].version),
                  quantity=quantity)
        for name, quantity in ((NAME_B, 2), (NAME_LIMITED, 1))
    ]
    order = InitiateOrder(orderItems=items, external_id="hostile-1", country="GB",
                          source="ui-test", order_type="new")
    await app.workspace.initiate(InitiateCheckout(order=order))
    app.context_changed()
    await settle(pilot)


async def help_shows(pilot: Pilot) -> None:
    await pilot.press("f1")
    await pilot.pause()
    assert isinstance(pilot.app.screen, HelpScreen)
    assert_sane(pilot)
    await pilot.press("escape")
    await pilot.pause()


def row_of(table: BasketTable, key: str) -> int:
    return list(table.shown).index(key)


# --------------------------------------------------------------------------- Offers


async def test_offers_show_the_hostile_catalogue_literally_and_initiate_works(
    tmp_path, sandbox, tenant
):
    app = app_on(tenant, tmp_path, sandbox)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert len(app.workspace.offers) == 6
        assert_literal(pilot, NAME_B, NAME_LIMITED, "TENANT  Hostile [/b] 🛒")
        assert_sane(pilot, svg=True)
        table = app.screen.query_one(CatalogueTable)
        # The full row (the widest layout) and the row as shown at this width.
        assert str(table.get_row_at(0)[0]).startswith(NAME_B[:12])
        first = [str(cell) for cell in table.cells(table.shown[0])]
        assert first == [
            NAME_B, "offer", "£9.99 / 1.00 ␛[31mGBP[/] per month [/] ␛…",
            "monthly [/] ␛[31mred␛[0m", "1–10", "GB, ␛[31mZZ, [/], \ufffdevil\ufffd +1",
            "[link=http://x]Tote[/link] ␛[31mred␛[0m,…",
        ]
        long = [str(cell) for cell in table.cells(table.shown[3])]
        assert long[0] == long[3] == "L" * 79 + "…"
        assert long[2] == "1.00 LLLLLLLLLLL… per month"

        # Every row highlighted in turn: the pick note names it, literally.
        notes = []
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.pause()
            notes.append(text_of(pilot, "#pick-target"))
            assert_sane(pilot)
        assert notes[0].startswith(f"→ {NAME_B} (highlighted)")
        assert notes[1].startswith(f"→ {NAME_LIMITED} (highlighted)")
        assert notes[2].startswith("→ [/b] [bold red]x[/] [link=http://x]y[/link] [@click=app.qui…")
        assert "L" * 50 in notes[3] and len(notes[3]) < 200  # 5,000 characters, cut
        assert notes[4].startswith("→ [link=http://x]Tote[/link] ␛[31mred")

        # The filter finds "[/b]" as text, in names and ids alike.
        filter_field = app.screen.query_one("#filter", Input)
        filter_field.value = "[/b]"
        await pilot.pause()
        assert "4 of 6 items match “[/b]”" in text_of(pilot, "#catalogue-status")
        filter_field.value = ""
        await pilot.pause()

        # Picks: the list shows the names literally; removing one says so.
        picks = app.screen.query_one(PickTable)
        for row in (0, 1, 3):
            table.move_cursor(row=row)
            await pilot.press("ctrl+o")
        await pilot.pause()
        assert [pick.name for pick in picks.picks] == [NAME_B, NAME_LIMITED, LONG]
        assert_literal(pilot, NAME_B, NAME_LIMITED, "LLLLLLLL…")
        picks.focus()
        picks.move_cursor(row=1)
        await pilot.press("delete")
        await pilot.pause()
        assert_toast(pilot, f"Removed {NAME_LIMITED} ×1 from the list.")
        assert_sane(pilot)
        picks.move_cursor(row=1)
        await pilot.press("delete")  # the long one
        await pilot.pause()
        assert_sane(pilot)

        # An offer whose id cannot be sent is refused, and says why.
        table.focus()
        table.move_cursor(row=5)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "✗ offer id: must not contain control characters" in text_of(
            pilot, "#pick-target")
        assert len(picks.picks) == 1
        assert_sane(pilot)

        # The command palette reads a command's help as markup: the names in it are text.
        table.move_cursor(row=0)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"highlighted")
        await settle(pilot)
        assert_literal(pilot, NAME_B)
        assert_sane(pilot)
        await pilot.press("escape")
        await pilot.pause()
        await help_shows(pilot)

        # Initiate: the tenant's reply (ids, link, cookie) is shown as text.
        table.move_cursor(row=1)
        await pilot.press("ctrl+o")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.current_mode == "basket"
        basket = app.workspace.basket
        assert basket.basket_id == GOOD_BASKET_ID and basket.assisted_link == LINK
        assert_toast(pilot, "Assisted checkout link: http://127.0.0.1/shop/[/b]?owner=␛]52;c;")
        assert_sane(pilot, svg=True)
        await pilot.press("f3")
        await settle(pilot)
        link = text_of(pilot, "#link")
        assert link.startswith(f"{GOOD_BASKET_ID}\nhttp://127.0.0.1/shop/[/b]?owner=␛]52;c;")
        assert "␇␛[31mred␛[0m\ufffdevil" in link and link.endswith("…")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.clipboard == LINK  # copied whole and as sent ...
        assert_toast(pilot, "Copied the assisted checkout link: http://127.0.0.1/shop/[/b]")
        assert_sane(pilot, svg=True)  # ... and shown as text


# --------------------------------------------------------------------------- Basket


async def test_the_basket_and_its_dialogs_show_the_tenant_text_literally(
    tmp_path, sandbox, tenant
):
    app = app_on(tenant, tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await with_basket(pilot)
        table = app.screen.query_one(BasketTable)
        assert table.row_count == 3
        assert table.cell_text(ITEM_ID, "offer") == NAME_B
        assert table.cell_text("item-00002", "offer") == NAME_LIMITED
        assert table.cell_text(HOSTILE_ITEM_ID, "offer") == visible(HOSTILE)[:79] + "…"
        assert table.cell_text(HOSTILE_ITEM_ID, "type") == "[/]type ␛[31mred␛[0m"
        assert table.cell_text(HOSTILE_ITEM_ID, "version").startswith("[b]v[/b]")
        assert table.cell_text(ITEM_ID, "unit") == "9.99 ␛[31mGBP[/]"
        assert table.cell_text(HOSTILE_ITEM_ID, "total") == "1.00 LLLLLLLLLLL…"
        summary = text_of(pilot, "#basket-summary")
        assert "profile Hostile [/b] 🛒" in summary and "19.98 ␛[31mGBP[/]" in summary
        assert_literal(pilot, NAME_B, NAME_LIMITED, "· 19.98 ␛[31mGBP[/]")  # + context bar
        assert_sane(pilot, svg=True)
        await help_shows(pilot)

        # Quantity dialog on the hostile line: its name in the title and the reason.
        table.focus()
        table.move_cursor(row=row_of(table, HOSTILE_ITEM_ID))
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, QuantityScreen)
        assert_literal(pilot, "Change quantity — [/b] [bold red]x[/]")
        field = app.screen.query_one("#quantity", Input)
        field.value = "99"
        await pilot.pause()
        problem = text_of(pilot, "#quantity-problem")
        assert problem.startswith("✗ [/b] [bold red]x[/] [link=http://x]y[/link]")
        assert problem.endswith("… takes at most 10 (1–10)")
        assert_sane(pilot, svg=True)
        await pilot.press("escape")
        await pilot.pause()

        # ... and on the first line, sent: the results name the tenant's text.
        table.move_cursor(row=row_of(table, ITEM_ID))
        await pilot.press("c")
        await pilot.pause()
        app.screen.query_one("#quantity", Input).value = "3"
        await pilot.press("enter")
        await settle(pilot)
        results = text_of(pilot, "#basket-results")
        assert f"✓ change_quantity item-000… → 3 ({NAME_B})" in results
        assert "✓ [bold red]x[/] ␛[31mred␛[0m ␛[31mite… ([/b] [bold red]x[/]" in results
        assert_sane(pilot)

        # Stage mode: the staged panel names the line literally.
        await pilot.press("s", "x")
        await pilot.pause()
        assert f"1. remove item-000… ({NAME_B})" in text_of(pilot, "#basket-staged")
        await pilot.press("Z", "s")
        await pilot.pause()

        # Moving the basket: the hostile line's version cannot be sent back.
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, CountryScreen)
        app.screen.query_one("#country", Input).value = "DE"
        await pilot.press("enter")
        await settle(pilot)
        assert "must not contain control characters" in panel(pilot)
        assert_sane(pilot)

        # Remove dialog on the hostile line: its name and id, as text.
        table.move_cursor(row=row_of(table, HOSTILE_ITEM_ID))
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert_literal(pilot, "[/b] [bold red]x[/] [link=http://x]y[/link]", "(item ␛[31mite…)")
        assert_sane(pilot, svg=True)
        await pilot.press("y")
        await settle(pilot)
        assert HOSTILE_ITEM_ID not in table.shown and table.row_count == 2

        # Now the basket moves (initiated again: the tenant's reply, shown).
        await pilot.press("k")
        await pilot.pause()
        app.screen.query_one("#country", Input).value = "DE"
        await pilot.press("enter")
        await settle(pilot)
        assert app.workspace.basket.country == "DE", panel(pilot)
        assert_toast(pilot, "The basket is now in DE")
        assert_sane(pilot)

        # A refused update: the tenant's 502 message in the error panel, as text.
        tenant.refuse_updates = True
        before = [(i.id, i.quantity) for i in app.workspace.basket.items]
        table.move_cursor(row=row_of(table, ITEM_ID))
        await pilot.press("c")
        await pilot.pause()
        app.screen.query_one("#quantity", Input).value = "5"
        await pilot.press("enter")
        await settle(pilot)
        shown = panel(pilot)
        assert shown.startswith(
            "✗ Rejected or upstream fault (502): Refused [/b] [/b] [bold red]x[/]"
        )
        assert "␛[31mred␛[0m ␛]52;c;aGFja2Vk␇ \ufffd31m ␀␇␈␉␍␊␋␌␡\ufffd␤␤ \ufffdevil" in shown
        assert "\n→ check the fields the message names" in shown
        assert [(i.id, i.quantity) for i in app.workspace.basket.items] == before
        assert_sane(pilot, svg=True)

        await pilot.press("i")
        await pilot.pause()
        assert_toast(pilot, f"Copied the basket id: {GOOD_BASKET_ID}")


# --------------------------------------------------------------------------- Validation


async def test_validation_shows_blocked_products_problems_and_the_tree_literally(
    tmp_path, sandbox, tenant
):
    app = app_on(tenant, tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await with_basket(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert app.current_mode == "validation"
        problems = text_of(pilot, "#problems")
        assert "Blocked products (2)" in problems
        assert "✗ [/b] [bold red]x[/] [link=http://x]y[/link] [@click=app.qui…" in problems
        assert "    · blocked: [/b] [bold red]x[/]" in problems
        assert "✗ ␛[31mghost[/b]\ufffdevil\ufffd" in problems
        assert f"! {NAME_B} — quantity out of range\n    · {NAME_LIMITED} \ufffdevil" in problems
        assert "! the basket — problem\n    · a bare problem [/b]" in problems
        assert "LLLLLLLL…" in problems
        assert_literal(pilot, "[/b]", "[limited]")
        assert_sane(pilot, svg=True)

        # The tree, every branch opened: keys and values are text.
        tree = app.screen.query_one(JsonTree)
        tree.focus()
        assert str(tree.root.label) == f"checkout {GOOD_BASKET_ID}"
        for _ in range(4):
            for node in list(tree._tree_nodes.values()):
                if node.allow_expand and not node.is_expanded:
                    node.expand()
            await pilot.pause()
        labels = [str(node.label) for node in tree._tree_nodes.values()]
        assert any(label.startswith("[/b]␛[31mred␛[0mkey: \"value [/b]") for label in labels)
        assert any(label.startswith(f'name: "{NAME_B}"') for label in labels)
        assert all(len(label) < 250 for label in labels)  # one line each, cut
        assert not any(RAW.search(label) for label in labels)
        for _ in range(60):  # scroll through all of it
            await pilot.press("down")
        await pilot.pause()
        assert_sane(pilot, svg=True)
        await help_shows(pilot)

        # Back on the basket, the verdict marks the lines.
        await pilot.press("b")
        await pilot.pause()
        table = app.screen.query_one(BasketTable)
        assert table.cell_text(HOSTILE_ITEM_ID, "status") == "✗ blocked"
        assert table.cell_text(ITEM_ID, "status") == "! quantity out of range"
        assert_sane(pilot)


# --------------------------------------------------------------------------- Inspector


async def test_the_inspector_shows_every_hostile_exchange_as_text(tmp_path, sandbox, tenant):
    app = app_on(tenant, tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await with_basket(pilot)
        await pilot.press("v")
        await settle(pilot)
        tenant.refuse_updates = True
        with pytest.raises(UpstreamError):  # a hostile 502 in the log too
            await app.workspace.update([OrderAction.change_quantity(ITEM_ID, 5)])
        await pilot.press("f7")
        await settle(pilot)
        exchanges = app.screen.query_one(ExchangeList)
        detail = app.screen.query_one(ExchangeDetail)
        assert exchanges.row_count == len(app.workspace.log) >= 4
        for row in range(exchanges.row_count):
            exchanges.move_cursor(row=row)
            await pilot.pause()
            text = detail.shown_text
            assert "x-hostile: [/b] [bold red]x[/] \ufffdevil \ufffd31m 🛒" in text
            assert not RAW.search(text.replace("\n", "")), detail.exchange.path
            assert_sane(pilot)
        validate = next(e for e in app.workspace.log if "/validate/" in e.path)
        exchanges.move_cursor(row=exchanges.get_row_index(str(validate.id)))
        await pilot.pause()
        text = detail.shown_text  # JSON escapes C0 itself; the rest is made visible
        assert '"[/b]\\u001b[31mred\\u001b[0mkey": "value [/b] [bold red]x[/]' in text
        assert "␡\ufffd␤␤ \ufffdevil\ufffd \ufffdiso\ufffd سلة التسوق 🛒" in text
        assert_sane(pilot, svg=True)

        # Revealed: the cookie the tenant set comes back, as text.
        initiate = next(e for e in app.workspace.log if e.path.endswith("/initiate"))
        exchanges.move_cursor(row=exchanges.get_row_index(str(initiate.id)))
        await pilot.press("r")
        await pilot.pause()
        assert "set-cookie: lmo-landing=[bold red]c[/]%1B; Path=/" in detail.shown_text
        assert_sane(pilot)
        await pilot.press("r")

        # Find: hostile text typed in the find box is text too.
        await pilot.press("slash")
        find = app.screen.query_one("#exchange-find", Input)
        find.value = "[/b]"
        await pilot.pause()
        assert "match" in text_of(pilot, "#exchange-matches")
        assert_sane(pilot)
        await pilot.press("escape")
        exchanges.focus()

        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CurlScreen)
        assert_sane(pilot, svg=True)
        await pilot.press("escape")
        await pilot.pause()
        await help_shows(pilot)


# --------------------------------------------------------------------------- Profiles


async def test_profiles_test_connection_shows_the_tenant_words_as_text(
    tmp_path, sandbox, tenant
):
    add_profile(tmp_path, tenant)
    refused = add_profile(tmp_path, tenant, name="Refused [/b]", client_id=tenant.refuse_client)
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        listing = app.screen.profile_list
        keys = [listing.get_option_at_index(i).id for i in range(listing.option_count)]
        assert_literal(pilot, "Hostile [/b] 🛒", refused)
        for name, expected in (
            ("Hostile [/b] 🛒", f"Organisation  {visible(ORGANISATION)}"),
            (refused, "the token endpoint refused the client credentials: no such client "
                      "[/b] ␛[31mred␛[0m \ufffdevil\ufffd"),
        ):
            listing.highlighted = keys.index(f"profile:{name}")
            await pilot.pause()
            await pilot.press("ctrl+t")
            await settle(pilot)
            result = text_of(pilot, "#test-result")
            assert expected in result, result
            assert_sane(pilot, svg=True)
        await help_shows(pilot)


# --------------------------------------------------------------------------- a hostile basket id


async def test_a_hostile_basket_id_is_shown_as_text_and_never_sent(tmp_path, sandbox, tenant):
    app = app_on(tenant, tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await with_basket(pilot)
        await app.workspace.update([OrderAction.remove(HOSTILE_ITEM_ID)])  # so it can move
        # Moved to another country, the tenant answers with another basket id:
        # the warning that says so quotes it, as text.
        tenant.basket_id = HOSTILE_BASKET_ID
        await pilot.press("k")
        await pilot.pause()
        app.screen.query_one("#country", Input).value = "DE"
        await pilot.press("enter")
        await settle(pilot)
        assert app.workspace.basket.basket_id == HOSTILE_BASKET_ID
        assert_toast(pilot, "the server made a new basket basket-[/b]␛[31mred␛[0m")
        assert_sane(pilot)
        summary = text_of(pilot, "#basket-summary")
        assert summary.startswith("Basket basket-[/b]␛[31mred␛[0m\ufffdevil\ufffd␛]52;c;")
        assert_literal(pilot, "│  basket-[/b]␛[31… · DE")  # the context bar, cut
        assert_sane(pilot, svg=True)
        await pilot.press("i")
        await pilot.pause()
        assert app.clipboard == HOSTILE_BASKET_ID
        assert_toast(pilot, "Copied the basket id: basket-[/b]␛[31mred␛[0m")
        assert_sane(pilot)
        sent = len(tenant.seen)
        await pilot.press("v")
        await settle(pilot)
        assert len(tenant.seen) == sent  # refused before sending
        assert panel(pilot).startswith("✗ Not sent: 'basket-[/b]\\x1b[31mred")
        assert_sane(pilot, svg=True)
        await pilot.press("f3")
        await settle(pilot)
        assert text_of(pilot, "#basket-target").startswith("basket-[/b]␛[31mred␛[0m")
        assert_sane(pilot)


async def test_a_hostile_basket_id_is_offered_for_resuming_as_text(tmp_path, sandbox, tenant):
    tenant.basket_id = HOSTILE_BASKET_ID
    app = app_on(tenant, tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await with_basket(pilot)
    # Next time: the basket id comes back from the session file.
    app = app_on(tenant, tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ResumeScreen)
        assert_literal(pilot, "▶ last session  basket-[/b]␛[31mred␛[0m\ufffdevil\ufffd␛]52;c;"
                              "aGFja2Vk…")
        assert_sane(pilot, svg=True)
        await pilot.press("enter")
        await settle(pilot)
        assert app.workspace.basket.basket_id == HOSTILE_BASKET_ID
        assert_sane(pilot)


# --------------------------------------------------------------------------- Scenarios

SCENARIO = r'''
version = 1
name = "Evil [/b] \u001b[31m scenario \u202e"

[[steps]]
name = "create"
action = "initiate"
[steps.body.order]
external_id = "scenario-${uuid}"
country = "GB"
source = "scenario"
order_type = "new"
[[steps.body.order.orderItems]]
offer = { name = "Digital Monthly [/b]" }
quantity = 2
[steps.expect]
currency = "GBP [limited]"

[[steps]]
name = "check"
action = "validate"
[steps.expect]
valid = true
'''
# Step names are identifiers: a file with these is refused, line by line.
BAD_NAMES = {'"create"': '"create [@click=app.quit]q[/] \\u001b]52;c;aGk=\\u0007"',
             '"check"': '"check [bold red]x[/]"'}


async def test_a_scenario_file_and_the_tenant_replies_are_shown_as_text(
    tmp_path, sandbox, tenant
):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    file = folder / "evil [limited] [@click=app.quit]q \x1b[31m.toml"
    bad = SCENARIO
    for plain, hostile in BAD_NAMES.items():
        bad = bad.replace(plain, hostile, 1)
    file.write_text(bad, encoding="utf-8")
    app = app_on(tenant, tmp_path, sandbox)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("f9")
        await settle(pilot)
        listing = app.screen.query_one("#scenario-list", OptionList)
        index = next(i for i in range(listing.option_count)
                     if "evil [limited]" in (listing.get_option_at_index(i).id or ""))
        prompt = str(listing.get_option_at_index(index).prompt)
        assert prompt.endswith("/scenarios/evil [limited] [@click=app.quit]q ␛[31m.toml")
        assert_sane(pilot)

        async def open_it() -> None:
            path = app.screen.query_one("#scenario-path", Input)
            path.focus()
            path.value = str(file)
            await pilot.press("enter")
            await settle(pilot)

        await open_it()
        problems = panel(pilot)
        assert "[@click=app.quit]q ␛[31m.toml:6: step 1 (initiate): name: " in problems
        assert "'create [@click=app.quit]q[/] \\x1b]52;c;aGk=\\x07' is not a step name" in problems
        assert "'check [bold red]x[/]' is not a step name" in problems
        assert_sane(pilot, svg=True)

        file.write_text(SCENARIO, encoding="utf-8")
        await open_it()
        assert_literal(pilot, "Evil [/b] ␛[31m scenario \ufffd — 2 steps")
        assert_sane(pilot)
        await pilot.press("r")
        for _ in range(100):
            await pilot.pause(0.05)
            if not app.busy:
                break
        await settle(pilot)
        steps = app.screen.query_one("#scenario-steps", DataTable)
        assert [str(steps.get_row_at(i)[3]) for i in range(2)] == ["✗ failed", "✗ failed"]
        detail = text_of(pilot, "#scenario-detail")
        assert "✗ valid: expected true, got false (blocked: [/b] [bold red]x[/]" in detail
        basket = app.screen.query_one("#scenario-basket", BasketTable)
        assert NAME_B in [basket.cell_text(key, "offer") for key in basket.shown]
        assert_literal(pilot, "Evil [/b] ␛[31m scenario \ufffd — ✗ scenario failed")
        assert_sane(pilot, svg=True)


# --------------------------------------------------------------------------- the app's own toasts


async def test_a_hostile_refusal_of_the_catalogue_is_shown_as_text(tmp_path, sandbox, tenant):
    tenant.refuse_offers = True
    app = app_on(tenant, tmp_path, sandbox)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert app.is_running
        assert not app.workspace.offers
        assert_literal(pilot, "Refused [/b]")
        assert_sane(pilot, svg=True)


async def test_the_palette_shows_a_hostile_basket_id_as_text(tmp_path, sandbox, tenant):
    tenant.basket_id = HOSTILE_BASKET_ID
    app = app_on(tenant, tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await with_basket(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"copy basket")
        await settle(pilot)
        assert_literal(pilot, "basket-[/b]")
        assert_sane(pilot, svg=True)
