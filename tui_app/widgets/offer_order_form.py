"""The order half of an initiate: external id, country, source, order type
and the optional tracking block, each with its reason shown beside it.

``build_initiate`` is the one place the body is put together and checked
(with ``InitiateCheckout``); it never raises, it names what is wrong."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Button, Collapsible, Input, Label, Select, Static

from tui_app.formatting import shown
from tui_app.services.api.countries import CountryError, country_name, parse_country, suggestions
from tui_app.services.api.models import (
    InitiateCheckout,
    OrderItem,
    OrderType,
    describe_validation_error,
    trim_spaces,
)
from tui_app.services.workspace import new_external_id
from tui_app.widgets.plain_input import PlainInput
from tui_app.widgets.put import put

DEFAULT_COUNTRY = "GB"
DEFAULT_SOURCE = "basket-builder"

# Where a problem is shown: the key of a field's note.
FIELDS = ("items", "external_id", "country", "source", "order_type", "tracking")
FIELD_NAMES = {
    "items": "items",
    "external_id": "external id",
    "country": "country",
    "source": "source",
    "order_type": "order type",
    "tracking": "tracking",
}
TRACKING_INPUTS = {
    "accountId": "Account id",
    "contactId": "Contact id",
    "userId": "User id",
    "offers": "Offers",
    "purchaseCountryCode": "Purchase in",
}
# How a tracking field is named in a message (the labels are too terse).
TRACKING_NAMES = {
    "accountId": "account id",
    "contactId": "contact id",
    "userId": "user id",
    "offers": "offers",
    "purchaseCountryCode": "purchase country",
}


@dataclass
class OrderValues:
    """What the form holds, as typed."""

    external_id: str = ""
    country: str = DEFAULT_COUNTRY
    source: str = DEFAULT_SOURCE
    order_type: str = OrderType.NEW.value
    tracking: dict[str, str] = field(default_factory=dict)


@dataclass
class Checked:
    body: InitiateCheckout | None
    problems: dict[str, list[str]]

    def lines(self) -> list[str]:
        return [
            f"{FIELD_NAMES[key]}: {reason}"
            for key in FIELDS
            for reason in self.problems.get(key, [])
        ]


def _field_of(line: str) -> tuple[str, str]:
    """'order.tracking.accountId: ...' -> ('tracking', 'accountId: ...')."""
    where, _, message = line.partition(": ")
    if not message:
        return "items", line
    parts = [p for p in re.split(r"[.\[]", where) if p and not p.endswith("]")]
    if parts[:1] == ["order"]:
        parts = parts[1:]
    if not parts:
        # a rule across the whole order, such as item types when add-ons are mixed in
        return "items", message
    key = {"orderItems": "items"}.get(parts[0], parts[0])
    if key not in FIELD_NAMES:
        return "items", f"{where}: {message}"
    detail = where.split(parts[0], 1)[1].lstrip(".")
    if key == "tracking" and len(parts) > 1 and parts[1] in TRACKING_NAMES:
        # "offers[1]" -> "offers, item 2"; "accountId" -> "account id"
        item = re.search(r"\[(\d+)\]", detail)
        detail = TRACKING_NAMES[parts[1]] + (f", item {int(item.group(1)) + 1}" if item else "")
    return key, f"{detail}: {message}" if detail else message


def build_initiate(items: Sequence[OrderItem | dict[str, Any]], values: OrderValues) -> Checked:
    """The initiate body for these items and form values, or why there is none."""
    problems: dict[str, list[str]] = {}

    def problem(key: str, reason: str) -> None:
        problems.setdefault(key, []).append(reason)

    if not items:
        problem("items", "add at least one item to the list")
    for key in ("external_id", "source"):
        if not trim_spaces(getattr(values, key)):
            problem(key, "required")
    country = trim_spaces(values.country)
    try:
        country = parse_country(values.country)
    except CountryError as exc:
        problem("country", str(exc))
    tracking: dict[str, Any] = {}
    for key, text in values.tracking.items():
        text = trim_spaces(text)
        if not text:
            continue
        if key == "offers":
            tracking[key] = [trim_spaces(part) for part in text.split(",") if trim_spaces(part)]
        elif key == "purchaseCountryCode":
            try:
                tracking[key] = parse_country(text)
            except CountryError as exc:
                problem("tracking", f"{TRACKING_NAMES[key]}: {exc}")
        else:
            tracking[key] = text
    order: dict[str, Any] = {
        "orderItems": list(items),
        "external_id": trim_spaces(values.external_id),
        "country": country,
        "source": trim_spaces(values.source),
        "order_type": values.order_type,
    }
    if tracking:
        order["tracking"] = tracking
    body = None
    try:
        body = InitiateCheckout.model_validate({"order": order})
    except ValidationError as exc:
        for line in describe_validation_error(exc):
            key, reason = _field_of(line)
            # Our own reason says it better, except under tracking, where
            # ours is only about the purchase country and the rest still count.
            if key not in problems or key == "tracking":
                problem(key, reason)
    return Checked(None if problems else body, problems)


def _row(label: str, *widgets: Any, note: str) -> Iterator[Any]:
    with Horizontal(classes="row"):
        yield Label(label, classes="label")
        yield from widgets
    yield Static("", id=f"{note}-note", classes="note")


class OrderForm(Vertical):
    """Fields of the order; ``values()`` reads them, ``show_problems`` marks them."""

    DEFAULT_CSS = """
    OrderForm { height: auto; }
    OrderForm .row { height: auto; }
    OrderForm .label { width: 12; padding-right: 1; }
    OrderForm Input { width: 1fr; }
    OrderForm Select { width: 1fr; }
    OrderForm Button { min-width: 10; margin-left: 1; }
    OrderForm .note { display: none; height: auto; padding-left: 12; color: $text-muted; }
    OrderForm .note.filled { display: block; }
    OrderForm .note.problem { color: $text-error; }
    OrderForm Input.problem { border-left: outer $error; }
    OrderForm Collapsible { padding: 0; margin: 0; border: none; }
    OrderForm Collapsible Contents { padding: 0 0 0 1; }
    """

    def compose(self) -> ComposeResult:
        country_suggester = SuggestFromList(suggestions(), case_sensitive=False)
        self._country_suggester = country_suggester
        yield from _row(
            "External id",
            PlainInput(self._fresh_external_id(), id="external-id", compact=True),
            Button("New id", id="new-external-id", compact=True),
            note="external_id",
        )
        yield from _row(
            "Country",
            PlainInput(
                DEFAULT_COUNTRY,
                id="country",
                placeholder="GB",
                suggester=country_suggester,
                compact=True,
            ),
            note="country",
        )
        yield from _row(
            "Source", PlainInput(DEFAULT_SOURCE, id="source", compact=True), note="source"
        )
        yield from _row(
            "Order type",
            Select(
                [(kind.value, kind.value) for kind in OrderType],
                value=OrderType.NEW.value,
                allow_blank=False,
                id="order-type",
                compact=True,
            ),
            note="order_type",
        )
        # Its fields are mounted by mount_tracking, once the rest of the pane is.
        yield Collapsible(title="Tracking (optional)", collapsed=True, id="tracking")
        yield Static("", id="tracking-note", classes="note")

    def on_mount(self) -> None:
        self.describe_country()

    async def mount_tracking(self) -> None:
        """The tracking fields, folded away at first: mounted last, so that the
        fields in view are there sooner (the order pane mounts in steps)."""
        rows = []
        for key, label in TRACKING_INPUTS.items():
            placeholder = {
                "offers": "offer ids, comma-separated",
                "accountId": "gives an assisted checkout link",
                "purchaseCountryCode": "country code, e.g. GB",
            }.get(key, "")
            field = PlainInput(
                id=f"tracking-{key}",
                placeholder=placeholder,
                compact=True,
                suggester=self._country_suggester if key == "purchaseCountryCode" else None,
            )
            rows.append(Horizontal(Label(label, classes="label"), field, classes="row"))
        await self.query_one(Collapsible.Contents).mount_all(rows)

    # ------------------------------------------------------------- reading

    def values(self) -> OrderValues:
        select = self.query_one("#order-type", Select)
        return OrderValues(
            external_id=self.query_one("#external-id", Input).value,
            country=self.query_one("#country", Input).value,
            source=self.query_one("#source", Input).value,
            order_type=str(select.value),
            tracking={
                key: self.query_one(f"#tracking-{key}", Input).value for key in TRACKING_INPUTS
            },
        )

    def _fresh_external_id(self) -> str:
        # From the workspace, so demos and snapshots can make ids repeatable.
        workspace = getattr(self.app, "workspace", None)
        return workspace.next_external_id() if workspace else new_external_id()

    def new_external_id(self) -> str:
        value = self._fresh_external_id()
        self.query_one("#external-id", Input).value = value
        self.set_note("external_id", [])
        return value

    # ------------------------------------------------------------- notes

    def set_note(self, key: str, problems: list[str], hint: str = "") -> None:
        note = self.query_one(f"#{key}-note", Static)
        # Text, not markup: a reason quotes what was typed, and "[/]" typed
        # into a field must show as typed, not be read as a style tag.
        if problems:
            put(note, Text("\n".join(f"✗ {shown(reason)}" for reason in problems)))
        else:
            put(note, Text(shown(hint)))
        note.set_class(bool(problems), "problem")
        note.set_class(bool(problems or hint), "filled")
        target = {"external_id": "#external-id", "country": "#country", "source": "#source"}
        if key in target:
            self.query_one(target[key], Input).set_class(bool(problems), "problem")
        if key == "tracking":
            for name, title in TRACKING_NAMES.items():
                wrong = any(reason.startswith(f"{title}") for reason in problems)
                self.query_one(f"#tracking-{name}", Input).set_class(wrong, "problem")

    def show_problems(self, problems: dict[str, list[str]]) -> None:
        for key in FIELDS:
            if key == "items":
                continue  # the pick list shows its own
            if key == "country" and key not in problems:
                self.describe_country()
            else:
                self.set_note(key, problems.get(key, []))
        if problems.get("tracking"):
            self.query_one(Collapsible).collapsed = False
        # The first problem's note in view (at 80×24 the form is below the fold).
        first = next((key for key in FIELDS if key != "items" and problems.get(key)), None)
        if first is not None:
            note = self.query_one(f"#{first}-note", Static)
            self.call_after_refresh(note.scroll_visible, animate=False)

    def describe_country(self) -> None:
        """Say which country the code is, or why it is not one, as it is typed."""
        try:
            code = parse_country(self.query_one("#country", Input).value)
        except CountryError as exc:
            self.set_note("country", [str(exc)])
        else:
            self.set_note("country", [], f"✓ {code} — {country_name(code)}")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "country":
            self.describe_country()
        elif event.input.id in ("external-id", "source"):
            key = event.input.id.replace("-", "_")
            self.set_note(key, [])
        elif (event.input.id or "").startswith("tracking-"):
            event.input.remove_class("problem")  # the note stays until the next try

    def on_input_blurred(self, event: Input.Blurred) -> None:
        # An accepted suggestion ("DE — Germany") settles to the code itself.
        if event.input.id in ("country", "tracking-purchaseCountryCode"):
            try:
                code = parse_country(event.input.value)
            except CountryError:
                return  # keep what was typed; the note says what is wrong
            event.input.value = code

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "new-external-id":
            event.stop()
            self.new_external_id()
