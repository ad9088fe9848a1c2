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

from tui_app.services.api.models.catalogue import (
    CatalogueOffer,
    CataloguePrice,
    OffersPage,
    QuantityOptions,
)
from tui_app.services.api.models.common import (
    BASKET_ID_RE,
    MAX_QUANTITY,
    ItemType,
    OrderType,
    describe_validation_error,
    format_location,
    text_problem,
    to_decimal,
    trim_spaces,
)
from tui_app.services.api.models.replies import (
    BasketItem,
    InitiateResponse,
    Order,
    TokenReply,
    UpdateResponse,
    ValidateResponse,
    ValidationProblem,
)
from tui_app.services.api.models.requests import (
    InitiateCheckout,
    InitiateOrder,
    OfferPayload,
    OrderAction,
    OrderItem,
    UpdateCheckout,
    check_basket_id,
)

__all__ = [
    "BASKET_ID_RE",
    "MAX_QUANTITY",
    "BasketItem",
    "CatalogueOffer",
    "CataloguePrice",
    "InitiateCheckout",
    "InitiateOrder",
    "InitiateResponse",
    "ItemType",
    "OfferPayload",
    "OffersPage",
    "Order",
    "OrderAction",
    "OrderItem",
    "OrderType",
    "QuantityOptions",
    "TokenReply",
    "UpdateCheckout",
    "UpdateResponse",
    "ValidateResponse",
    "ValidationProblem",
    "check_basket_id",
    "describe_validation_error",
    "format_location",
    "text_problem",
    "to_decimal",
    "trim_spaces",
]
