"""SQLite storage for the sandbox: signing key, partner organisations, baskets.

One connection serves every thread, guarded by a lock, and every mutation is a
single ``BEGIN IMMEDIATE`` transaction: a request's changes land completely or
not at all, and concurrent requests on one basket are applied one after the
other, each exactly once.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orgs (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    client_id     TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL,
    demo_token    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS baskets (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id),
    external_id TEXT NOT NULL,
    country     TEXT NOT NULL,
    source      TEXT NOT NULL,
    order_type  TEXT NOT NULL,
    tracking    TEXT,
    owner       TEXT,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    UNIQUE (org_id, external_id)
);
CREATE TABLE IF NOT EXISTS items (
    id            TEXT PRIMARY KEY,
    basket_id     TEXT NOT NULL REFERENCES baskets(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    offer_id      TEXT NOT NULL,
    offer_version TEXT NOT NULL,
    type          TEXT NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity >= 1),
    UNIQUE (basket_id, position)
);
"""

T = TypeVar("T")


class DatabaseError(Exception):
    """The sandbox database cannot be opened or has an unexpected shape."""


@dataclass(frozen=True)
class Org:
    """A demo partner organisation and its credentials."""

    id: str
    name: str
    client_id: str
    client_secret: str
    demo_token: str

    def __repr__(self) -> str:
        # Keep secrets out of tracebacks and logs that print the object.
        return f"Org(id={self.id!r}, name={self.name!r}, client_id={self.client_id!r})"


@dataclass(frozen=True)
class Basket:
    id: str
    org_id: str
    external_id: str
    country: str
    source: str
    order_type: str
    tracking: dict[str, Any] | None
    owner: str | None
    created_ms: int
    expires_ms: int


@dataclass(frozen=True)
class Item:
    id: str
    offer_id: str
    offer_version: str
    type: str
    quantity: int

    def with_quantity(self, quantity: int) -> Item:
        return replace(self, quantity=quantity)


class Database:
    """The sandbox's store. ``path=None`` keeps everything in memory."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                # The file holds the signing key and client secrets: owner only.
                os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
                os.chmod(path, 0o600)
            self._conn = sqlite3.connect(
                ":memory:" if path is None else str(path),
                check_same_thread=False,
                isolation_level=None,  # transactions are opened explicitly below
            )
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseError(f"cannot open the sandbox database at {path}: {exc}") from exc
        try:
            self._setup()
        except sqlite3.Error as exc:
            self._conn.close()
            raise DatabaseError(f"cannot use the sandbox database at {path}: {exc}") from exc

    def _setup(self) -> None:
        conn = self._conn
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 5000")
        if self.path is not None:
            conn.execute("PRAGMA journal_mode = WAL")
        with self.transaction() as tx:
            tx.executescript_statements(_SCHEMA)
            found = tx.get_meta("schema_version")
            if found is None:
                tx.set_meta("schema_version", str(SCHEMA_VERSION))
            elif found != str(SCHEMA_VERSION):
                raise DatabaseError(
                    f"the sandbox database at {self.path} has schema version {found}; "
                    f"this sandbox needs version {SCHEMA_VERSION} (delete the file to start over)"
                )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the lock and one write transaction; roll back on any exception."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def run(self, work: Callable[[Transaction], T]) -> T:
        with self.transaction() as tx:
            return work(tx)


class Transaction:
    """The queries, all run inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def executescript_statements(self, script: str) -> None:
        # executescript() would COMMIT first; run the statements one by one instead.
        for statement in script.split(";"):
            if statement.strip():
                self._conn.execute(statement)

    def counts(self) -> tuple[int, int]:
        """(baskets, items): what a refused request must leave unchanged."""
        baskets = self._conn.execute("SELECT COUNT(*) FROM baskets").fetchone()[0]
        items = self._conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        return baskets, items

    # ------------------------------------------------------------------ meta

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def secret(self, key: str, size: int = 32) -> tuple[bytes, bool]:
        """A random secret of this database, made on first use: (secret, just made)."""
        stored = self.get_meta(key)
        if stored is not None:
            return bytes.fromhex(stored), False
        made = secrets.token_bytes(size)
        self.set_meta(key, made.hex())
        return made, True

    # ------------------------------------------------------------------ orgs

    def list_orgs(self) -> list[Org]:
        rows = self._conn.execute(
            "SELECT id, name, client_id, client_secret, demo_token FROM orgs ORDER BY rowid"
        ).fetchall()
        return [Org(*row) for row in rows]

    def get_org(self, org_id: str) -> Org | None:
        row = self._conn.execute(
            "SELECT id, name, client_id, client_secret, demo_token FROM orgs WHERE id = ?",
            (org_id,),
        ).fetchone()
        return None if row is None else Org(*row)

    def org_by_client_id(self, client_id: str) -> Org | None:
        row = self._conn.execute(
            "SELECT id, name, client_id, client_secret, demo_token FROM orgs WHERE client_id = ?",
            (client_id,),
        ).fetchone()
        return None if row is None else Org(*row)

    def insert_org(self, org: Org) -> None:
        self._conn.execute(
            "INSERT INTO orgs (id, name, client_id, client_secret, demo_token) "
            "VALUES (?, ?, ?, ?, ?)",
            (org.id, org.name, org.client_id, org.client_secret, org.demo_token),
        )

    def set_demo_token(self, org_id: str, token: str) -> None:
        self._conn.execute("UPDATE orgs SET demo_token = ? WHERE id = ?", (token, org_id))

    # ------------------------------------------------------------------ baskets

    _BASKET_COLUMNS = (
        "id, org_id, external_id, country, source, order_type, tracking, owner, "
        "created_ms, expires_ms"
    )

    def _basket(self, row: tuple[Any, ...] | None) -> Basket | None:
        if row is None:
            return None
        values = list(row)
        values[6] = None if values[6] is None else json.loads(values[6])
        return Basket(*values)

    def get_basket(self, basket_id: str) -> Basket | None:
        row = self._conn.execute(
            f"SELECT {self._BASKET_COLUMNS} FROM baskets WHERE id = ?",  # noqa: S608
            (basket_id,),
        ).fetchone()
        return self._basket(row)

    def basket_by_external_id(self, org_id: str, external_id: str) -> Basket | None:
        row = self._conn.execute(
            f"SELECT {self._BASKET_COLUMNS} FROM baskets "  # noqa: S608
            "WHERE org_id = ? AND external_id = ?",
            (org_id, external_id),
        ).fetchone()
        return self._basket(row)

    def delete_basket(self, basket_id: str) -> None:
        self._conn.execute("DELETE FROM baskets WHERE id = ?", (basket_id,))

    def basket_exists(self, basket_id: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM baskets WHERE id = ?", (basket_id,)).fetchone()
        return row is not None

    def insert_basket(self, basket: Basket) -> None:
        """Store a new basket; an id already taken is an error, never an overwrite."""
        tracking = None if basket.tracking is None else json.dumps(basket.tracking)
        self._conn.execute(
            f"INSERT INTO baskets ({self._BASKET_COLUMNS}) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                basket.id,
                basket.org_id,
                basket.external_id,
                basket.country,
                basket.source,
                basket.order_type,
                tracking,
                basket.owner,
                basket.created_ms,
                basket.expires_ms,
            ),
        )

    def update_basket(self, basket: Basket) -> None:
        """Replace what an initiate may change, in that organisation's basket only."""
        tracking = None if basket.tracking is None else json.dumps(basket.tracking)
        changed = self._conn.execute(
            "UPDATE baskets SET country = ?, source = ?, order_type = ?, tracking = ?, "
            "owner = ? WHERE id = ? AND org_id = ?",
            (
                basket.country,
                basket.source,
                basket.order_type,
                tracking,
                basket.owner,
                basket.id,
                basket.org_id,
            ),
        ).rowcount
        if changed != 1:
            raise sqlite3.IntegrityError(f"no basket {basket.id} of {basket.org_id} to update")

    def owned_baskets(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, org id, tracking) of every basket with an owner."""
        rows = self._conn.execute(
            "SELECT id, org_id, tracking FROM baskets WHERE owner IS NOT NULL"
        ).fetchall()
        return [(row[0], row[1], json.loads(row[2] or "{}")) for row in rows]

    def set_owner(self, basket_id: str, owner: str | None) -> None:
        self._conn.execute("UPDATE baskets SET owner = ? WHERE id = ?", (owner, basket_id))

    def item_exists(self, item_id: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone()
        return row is not None

    def get_items(self, basket_id: str) -> list[Item]:
        rows = self._conn.execute(
            "SELECT id, offer_id, offer_version, type, quantity FROM items "
            "WHERE basket_id = ? ORDER BY position",
            (basket_id,),
        ).fetchall()
        return [Item(*row) for row in rows]

    def replace_items(self, basket_id: str, items: list[Item]) -> None:
        self._conn.execute("DELETE FROM items WHERE basket_id = ?", (basket_id,))
        self._conn.executemany(
            "INSERT INTO items (id, basket_id, position, offer_id, offer_version, type, quantity) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    item.id,
                    basket_id,
                    position,
                    item.offer_id,
                    item.offer_version,
                    item.type,
                    item.quantity,
                )
                for position, item in enumerate(items)
            ],
        )
