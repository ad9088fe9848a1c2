"""The published catalogue (``GET /offers/v2``): offers, prices, quantity
limits, add-ons and paging."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import (
    Field,
)

from tui_app.services.api.models.common import (
    Amount,
    ItemType,
    ResponseModel,
    Soft,
    SoftList,
    Text,
    to_decimal,
)

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
