"""The embedded sandbox: a local HTTP server speaking the partner checkout API.

It lets the app run with no credentials and the tests run offline::

    with SandboxServer() as sandbox:
        org = sandbox.orgs[0]      # id, name, client_id, client_secret, demo_token
        sandbox.base_url           # http://127.0.0.1:PORT/api
        sandbox.token_url          # http://127.0.0.1:PORT/oauth2/token

Importing this package is cheap: the web stack loads when a server starts.
Of the client it may import only ``services.api.models``: one definition of
the contract, and nothing of the client's behaviour.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui_app.sandbox.db import Org
    from tui_app.sandbox.server import SandboxError, SandboxServer, run_foreground

__all__ = ["Org", "SandboxError", "SandboxServer", "run_foreground"]

# Loaded on first use: the app imports ``sandbox.child`` (this package first)
# only to start the child process, and the server's modules and sqlite3 cost
# it about 1 MiB of memory it never uses (VmHWM, 500-item basket benchmark).
_HOMES = {
    "Org": "tui_app.sandbox.db",
    "SandboxError": "tui_app.sandbox.server",
    "SandboxServer": "tui_app.sandbox.server",
    "run_foreground": "tui_app.sandbox.server",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
