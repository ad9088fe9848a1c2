"""A pick goes into the initiate body exactly as an OrderItem made of it dumps."""

from __future__ import annotations

import pytest

from tui_app.services.api.models import ItemType, OfferPayload, OrderItem
from tui_app.widgets.offer_picks import Pick


@pytest.mark.parametrize("item_type", [ItemType.OFFER, ItemType.ADD_ON, None])
@pytest.mark.parametrize("quantity", [1, 7])
def test_the_json_of_a_pick_is_its_order_item_dumped(item_type, quantity):
    pick = Pick(offer_id="offer-1a2b", version="v-3c4d", quantity=quantity, item_type=item_type,
                name="Digital Monthly")
    item = OrderItem(offer=OfferPayload(id=pick.offer_id, version=pick.version),
                     quantity=pick.quantity, type=pick.item_type)
    assert pick.order_json() == item.model_dump(mode="json", exclude_none=True)
