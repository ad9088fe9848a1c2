"""Hostile input in every form field, against the real sandbox.

Whatever is pasted into a field, either it is a legitimate value and goes to
the server (and comes back) exactly as typed, or it is refused beside the
field with what is wrong and where — and then nothing is sent, the field keeps
what was pasted, the basket on screen stays as it was, and the app keeps
running without a traceback. Nothing pasted ever reaches the terminal as a
control sequence: an escape shows as ␛, not as a colour.
"""

from __future__ import annotations

import json
import re
import tomllib
import uuid

import httpx
import pytest
from pydantic import ValidationError
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select

from tui_app.screens.country import CountryScreen
from tui_app.screens.quantity import QuantityScreen
from tui_app.services.api.models import (
    InitiateCheckout,
    InitiateOrder,
    OfferPayload,
    OrderItem,
    describe_validation_error,
    trim_spaces,
)
from tui_app.widgets.error_panel import ErrorPanel
from tui_app.widgets.offer_picks import PickTable
from tui_app.widgets.plain_input import visible

from pilot import build_app, ready, screen_lines, settle

LONG = "x" * 5000
CONTROL = "control characters (line breaks, tabs, escape codes)"
INVISIBLE = "invisible formatting characters"

# Refused in every field that goes into a request, with the reason expected.
REFUSED = {
    "NUL": ("ab\x00cd", f"{CONTROL}: found a NUL (U+0000) at character 3"),
    "bell": ("ab\x07cd", f"{CONTROL}: found a bell (U+0007) at character 3"),
    "ANSI escape": ("\x1b[31mred", f"{CONTROL}: found an escape (U+001B) at character 1"),
    "tab": ("a\tb", f"{CONTROL}: found a tab (U+0009) at character 2"),
    "CR/LF": ("a\r\nb", f"{CONTROL}: found a line break (U+000D) at character 2"),
    "RTL override": ("\u202eevil", f"{INVISIBLE}: found U+202E RIGHT-TO-LEFT OVERRIDE"),
}
# Legitimate text: the API takes any JSON string, so these go out unchanged.
LEGIT = {
    "emoji": "🛒 basket",
    "right-to-left": "سلة التسوق",
    "pasted JSON": '{"order": {"country": "GB"}}',
    "markup-like": "[b]not bold[/b] [/]",
}
HOSTILE_NAMES = [*REFUSED, "5,000 characters"]
SCREEN_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


# --------------------------------------------------------------------------- helpers


def paste_over(field: Input, text: str) -> None:
    """Select all of a field and paste ``text`` over it, as a user would."""
    field.action_select_all()
    field.post_message(events.Paste(text))


async def paste_into(pilot: Pilot, selector: str, text: str) -> Input:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    paste_over(field, text)
    await pilot.pause()
    return field


async def paste_all(pilot: Pilot, pastes: dict[str, str]) -> None:
    """Paste into several fields at once (each paste goes to its field, as it
    would to the focused one): quicker than one field at a time."""
    for selector, text in pastes.items():
        paste_over(pilot.app.screen.query_one(selector, Input), text)
    await pilot.pause()


def note(pilot: Pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector).render())


def assert_screen_is_sane(pilot: Pilot) -> None:
    """Still running, no traceback, and nothing on screen that would act on
    the terminal instead of being drawn."""
    assert pilot.app.is_running and pilot.app.return_code is None
    lines = screen_lines(pilot.app)
    assert not any("Traceback" in line for line in lines)
    leaked = [line for line in lines if SCREEN_CONTROLS.search(line)]
    assert leaked == [], f"raw control characters drawn: {leaked[:2]!r}"


async def press_refused(pilot: Pilot, *keys: str) -> None:
    """Press keys that must start no call. call_api marks the app busy before
    its worker runs, and a call that already finished is in the log, so
    checking both right away is enough (and quicker than waiting for workers)."""
    sent = len(pilot.app.workspace.log)
    for key in keys:
        await pilot.press(key)  # which waits until the app is idle again
        assert not pilot.app.busy, f"{key} started {pilot.app.busy!r}"
    assert len(pilot.app.workspace.log) == sent, f"{keys} sent a request"


def requests(pilot: Pilot) -> list:
    return list(pilot.app.workspace.log)


async def basket_of(pilot: Pilot, name: str = "Digital Monthly", quantity: int = 2) -> str:
    """A basket made through the workspace, so each test starts with one on screen."""
    app = pilot.app
    offer = next(o for o in app.workspace.offers if o.display_name == name)
    order = InitiateOrder(
        orderItems=[
            OrderItem(offer=OfferPayload(id=offer.id, version=offer.version), quantity=quantity)
        ],
        external_id=f"hostile-{uuid.uuid4().hex}",
        country="GB",
        source="ui-test",
        order_type="new",
    )
    await app.workspace.initiate(InitiateCheckout(order=order))
    app.context_changed()
    await settle(pilot)
    return app.workspace.basket.basket_id


def basket_state(pilot: Pilot) -> tuple:
    basket = pilot.app.workspace.basket
    return basket.basket_id, basket.country, [(i.id, i.quantity) for i in basket.items]


async def pick_digital_monthly(pilot: Pilot) -> None:
    offer = next(o for o in pilot.app.workspace.offers if o.display_name == "Digital Monthly")
    await paste_into(pilot, "#filter", offer.id)
    await pilot.press("ctrl+o")
    await pilot.pause()


# --------------------------------------------------------------------------- Offers: the order


ORDER_TEXT_FIELDS = {
    "#external-id": "#external_id-note",
    "#source": "#source-note",
    "#country": "#country-note",
}
TRACKING_FIELDS = {
    "#tracking-accountId": "account id",
    "#tracking-contactId": "contact id",
    "#tracking-userId": "user id",
    "#tracking-offers": "offers, item 1",
    "#tracking-purchaseCountryCode": "purchase country",
}


def expected_order_reason(name: str, field: str) -> str:
    if name != "5,000 characters":
        return REFUSED[name][1]
    if field in ("#country", "#tracking-purchaseCountryCode"):
        return "(5,000 characters) is not a two-letter country code"
    return "String should have at most 2000 characters"


async def test_every_order_field_refuses_hostile_text_beside_it_and_sends_nothing(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 50)) as pilot:
        await ready(pilot)
        await basket_of(pilot)
        before = basket_state(pilot)
        await pick_digital_monthly(pilot)
        app.screen.query_one("#tracking").collapsed = False
        await pilot.pause()
        sent = len(requests(pilot))
        for name in HOSTILE_NAMES:
            text = LONG if name == "5,000 characters" else REFUSED[name][0]
            fields = [*ORDER_TEXT_FIELDS, *TRACKING_FIELDS]
            await paste_all(pilot, dict.fromkeys(fields, text))
            await press_refused(pilot, "ctrl+s")

            assert len(requests(pilot)) == sent, f"{name}: something was sent"
            assert app.current_mode == "offers"
            for selector in fields:  # nothing typed is lost
                assert app.screen.query_one(selector, Input).value == text, (name, selector)
            for selector, note_id in ORDER_TEXT_FIELDS.items():
                reason = expected_order_reason(name, selector)
                assert reason in note(pilot, note_id), (name, selector, note(pilot, note_id))
                assert app.screen.query_one(selector, Input).has_class("problem")
            tracking = note(pilot, "#tracking-note")
            for selector, title in TRACKING_FIELDS.items():
                reason = expected_order_reason(name, selector)
                assert f"✗ {title}: " in tracking and reason in tracking, (name, title, tracking)
                assert app.screen.query_one(selector, Input).has_class("problem")
            panel = str(app.screen.query_one(ErrorPanel).render())
            assert "Not sent — fix the fields marked ✗" in panel
            assert len(app.screen.query_one(PickTable).picks) == 1  # the pick is kept
            assert basket_state(pilot) == before
            assert_screen_is_sane(pilot)
        await settle(pilot)
        assert len(requests(pilot)) == sent and basket_state(pilot) == before


async def test_legitimate_text_goes_to_the_sandbox_and_back_unchanged(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 50)) as pilot:
        await ready(pilot)
        app.screen.query_one("#tracking").collapsed = False
        for name, text in LEGIT.items():
            unique = uuid.uuid4().hex[:8]
            external_id = f"{text} {unique}"
            sent = len(requests(pilot))
            await pick_digital_monthly(pilot)
            # Spaces around a value are trimmed; everything else goes as typed.
            await paste_all(pilot, {
                "#external-id": f"  {external_id}  ",
                "#source": text,
                "#tracking-accountId": text,
                "#tracking-contactId": text,
                "#tracking-userId": text,
                "#tracking-offers": f" {text} , {unique} ",
                "#country": "\u00a0gb ",  # a no-break space, as pasted from a web page
            })
            await pilot.press("ctrl+s")
            await settle(pilot)

            [initiate] = requests(pilot)[sent:]
            order = json.loads(initiate.request_body)["order"]
            expected_tracking = {
                "accountId": text, "contactId": text, "userId": text, "offers": [text, unique],
            }
            assert (order["external_id"], order["source"], order["country"]) == (
                external_id, text, "GB"
            ), name
            assert order["tracking"] == expected_tracking, name
            # ... and the sandbox hands back exactly what it was sent.
            assert app.current_mode == "basket", name
            back = app.workspace.basket.order
            assert (back.external_id, back.source, back.country) == (external_id, text, "GB")
            assert back.tracking == expected_tracking, name
            verdict = await app.workspace.validate()
            assert verdict.data.checkout.external_id == external_id, name
            assert verdict.data.checkout.source == text, name
            assert_screen_is_sane(pilot)
            await pilot.press("f3")
            await pilot.pause()
            assert app.screen.query_one("#source", Input).value == text  # kept as typed


async def test_hostile_text_is_drawn_as_visible_symbols_and_the_select_keeps_its_choices(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await paste_into(pilot, "#source", "\x1b[31mred\x00\u202eevil")
        await pilot.press("ctrl+s")
        await settle(pilot)
        lines = screen_lines(pilot.app)
        assert any("␛[31mred␀\ufffdevil" in line for line in lines)  # literally, not red
        assert_screen_is_sane(pilot)
        # Markup-like text is text: neither a style nor a crash.
        await paste_into(pilot, "#country", "[/]")
        assert "'[/]' is not a two-letter country code" in note(pilot, "#country-note")
        await paste_into(pilot, "#source", "[@click=app.quit]quit[/]")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("[@click=app.quit]quit[/]" in line for line in screen_lines(pilot.app))
        assert_screen_is_sane(pilot)
        # The order type is a choice: a paste or typing cannot make it anything else.
        select = app.screen.query_one("#order-type", Select)
        select.focus()
        select.post_message(events.Paste('\x1b[31m{"order_type": "renewal"}\n🛒'))
        await pilot.pause()
        await pilot.press("enter", "z", "q", "x", "escape")  # type-to-search finds nothing
        await pilot.pause()
        assert select.value == "new"
        assert_screen_is_sane(pilot)


# --------------------------------------------------------------------------- Offers: picking


async def test_the_filter_shows_hostile_text_literally(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for text in ("\x1b[31mred", "[/]", "[@click=app.quit]x[/]", "\x00\u202eevil", LONG):
            field = await paste_into(pilot, "#filter", text)
            assert field.value == text
            assert "Nothing matches" in note(pilot, "#catalogue-status")
            assert_screen_is_sane(pilot)
        await paste_into(pilot, "#filter", "\x1b[31mred")
        assert any("␛[31mred" in line for line in screen_lines(pilot.app))


async def test_a_typed_offer_id_version_or_quantity_with_hostile_text_is_refused(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox, first_screen="offers")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await basket_of(pilot)
        before = basket_state(pilot)
        cases = {**REFUSED, "5,000 characters": (LONG, "at most 2000 characters")}
        # The version is checked by the same rule as the id: a few cases do.
        some = ("ANSI escape", "RTL override", "5,000 characters")
        for where, names in (("#manual-id", list(cases)), ("#manual-version", some)):
            keys: tuple[str, ...] = ("ctrl+o", "ctrl+b", "ctrl+t")  # to the list, basket, stage
            for name in names:
                text, reason = cases[name]
                await paste_all(pilot, {"#manual-id": "0" * 40, "#manual-version": "1" * 40})
                await paste_all(pilot, {where: text})
                await press_refused(pilot, *keys)
                keys = ("ctrl+o",)  # the other two share its check
                assert reason in note(pilot, "#pick-target"), (where, name)
                assert app.screen.query_one(where, Input).value == text, (where, name)
                assert app.screen.query_one(PickTable).picks == [], (where, name)
                assert app.workspace.staged == [], (where, name)
                assert basket_state(pilot) == before
                assert_screen_is_sane(pilot)
                app.clear_notifications()

        # A quantity for an offer the catalogue does not list: only the
        # request's own limits apply.
        await paste_all(pilot, {"#manual-id": "0" * 40, "#manual-version": "1" * 40})
        keys: tuple[str, ...] = ("ctrl+o", "ctrl+b", "ctrl+t", "ctrl+s")
        for text in ("[/]", "5000000", "1_000", "³", "9" * 5000, "\x1b[31m2", "2\t"):
            await paste_all(pilot, {"#quantity": text})
            await press_refused(pilot, *keys)
            keys = ("ctrl+o", "ctrl+b")  # ctrl+b: an add action is built from the quantity
            assert "✗" in note(pilot, "#quantity-note"), text
            assert app.screen.query_one("#quantity", Input).value == text
            assert app.screen.query_one(PickTable).picks == [], text
            assert basket_state(pilot) == before
            assert_screen_is_sane(pilot)
            app.clear_notifications()


# --------------------------------------------------------------------------- Profiles

PROFILE_INPUTS = (
    "#name", "#target", "#client-id", "#client-secret", "#timeout",
    "#cookie-template", "#ca-bundle",
)
# For the 5,000-character paste: what each field says (None: it is accepted,
# as nothing limits a client id or a secret).
LONG_PROFILE_REASONS = {
    "#name": "String should have at most 64 characters",
    "#target": "is not a valid hostname",
    "#client-id": None,
    "#client-secret": None,
    "#timeout": "a number of seconds is required",
    "#cookie-template": "must look like name={basket_id}",
    "#ca-bundle": "that path cannot be used: File name too long",
    "#token": None,
}


def check_label(pilot: Pilot, selector: str) -> str:
    return note(pilot, f"{selector}-check")


def stored_names(pilot: Pilot) -> list[str]:
    return [profile.name for profile in pilot.app.workspace.profiles.profiles()]


async def test_every_profile_field_refuses_hostile_text_and_nothing_is_saved_or_sent(
    tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        app.screen.query_one("#advanced").collapsed = False
        await pilot.pause()
        sent = len(requests(pilot))

        def assert_refused(name: str, text: str, fields: tuple[str, ...]) -> None:
            for selector in fields:
                assert app.screen.query_one(selector, Input).value == text, (name, selector)
                reason = (
                    LONG_PROFILE_REASONS[selector] if name == "5,000 characters"
                    else REFUSED[name][1]
                )
                shown = check_label(pilot, selector)
                if reason is None:
                    assert shown.startswith("✓"), (name, selector, shown)
                else:
                    assert shown.startswith("✗") and reason in shown, (name, selector, shown)
                    assert len(shown) < 200  # a long paste is not echoed whole
            assert stored_names(pilot) == []
            assert not (tmp_path / "profiles.toml").exists()
            assert len(requests(pilot)) == sent
            assert_screen_is_sane(pilot)

        for name in HOSTILE_NAMES:
            text = LONG if name == "5,000 characters" else REFUSED[name][0]
            await paste_all(pilot, dict.fromkeys(PROFILE_INPUTS, text))
            for key, refusal in (("ctrl+s", "Not saved"), ("ctrl+t", "Not tested")):
                await press_refused(pilot, key)
                assert refusal in str(app.screen.query_one(ErrorPanel).render()), name
                assert_refused(name, text, PROFILE_INPUTS)
        await pilot.click("#auth-bearer")
        for name in HOSTILE_NAMES:
            text = LONG if name == "5,000 characters" else REFUSED[name][0]
            await paste_all(pilot, {"#token": text})
            await press_refused(pilot, "ctrl+s")
            assert_refused(name, text, ("#token",))
        await settle(pilot)
        assert len(requests(pilot)) == sent


async def test_a_profile_named_with_emoji_and_arabic_is_saved_listed_and_used(tmp_path, sandbox):
    name = "🛒 سلة [b]x[/b]"
    org = sandbox.orgs[0]
    app = build_app(tmp_path, sandbox, first_screen="profiles")
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await paste_into(pilot, "#name", f"  {name}  ")
        await pilot.click("#kind-base_url")
        await paste_into(pilot, "#target", sandbox.base_url)
        await paste_into(pilot, "#client-id", org.client_id)
        await paste_into(pilot, "#client-secret", org.client_secret + "\n")  # a copied line
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert stored_names(pilot) == [name]
        saved = tomllib.loads((tmp_path / "profiles.toml").read_text("utf-8"))
        assert name in json.dumps(saved, ensure_ascii=False)
        entries = app.screen.query_one(OptionList)
        prompts = [str(entries.get_option_at_index(i).prompt) for i in range(entries.option_count)]
        assert any(prompt.startswith(name) for prompt in prompts)
        assert any(name in line for line in screen_lines(pilot.app))  # drawn, markup and all
        assert_screen_is_sane(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.workspace.profile.name == name
        assert app.workspace.offers
        assert any(f"TENANT  {name}" in line for line in screen_lines(pilot.app))  # context bar
        assert_screen_is_sane(pilot)


# --------------------------------------------------------------------------- Basket dialogs

DIALOG_REFUSED = {
    **{name: text for name, (text, _reason) in REFUSED.items()},
    "5,000 digits": "9" * 5000,
    "superscript three": "³",
    "underscored": "1_0",
    "emoji": "🛒",
    "right-to-left": "سلة",
    "pasted JSON": '{"order": {"country": "GB"}}',
    "markup": "[/]",
}


async def open_dialog(pilot: Pilot, key: str, kind: type) -> None:
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, kind)


async def test_the_basket_dialogs_refuse_hostile_text_and_take_padded_values(tmp_path, sandbox):
    app = build_app(tmp_path, sandbox, first_screen="basket")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await basket_of(pilot, "Gift Digital Annual", 2)
        before, sent = basket_state(pilot), len(requests(pilot))
        await open_dialog(pilot, "c", QuantityScreen)
        for name, text in DIALOG_REFUSED.items():
            field = await paste_into(pilot, "#quantity", text)
            await press_refused(pilot, "enter")
            assert isinstance(app.screen, QuantityScreen), name  # still open
            shown = note(pilot, "#quantity-problem")
            assert shown.startswith("✗") and len(shown) < 200, (name, shown)
            assert app.screen.query_one("#ok").disabled, name
            assert field.value == text, name
            assert len(requests(pilot)) == sent and basket_state(pilot) == before, name
            assert_screen_is_sane(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert len(requests(pilot)) == sent and basket_state(pilot) == before
        await open_dialog(pilot, "c", QuantityScreen)
        await paste_into(pilot, "#quantity", " 3 ")
        assert "✓" in note(pilot, "#quantity-problem")
        await pilot.press("enter")
        await settle(pilot)
        [update] = requests(pilot)[sent:]
        assert json.loads(update.request_body)["orderActions"][0]["quantity"] == 3
        assert basket_state(pilot)[2][0][1] == 3

        # The country dialog, on the same basket.
        before, sent = basket_state(pilot), len(requests(pilot))
        await open_dialog(pilot, "k", CountryScreen)
        for name, text in {**DIALOG_REFUSED, "5,000 characters": LONG}.items():
            field = await paste_into(pilot, "#country", text)
            await press_refused(pilot, "enter")
            assert isinstance(app.screen, CountryScreen), name  # still open
            shown = note(pilot, "#reason")
            assert shown.startswith("✗") and len(shown) < 200, (name, shown)
            if name in REFUSED:
                assert REFUSED[name][1] in shown, (name, shown)
            assert field.value == text, name
            assert len(requests(pilot)) == sent and basket_state(pilot) == before, name
            assert_screen_is_sane(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert len(requests(pilot)) == sent and basket_state(pilot) == before
        await open_dialog(pilot, "k", CountryScreen)
        await paste_into(pilot, "#country", "\u00a0de ")  # a no-break space from a web page
        assert "✓ DE — Germany" in note(pilot, "#reason")
        await pilot.press("enter")
        await settle(pilot)
        assert json.loads(requests(pilot)[sent].request_body)["order"]["country"] == "DE"
        assert app.workspace.basket.country == "DE"


def test_visible_stand_ins_keep_one_character_for_one():
    text = "a\x00\x07\t\n\r\x1b[31m\x7f\x85\u2028\u202e\u2066b🛒سلة"
    shown = visible(text)
    assert len(shown) == len(text)
    assert shown == "a␀␇␉␊␍␛[31m␡\ufffd␤\ufffd\ufffdb🛒سلة"
    assert not SCREEN_CONTROLS.search(shown)


# --------------------------------------------------------------------------- the rules themselves


@pytest.mark.parametrize(
    ("text", "in_source", "in_an_id"),
    [
        ("🛒 سلة", None, None),
        ('{"order": {"country": "GB"}}', None, None),
        ("👩\u200d💻", None, "U+200D ZERO WIDTH JOINER at character 2"),  # an emoji sequence
        ("a\u200bb", None, "U+200B ZERO WIDTH SPACE at character 2"),
        ("\ufeffid", None, "U+FEFF ZERO WIDTH NO-BREAK SPACE at character 1"),
        ("x\u2066y", "U+2066 LEFT-TO-RIGHT ISOLATE", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("a\u2028b", "U+2028", "U+2028"),
        ("a\x85b", "U+0085", "U+0085"),
        ("a\x7fb", "U+007F", "U+007F"),
    ],
)
def test_free_text_keeps_what_ids_refuse(text, in_source, in_an_id):
    order = {
        "orderItems": [{"offer": {"id": "a" * 40, "version": "b" * 40}}],
        "external_id": "ext", "country": "GB", "source": "s", "order_type": "new",
    }

    def problems(**fields: str) -> list[str]:
        try:
            InitiateCheckout.model_validate({"order": {**order, **fields}})
        except ValidationError as exc:
            return describe_validation_error(exc)
        return []

    source = problems(source=text)
    assert (source == []) if in_source is None else (in_source in source[0])
    found = problems(external_id=text)
    assert (found == []) if in_an_id is None else (in_an_id in found[0])
    offer = problems(orderItems=[{"offer": {"id": text, "version": "v"}}])
    assert (offer == []) if in_an_id is None else ("orderItems[0].offer.id" in offer[0])


def test_spaces_are_trimmed_but_tabs_and_line_breaks_are_not():
    assert trim_spaces("\u00a0 id\u3000 ") == "id"
    assert trim_spaces("\tid\n") == "\tid\n"  # left for the checks to name


def test_the_sandbox_refuses_what_the_form_refuses_and_stores_nothing(sandbox):
    token = sandbox.orgs[0].demo_token
    with httpx.Client(base_url=sandbox.base_url) as http:
        headers = {"Authorization": f"Bearer {token}"}
        offer = http.get("/offers/v2", headers=headers).json()["items"][0]
        external_id = f"hostile-\x1b[31m-{uuid.uuid4().hex}"
        body = {"order": {
            "orderItems": [{"offer": {"id": offer["id"], "version": offer["version"]}}],
            "external_id": external_id, "country": "GB", "source": "t", "order_type": "new",
        }}
        stored = sandbox._db.run(lambda tx: tx.counts())
        reply = http.post("/partner/checkout/initiate", json=body, headers=headers)
        assert reply.status_code == 502
        assert sandbox._db.run(lambda tx: tx.counts()) == stored
        assert "order.external_id: must not contain control characters" in reply.json()["message"]
        body["order"]["external_id"] = external_id.replace("\x1b", "")
        assert http.post("/partner/checkout/initiate", json=body, headers=headers).is_success
