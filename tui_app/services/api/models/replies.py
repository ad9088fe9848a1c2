"""Replies of initiate, update, validate and the token endpoint, lenient: extra
fields are kept and an odd optional detail reads as unknown."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    Field,
    field_validator,
)

from tui_app.services.api.models.common import (
    Amount,
    NonEmptyStr,
    Number,
    ResponseModel,
    Soft,
    SoftList,
    Text,
    to_decimal,
)

# --------------------------------------------------------------------------- responses

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
