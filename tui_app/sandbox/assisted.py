"""Assisted checkout: the owner value that makes a link the key to a basket,
and the page the link opens.

A basket initiated with ``tracking.accountId`` gets an owner, and its link
``/shop/assisted/{id}?owner=...`` opens the basket without logging in. The
owner is an HMAC of the organisation and account id under a random key of
the database: without the key it cannot be computed from ids a caller may
know, and with a file database it stays the same across restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import html
from decimal import Decimal
from typing import Any

from tui_app.sandbox import rules
from tui_app.sandbox.db import Basket, Database, Transaction

OWNER_KEY = "owner_key"  # its name in the database's meta table


class Owners:
    """Computes and checks owner values with the database's owner key."""

    def __init__(self, db: Database) -> None:
        self._key = db.run(self._load)

    def _load(self, tx: Transaction) -> bytes:
        key, made = tx.secret(OWNER_KEY)
        if made:
            # Owners stored before there was a key were unkeyed hashes anyone
            # could compute: derive them again, from the account id kept in tracking.
            for basket_id, org_id, tracking in tx.owned_baskets():
                account_id = tracking.get("accountId")
                owner = _owner(key, org_id, account_id) if isinstance(account_id, str) else None
                tx.set_owner(basket_id, owner)
        return key

    def owner(self, org_id: str, account_id: str) -> str:
        return _owner(self._key, org_id, account_id)

    @staticmethod
    def matches(basket: Basket, given: str | None) -> bool:
        """True if ``given`` is the basket's owner (compared in constant time)."""
        return bool(basket.owner and given) and hmac.compare_digest(
            basket.owner.encode(), (given or "").encode()
        )


def _owner(key: bytes, org_id: str, account_id: str) -> str:
    # 128 bits: the link is the only key to the page.
    message = f"{org_id}\n{account_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def page(basket: Basket, order: dict[str, Any], org_name: str) -> str:
    """The HTML of the assisted-checkout page (everything shown is escaped)."""
    e = html.escape
    rows = []
    for line in order["orderItems"]:
        price = line["price"] or {}
        total = line["lineTotal"] or {}
        rows.append(
            "<tr>"
            f"<td>{e(str(line['offer'].get('name') or line['offer']['id']))}</td>"
            f"<td>{e(str(line['quantity']))}</td>"
            f"<td>{e(str(price.get('summary', '')))}</td>"
            f"<td>{e(money(total))}</td>"
            "</tr>"
        )
    total = order["total"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Assisted checkout</title>
<style>body{{font-family:sans-serif;margin:2rem}}
td,th{{padding:.3rem .8rem;text-align:left}}</style>
</head><body>
<h1>Assisted checkout</h1>
<p>Prepared by {e(org_name)} for order {e(basket.external_id)} ({e(basket.country)}).</p>
<table><thead><tr><th>Item</th><th>Quantity</th><th>Price</th><th>Line total</th></tr></thead>
<tbody>{"".join(rows)}</tbody>
<tfoot><tr><th colspan="3">Total</th>
<td>{e(money(total))}</td></tr></tfoot></table>
<p>basket-builder sandbox: nothing can be bought here.</p>
</body></html>
"""


def money(value: dict[str, Any]) -> str:
    if not value or value.get("amount") is None:
        return ""
    return rules.money_text(Decimal(value["amount"]), value.get("currency"))
