"""Basket and item ids: never one already stored.

Ids are random UUIDs, or, with a seed, drawn from a seeded generator so that a
fresh sandbox gives the same ids run after run (screenshots, scripted demos).
A seeded generator restarted on a database that outlived the last run draws
the same ids again, so every id is checked against the store and drawn again
if taken: a seeded run on a fresh database keeps its repeatable ids, and a
persistent one never hands out, or overwrites, a basket it already holds.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Container

from tui_app.sandbox.db import Transaction

BASKET_PREFIX = "basket-"


class IdSource:
    def __init__(self, seed: int | None = None) -> None:
        self._random = None if seed is None else random.Random(seed)
        self._lock = threading.Lock()  # one draw sequence, whatever the concurrency

    def _draw(self) -> str:
        if self._random is None:
            return str(uuid.uuid4())
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def basket_id(self, tx: Transaction) -> str:
        """An id no stored basket has (call inside the transaction that stores it)."""
        while True:
            candidate = f"{BASKET_PREFIX}{self._draw()}"
            if not tx.basket_exists(candidate):
                return candidate

    def item_id(self, tx: Transaction, taken: Container[str] = ()) -> str:
        """An id no stored item has, nor any in ``taken`` (ids drawn for the same request)."""
        while True:
            candidate = self._draw()
            if candidate not in taken and not tx.item_exists(candidate):
                return candidate
