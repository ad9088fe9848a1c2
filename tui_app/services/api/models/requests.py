"""Request bodies, strict: a mistake is reported field by field before anything
is sent."""

from __future__ import annotations

from pydantic import (
    ConfigDict,
    model_validator,
)

from tui_app.services.api.models.common import (
    ActionType,
    BasketId,
    Identifier,
    ItemType,
    NonEmptyStr,
    OrderType,
    Printable,
    Quantity,
    RequestModel,
)

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
