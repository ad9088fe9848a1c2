"""A pick goes into the initiate body exactly as its OrderItem model dumps it."""

from __future__ import annotations

import pytest

from tui_app.services.api.models import ItemType
from tui_app.widgets.offer_picks import Pick


@pytest.mark.parametrize("item_type", [ItemType.OFFER, ItemType.ADD_ON, None])
@pytest.mark.parametrize("quantity", [1, 7])
def test_the_json_of_a_pick_is_its_order_item_dumped(item_type, quantity):
    pick = Pick(offer_id="offer-1a2b", version="v-3c4d", quantity=quantity, item_type=item_type,
                name="Digital Monthly")
    assert pick.order_json() == pick.order_item().model_dump(mode="json", exclude_none=True)
