"""Modules that dependencies import only because they happen to be installed,
and that this app never uses: kept out of its processes, because each costs
start-up time (and, imported in a thread, the UI's share of the interpreter).

- trio: httpcore imports it whenever it is installed (selenium, of the test
  extras, brings it along), 0.1-0.15 s; the app only ever runs on asyncio.
- httpx's own command line (``httpx._main``): it loads click, rich and
  pygments when they are installed, as the TUI installs them (~85 ms of
  importing httpx here, a third of the time `run` takes to start).
- pydantic's plugin loader: the first time pydantic builds a validator it
  imports importlib.metadata (with zipfile, csv and most of email) to look
  through every installed package for pydantic plugins, ~15 ms before the
  TUI's first paint (`python -X importtime`). The app uses none, and wants
  none: a plugin sees every value validated, tokens included.
"""

from __future__ import annotations

import importlib
import sys
import types


def keep_trio_out() -> None:
    """Without trio httpcore simply offers no trio backend. A process that
    has imported trio already (a test session) keeps it."""
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]


def keep_pydantic_plugins_out() -> None:
    """pydantic asks its plugin loader for plugins (``get_plugins``) as it
    builds each validator; a stand-in loader answers "none" without looking.
    A process that has loaded the real loader already (a test session)
    keeps it."""
    if "pydantic.plugin._loader" in sys.modules:
        return
    loader = types.ModuleType("pydantic.plugin._loader", "basket-builder: no pydantic plugins")
    loader.get_plugins = lambda: ()  # type: ignore[attr-defined]
    sys.modules["pydantic.plugin._loader"] = loader


def import_httpx() -> None:
    """Import httpx without ``httpx._main``. httpx imports it only to offer
    ``httpx.main`` and goes on without it (a stand-in that says the CLI's
    extras are missing); nothing here calls it. The block is lifted at once,
    and if a later httpx did not go on without it, httpx is imported as
    usual."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    sys.modules["httpx._main"] = None  # type: ignore[assignment]  # import refused
    try:
        importlib.import_module("httpx")
    except ImportError:
        sys.modules.pop("httpx._main", None)
        importlib.import_module("httpx")
    finally:
        if "httpx._main" in sys.modules and sys.modules["httpx._main"] is None:
            del sys.modules["httpx._main"]


def import_api_client() -> None:
    """The API client, and httpx under it, as lean as they come (the TUI
    calls this in a thread at start-up)."""
    import_httpx()
    importlib.import_module("tui_app.services.api.client")
