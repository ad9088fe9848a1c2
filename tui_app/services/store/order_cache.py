"""The last order the server confirmed for each remembered basket, one file each.

Orders live beside the session rather than in ``session.json`` so that saving
the session after every change stays small and quick however big a basket
grows: a change rewrites one basket's file, not every recent basket's order.

It is a cache of what the server said. A missing or unreadable file costs
nothing but a re-read of the basket from the server, so a bad file (anything
``files.read_parsed`` refuses: bad JSON, nesting too deep, a symbolic link —
only the link is removed) is simply dropped, with a line in the log; set
aside instead, it would pile up unpruned. Orders can hold customer details,
so the files are private (0600).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tui_app.services.api import fast_json
from tui_app.services.store.files import atomic_write, parse_json, read_parsed

log = logging.getLogger(__name__)

ORDER_MODE = 0o600
# Another running instance may have written an order just before the session
# naming it: leave young files alone when pruning.
PRUNE_AFTER_SECONDS = 600


def _file_name(key: tuple[str, str]) -> str:
    # Hashed: basket ids and endpoints are server-chosen text, not safe file names.
    digest = hashlib.sha256(f"{key[0]}\n{key[1]}".encode()).hexdigest()[:32]
    return f"{digest}.json"


class OrderCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, key: tuple[str, str]) -> Path:
        return self.folder / _file_name(key)

    def put(self, key: tuple[str, str], order_json: bytes) -> None:
        """Raises StoreError if the disk refuses."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write(self.path_for(key), order_json, ORDER_MODE)

    def get(self, key: tuple[str, str]) -> dict[str, Any] | None:
        """The cached order JSON, or None if there is none that can be read."""
        path = self.path_for(key)
        # pydantic-core's parser makes each string a 500-item order repeats
        # once: it is still in memory when the reply's models are made.
        read = read_parsed(path, lambda text: fast_json.loads(text, fallback=parse_json))
        if read.fatal is not None:
            log.warning("%s could not be read (%s); dropped it from the cache", path, read.fatal)
            with contextlib.suppress(OSError):
                path.unlink()
        return read.doc

    def keep_only(self, keys: Iterable[tuple[str, str]]) -> None:
        """Delete the orders of baskets no longer remembered."""
        wanted = {_file_name(key) for key in keys}
        old = time.time() - PRUNE_AFTER_SECONDS
        with contextlib.suppress(OSError):
            for path in self.folder.glob("*.json"):
                if path.name in wanted:
                    continue
                with contextlib.suppress(OSError):
                    if path.lstat().st_mtime < old:
                        path.unlink()
