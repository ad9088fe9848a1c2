"""Where a file the user makes goes: to disk in a terminal, to the browser's
downloads when the app is served (`basket-builder serve`). This is the one
place that decides; the screens call it wherever they write a file (HAR
export, curl script, scenario recording).

In a browser the file is written exactly as it would be on disk (the same
writer, into a folder that is removed at once) and the bytes are handed to
Textual's ``deliver_binary``, which textual-serve turns into a download.
Nothing is left on the server, and the server's paths are never shown.
"""

from __future__ import annotations

import io
import mimetypes
import tempfile
from collections.abc import Callable
from pathlib import Path

from textual.app import App

from tui_app.services.store.files import StoreError

Writer = Callable[[Path], object]


def to_browser(app: App) -> bool:
    """True when the files the user makes should reach a web browser."""
    return bool(getattr(app, "is_web", False))


def export_file(app: App, dialog, done: Callable[[Path | None], None], *,
                mime_type: str | None = None) -> None:
    """In a terminal: show ``dialog`` (a SavePathScreen) and call ``done``
    with the path written, as before. In a browser: deliver the file under
    the dialog's suggested name at once; ``done`` is not called (there is no
    path on the visitor's side to report)."""
    if not to_browser(app):
        app.push_screen(dialog, done)
        return
    deliver_written(app, Path(dialog.default).name, dialog.write, mime_type=mime_type)


def deliver_written(app: App, filename: str, write: Writer, *,
                    mime_type: str | None = None) -> bool:
    """Write the file with ``write`` into a throwaway folder and send it to
    the browser as ``filename``. Returns False (and says why) if it failed."""
    try:
        with tempfile.TemporaryDirectory(prefix="basket-builder-delivery-") as folder:
            path = Path(folder) / filename
            write(path)
            data = path.read_bytes()
    except (StoreError, OSError) as exc:
        app.notify(f"{filename} could not be made: {exc}", severity="error", timeout=10,
                   markup=False)
        return False
    return deliver_bytes(app, filename, data, mime_type=mime_type)


def deliver_copy(app: App, path: Path, *, mime_type: str | None = None) -> bool:
    """In a browser, send a file the app has just saved as a download too;
    in a terminal do nothing. True when it was sent."""
    if not to_browser(app):
        return False
    try:
        data = path.read_bytes()
    except OSError as exc:
        app.notify(f"{path.name} could not be read: {exc.strerror or exc}", severity="error",
                   timeout=10, markup=False)
        return False
    return deliver_bytes(app, path.name, data, mime_type=mime_type)


def deliver_bytes(app: App, filename: str, data: bytes, *,
                  mime_type: str | None = None) -> bool:
    mime_type = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    app.deliver_binary(io.BytesIO(data), save_filename=filename, mime_type=mime_type,
                       open_method="download")
    app.notify(f"{filename} is on its way to your browser's downloads.", title="Download",
               timeout=6, markup=False)
    return True
