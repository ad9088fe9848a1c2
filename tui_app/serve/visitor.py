"""What the app does differently in a visitor's process (`--served`):

- it says where the visitor is: their own app and sandbox, gone with the tab;
- it talks only to its own embedded sandbox, or to the one profile the
  person running `basket-builder serve --profile NAME` allowed, exactly as
  stored: a visitor cannot point the server at another address, nor send
  that profile's secrets anywhere else;
- it ends if the server that started it is gone (killed, so no goodbye).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tui_app.services.connection import ProfileNotUsable

NOT_IN_DEMO = "in this browser demo only the embedded sandbox can be used"
WELCOME = (
    "This app and its embedded sandbox (demo data, no real account) are yours alone: "
    "no other visitor sees your baskets. Closing the tab ends both. Files you export "
    "arrive as downloads in your browser."
)
VISITOR_DIR_PREFIX = "basket-builder-visitor-"  # the folders serve makes (server.py)
ORPHAN_CHECK = 1.0  # seconds between looks at the parent process
EXIT_GRACE = 10.0  # seconds to quit cleanly once the server is gone


def prepare_visitor_app(app, profile_name: str | None = None) -> None:
    """Called on the app before it runs, in a process `serve` started."""
    workspace = app.workspace
    allowed = workspace.profiles.get(profile_name) if profile_name else None
    build = workspace.client_factory

    def only_the_demo(profile, secrets, **kwargs):
        sandbox = workspace.sandbox
        if (sandbox is not None and profile == sandbox.profile()[0]) or (
            allowed is not None and profile == allowed
        ):
            return build(profile, secrets, **kwargs)
        extra = f" (and profile {allowed.name!r} as stored)" if allowed is not None else ""
        raise ProfileNotUsable(NOT_IN_DEMO + extra)

    workspace.client_factory = only_the_demo
    welcome = WELCOME
    if allowed is not None:
        welcome += (f" Profile {allowed.name!r} is here too: what you do on it is real, on "
                    "that tenant.")
    app.notify(welcome, title="basket-builder in your browser", timeout=15, markup=False)
    watch_parent(app)


def watch_parent(
    app, parent: int | None = None, force_exit: Callable[[int], object] = os._exit
) -> threading.Thread:
    """Quit when the server that started this process is gone, and remove the
    visitor's folder on the way out (the server is not there to do it).
    ``force_exit`` ends the process if quitting has not within EXIT_GRACE."""
    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK)
        folder = getattr(getattr(app, "paths", None), "config_dir", None)
        if folder is not None and Path(folder).name.startswith(VISITOR_DIR_PREFIX):
            # Only ever a folder serve made: never a config dir given by hand.
            atexit.register(shutil.rmtree, folder, True)
        # Still here after the grace: nothing is left to draw for.
        last_resort = threading.Timer(EXIT_GRACE, force_exit, (1,))
        last_resort.daemon = True
        last_resort.start()
        with contextlib.suppress(Exception):
            app.call_from_thread(app.exit)

    thread = threading.Thread(target=watch, name="served-parent-watch", daemon=True)
    thread.start()
    return thread
