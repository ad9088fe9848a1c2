"""Pydantic models for every schema of the partner checkout contract.

Request models are strict: they refuse what the spec refuses (missing required
fields, values outside an enum, a basket id that breaks the validate pattern)
and a few things no real basket can hold (a quantity below one), so a mistake
is reported field by field *before* anything is sent. Unknown fields are
refused too, which catches typos such as ``orderitems``. Text refuses
control characters (a pasted line break, tab or escape code) and, in ids,
invisible characters, saying which one and where (``text_problem``).

Response models are lenient: real tenants return more than the spec shows,
so extra fields are kept and almost everything is optional. Amounts arrive as
strings (``"17.50"``) on Limio and sometimes as numbers elsewhere; both parse.
"""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)

BASKET_ID_PATTERN = r"^basket-[A-Za-z0-9\-_]{32,36}$"
BASKET_ID_RE = re.compile(BASKET_ID_PATTERN)

NonEmptyStr = Annotated[str, StringConstraints(min_length=1, max_length=2000)]

# Line breaks, tabs, escape codes and other C0/C1 controls (and the Unicode line
# and paragraph separators): the spec would carry them, but in a basket they
# are always a paste accident, and echoed to a terminal they garble the screen.
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Bidi embeddings, overrides and isolates: they make text read in an order
# other than the one it is stored in ("\u202eevil" shows as "live").
_BIDI_CHARS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
CONTROL_MESSAGE = "must not contain control characters (line breaks, tabs, escape codes)"
INVISIBLE_MESSAGE = "must not contain invisible formatting characters"
_CONTROL_NAMES = {
    "\n": "a line break",
    "\r": "a line break",
    "\t": "a tab",
    "\x1b": "an escape",
    "\x00": "a NUL",
    "\x07": "a bell",
}


def _found(char: str, index: int) -> str:
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    what = f"{code} {name}" if name else code
    if char in _CONTROL_NAMES:
        what = f"{_CONTROL_NAMES[char]} ({code})"
    return f"{what} at character {index + 1}"


def text_problem(value: str, *, identifier: bool = False) -> str | None:
    """Why ``value`` cannot go into a request as typed, or None.

    Every string refuses control characters and bidi overrides. An
    ``identifier`` (an external id, an offer hash, a tracking id) refuses
    every invisible format character too (Unicode category Cf: zero-width
    spaces and joiners, byte-order marks, direction marks), because two ids
    that look the same on screen must be the same id. Free text such as
    ``source`` keeps them: emoji sequences and right-to-left text need them.
    """
    control = _CONTROL_CHARS.search(value)
    if control:
        return f"{CONTROL_MESSAGE}: found {_found(control.group(), control.start())}"
    if value.isascii():
        return None  # bidi and format characters all lie outside ASCII
    for index, char in enumerate(value):
        if char < "\x80":
            continue
        if _BIDI_CHARS.match(char) or (identifier and unicodedata.category(char) == "Cf"):
            return f"{INVISIBLE_MESSAGE}: found {_found(char, index)}"
    return None


# Spaces (ordinary, no-break, ideographic …) but none of the controls that
# str.isspace() also counts: those are refused, not trimmed away unseen.
_SPACES = "".join(
    char for char in map(chr, range(0x3001)) if char.isspace() and not _CONTROL_CHARS.match(char)
)


def trim_spaces(text: str) -> str:
    """``text`` without surrounding spaces; a tab or line break stays, for the
    checks to point out."""
    return text.strip(_SPACES)


def _printable(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _identifier(value: str) -> str:
    problem = text_problem(value, identifier=True)
    if problem:
        raise ValueError(problem)
    return value


Printable = Annotated[NonEmptyStr, AfterValidator(_printable)]
Identifier = Annotated[NonEmptyStr, AfterValidator(_identifier)]

BasketId = Annotated[str, StringConstraints(pattern=BASKET_ID_PATTERN)]
Quantity = Annotated[int, Field(ge=1, le=1_000_000)]


class ItemType(StrEnum):
    OFFER = "offer"
    ADD_ON = "add_on"


class OrderType(StrEnum):
    NEW = "new"
    RENEW = "renew"


class ActionType(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    CHANGE_QUANTITY = "change_quantity"


# defer_build: a model's validator is built on its first use rather than at
# import, so starting the app does not pay for models it has not needed yet.
class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, defer_build=True)

    def to_json(self) -> dict[str, Any]:
        """The body as it goes over the wire: no nulls for fields left unset."""
        return self.model_dump(mode="json", exclude_none=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


# --------------------------------------------------------------------------- requests


class OfferPayload(RequestModel):
    """Reference to a published offer: both hashes come from ``GET /offers/v2``."""

    id: Identifier
    version: Identifier


class OrderItem(RequestModel):
    offer: OfferPayload
    quantity: Quantity = 1
    type: ItemType | None = None


class Tracking(RequestModel):
    # Attribution data is open-ended on real tenants; keep what the caller adds.
    model_config = ConfigDict(extra="allow")

    offers: list[Identifier] | None = None
    purchaseCountryCode: Printable | None = None
    accountId: Identifier | None = None
    contactId: Identifier | None = None
    userId: Identifier | None = None


class InitiateOrder(RequestModel):
    orderItems: list[OrderItem]
    external_id: Identifier
    country: Printable
    source: Printable
    order_type: OrderType
    tracking: Tracking | None = None

    @model_validator(mode="after")
    def _types_when_add_ons(self) -> InitiateOrder:
        # The spec: `type` is only required when the basket mixes add-ons and
        # offers. If any item says add_on, every item must say what it is.
        types = [item.type for item in self.orderItems]
        if ItemType.ADD_ON in types and None in types:
            missing = types.index(None)
            raise ValueError(
                f"orderItems[{missing}].type is required when the basket includes add-ons"
            )
        return self


class InitiateCheckout(RequestModel):
    order: InitiateOrder


class OrderAction(RequestModel):
    orderItemActionType: ActionType
    offerId: NonEmptyStr | None = None
    orderItemId: NonEmptyStr | None = None
    quantity: Quantity | None = None

    @model_validator(mode="after")
    def _fields_for_action(self) -> OrderAction:
        kind = self.orderItemActionType
        if kind == ActionType.ADD and not self.offerId:
            raise ValueError("an 'add' action needs offerId")
        if kind in (ActionType.REMOVE, ActionType.CHANGE_QUANTITY) and not self.orderItemId:
            raise ValueError(f"a '{kind}' action needs orderItemId")
        if kind == ActionType.CHANGE_QUANTITY and self.quantity is None:
            raise ValueError("a 'change_quantity' action needs quantity")
        return self

    @classmethod
    def add(cls, offer_id: str, quantity: int | None = None) -> OrderAction:
        return cls(orderItemActionType=ActionType.ADD, offerId=offer_id, quantity=quantity)

    @classmethod
    def remove(cls, order_item_id: str) -> OrderAction:
        return cls(orderItemActionType=ActionType.REMOVE, orderItemId=order_item_id)

    @classmethod
    def change_quantity(cls, order_item_id: str, quantity: int) -> OrderAction:
        return cls(
            orderItemActionType=ActionType.CHANGE_QUANTITY,
            orderItemId=order_item_id,
            quantity=quantity,
        )


class UpdateCheckout(RequestModel):
    orderActions: list[OrderAction]


class ValidatePath(RequestModel):
    """The validate endpoint's only input: the basket id in the path."""

    id: BasketId


def check_basket_id(basket_id: str) -> str:
    """Return the id if it fits the validate pattern, else raise ValidationError."""
    return ValidatePath(id=basket_id).id


# --------------------------------------------------------------------------- responses

def _none_if_malformed(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # A detail the spec does not promise (a price, a name) that arrives in an
    # odd shape reads as unknown instead of failing the whole reply.
    try:
        return handler(value)
    except ValidationError:
        return None


def _empty_if_malformed(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler([] if value is None else value)
    except ValidationError:
        return []


Soft = WrapValidator(_none_if_malformed)
SoftList = WrapValidator(_empty_if_malformed)
Amount = Annotated[str | int | float | None, Soft]
Text = Annotated[str | None, Soft]
Number = Annotated[int | float | None, Soft]


def to_decimal(value: Amount) -> Decimal | None:
    """Amounts come as "17.50" or 17.5; anything else reads as unknown."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


class Money(ResponseModel):
    amount: Amount = None
    currency: Text = None
    summary: Text = None

    @property
    def value(self) -> Decimal | None:
        return to_decimal(self.amount)


class OfferRef(ResponseModel):
    id: Text = None
    version: Text = None
    name: Text = None
    path: Text = None


class BasketItem(ResponseModel):
    """An order item as a tenant returns it."""

    id: Text = None
    quantity: Number = None
    type: Text = None
    offer: Annotated[OfferRef | None, Soft] = None
    price: Annotated[Money | None, Soft] = None
    lineTotal: Annotated[Money | None, Soft] = None
    addOns: Annotated[list[Any], SoftList] = Field(default_factory=list)
    products: Annotated[list[Any], SoftList] = Field(default_factory=list)

    @property
    def line_total(self) -> Decimal | None:
        if self.lineTotal is not None and self.lineTotal.value is not None:
            return self.lineTotal.value
        unit = self.price.value if self.price else None
        if unit is None or self.quantity is None:
            return None
        return unit * Decimal(str(self.quantity))


class Order(ResponseModel):
    """A basket's order: items, where it is sold, and what it costs."""

    orderItems: list[BasketItem] = Field(default_factory=list)
    checkoutId: Text = None
    external_id: Text = None
    country: Text = None
    source: Text = None
    order_type: Text = None
    tracking: Annotated[dict[str, Any] | None, Soft] = None
    currency: Text = None
    orderSubtotal: Amount = None
    orderTotal: Amount = None
    total: Annotated[Money | None, Soft] = None

    @field_validator("orderItems", mode="before")
    @classmethod
    def _null_items(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def total_amount(self) -> Decimal | None:
        for candidate in (self.total.amount if self.total else None, self.orderTotal):
            parsed = to_decimal(candidate)
            if parsed is not None:
                return parsed
        return None

    @property
    def total_currency(self) -> str | None:
        if self.total and self.total.currency:
            return self.total.currency
        return self.currency


class InitiateResponse(ResponseModel):
    id: str
    order: Order
    assistedCheckoutLink: Text = None
    expiresAt: Text = None


class OrderActionResult(ResponseModel):
    id: Text = None
    actionType: Text = None


class UpdateResponse(ResponseModel):
    id: str
    order: Order
    orderActionResults: list[OrderActionResult]


class ValidationProblem(ResponseModel):
    """One entry of ``invalid.validationErrors`` (the sandbox's documented field
    for problems that are not blocked products)."""

    code: Text = None
    message: Text = None
    orderItemId: Text = None
    offerId: Text = None


def _name_of(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("id", "offerId", "path", "name"):
            if isinstance(item.get(key), str):
                return item[key]
    return json.dumps(item, sort_keys=True, default=str)


class Invalid(ResponseModel):
    blockedProducts: list[str] = Field(default_factory=list)
    validationErrors: list[ValidationProblem] = Field(default_factory=list)

    @field_validator("blockedProducts", mode="before")
    @classmethod
    def _blocked_as_text(cls, value: Any) -> Any:
        # The spec says strings; a tenant that sends objects still has blocked
        # products, so name them rather than let the basket look valid.
        if value is None:
            return []
        if not isinstance(value, list):
            return value
        return [_name_of(item) for item in value]

    @field_validator("validationErrors", mode="before")
    @classmethod
    def _problems(cls, value: Any) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            return value
        return [{"message": item} if isinstance(item, str) else item for item in value]

    @property
    def is_empty(self) -> bool:
        return not self.blockedProducts and not self.validationErrors


class Checkout(Order):
    """Validate's ``checkout``: the current basket state."""

    id: Text = None
    expiresAt: Text = None


class ValidateResponse(ResponseModel):
    id: str
    checkout: Checkout
    invalid: Invalid = Field(default_factory=Invalid)

    @field_validator("invalid", mode="before")
    @classmethod
    def _null_invalid(cls, value: Any) -> Any:
        return {} if value is None else value

    @property
    def is_valid(self) -> bool:
        return self.invalid.is_empty


class ErrorBody(ResponseModel):
    """The ``{message}`` body of 401 and 502 replies."""

    message: Text = None


class TokenReply(ResponseModel):
    access_token: NonEmptyStr
    token_type: str | None = "Bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: Number = None


# --------------------------------------------------------------------------- catalogue


class CataloguePrice(ResponseModel):
    name: Text = None
    label: Text = None
    value: Amount = None
    currencyCode: Text = None
    type: Text = None
    repeat_interval: Annotated[int | str | None, Soft] = None
    repeat_interval_type: Text = None

    @property
    def amount(self) -> Decimal | None:
        return to_decimal(self.value)


class QuantityOptions(ResponseModel):
    quantity: Annotated[int | None, Soft] = None
    minimum_quantity: Annotated[int | None, Soft] = None
    maximum_quantity: Annotated[int | None, Soft] = None
    increment: Annotated[int | None, Soft] = None

    def problem_with(self, quantity: int) -> str | None:
        """Why the offer refuses this quantity, or None if it accepts it."""
        low, high = self.minimum_quantity, self.maximum_quantity
        if low is not None and quantity < low:
            return f"at least {low}"
        if high is not None and quantity > high:
            return f"at most {high}"
        step = self.increment or 1
        if step > 1 and (quantity - (low or 0)) % step:
            return f"in steps of {step} from {low or 0}"
        return None


class CatalogueLink(ResponseModel):
    id: Text = None
    path: Text = None
    label: Text = None


class CrossSellAddOns(ResponseModel):
    item_type: Text = None
    items: Annotated[list[CatalogueLink], SoftList] = Field(default_factory=list)


class OfferAttributes(ResponseModel):
    price__limio: Annotated[list[CataloguePrice], SoftList] = Field(default_factory=list)
    allowed_countries__limio: Annotated[list[str], SoftList] = Field(default_factory=list)
    term__limio: Text = None
    label__limio: Text = None
    group__limio: Text = None
    payment_types__limio: Annotated[list[str], SoftList] = Field(default_factory=list)
    default_quantity_options__limio: Annotated[QuantityOptions | None, Soft] = None
    cross_sell_addons__limio: Annotated[CrossSellAddOns | None, Soft] = None
    upgrade_offers__limio: Annotated[list[CatalogueLink], SoftList] = Field(default_factory=list)
    downgrade_offers__limio: Annotated[list[CatalogueLink], SoftList] = Field(default_factory=list)


class ProductAttributes(ResponseModel):
    display_name__limio: Text = None
    product_code__limio: Text = None


class CatalogueProduct(ResponseModel):
    path: Text = None
    attributes: Annotated[ProductAttributes | None, Soft] = None


class OfferData(ResponseModel):
    products: Annotated[list[CatalogueProduct], SoftList] = Field(default_factory=list)
    attributes: OfferAttributes = Field(default_factory=OfferAttributes)


class CatalogueOffer(ResponseModel):
    """One item of ``GET /offers/v2``: an offer or an add-on."""

    id: str
    version: Text = None
    name: Text = None
    path: Text = None
    record_type: Text = None
    tags: Annotated[list[str], SoftList] = Field(default_factory=list)
    data: OfferData = Field(default_factory=OfferData)

    @property
    def is_add_on(self) -> bool:
        return self.record_type == "add_on" or (self.path or "").startswith("/add_ons/")

    @property
    def item_type(self) -> ItemType:
        return ItemType.ADD_ON if self.is_add_on else ItemType.OFFER

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return (self.path or self.id).rsplit("/", 1)[-1]

    @property
    def quantity_options(self) -> QuantityOptions:
        return self.data.attributes.default_quantity_options__limio or QuantityOptions()

    @property
    def prices(self) -> list[CataloguePrice]:
        return self.data.attributes.price__limio

    @property
    def countries(self) -> list[str]:
        return self.data.attributes.allowed_countries__limio


class CatalogueHeader(ResponseModel):
    commitId: Text = None


class QueryMore(ResponseModel):
    from_: int | str | None = Field(default=None, alias="from")
    alias: Text = None


class OffersPage(ResponseModel):
    hits: Annotated[int | None, Soft] = None
    header: Annotated[CatalogueHeader | None, Soft] = None
    items: list[CatalogueOffer] = Field(default_factory=list)
    queryMore: Annotated[QueryMore | None, Soft] = None


# --------------------------------------------------------------------------- messages


def describe_validation_error(error: ValidationError, prefix: str = "") -> list[str]:
    """Turn a pydantic error into one plain line per field: ``where: what``."""
    lines = []
    for detail in error.errors(include_url=False):
        where = format_location(detail.get("loc", ()), prefix)
        message = detail.get("msg", "invalid")
        message = message.removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return lines


def format_location(loc: tuple[Any, ...] | list[Any], prefix: str = "") -> str:
    """("order", "orderItems", 0, "offer") -> "order.orderItems[0].offer"."""
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "json-or-python")):
            continue  # pydantic's internal validator names mean nothing to a user
        else:
            text += f".{part}" if text else str(part)
    return text
