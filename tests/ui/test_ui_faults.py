"""Each kind of failure, met from the app: said in plain words, nothing lost,
and the user can carry on (here: switch to the sandbox and keep working)."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tui_app.services.connection import SANDBOX_PROFILE_NAME
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import AuthKind, Profile, ProfileStore, Secrets
from tui_app.widgets.error_panel import ErrorPanel

from pilot import build_app, settle


class _HtmlPage(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<html><title>Gateway says hello</title><body>not an API</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def html_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_port():
    """Accepts connections and never answers: a timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/api"
    listener.close()


@pytest.fixture
def closed_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}/api"


def add_profile(config_dir, name, base_url, token, timeout=30.0):
    paths = AppPaths.resolve(config_dir)
    paths.ensure()
    store = ProfileStore(paths)
    store.load()
    store.put(
        Profile(name=name, base_url=base_url, auth=AuthKind.BEARER, timeout=timeout),
        Secrets(token=token),
    )
    store.save()


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("unauthorized", "Unauthorized (401)"),
        ("refused", "Connection refused"),
        ("timeout", "Timed out"),
        ("html", "Unexpected reply"),
    ],
)
async def test_a_failing_tenant_is_explained_and_the_sandbox_still_works(
    tmp_path, sandbox, request, kind, title
):
    base_url = {
        "unauthorized": sandbox.base_url,
        "refused": request.getfixturevalue("closed_port") if kind == "refused" else "",
        "timeout": request.getfixturevalue("silent_port") if kind == "timeout" else "",
        "html": request.getfixturevalue("html_server") if kind == "html" else "",
    }[kind]
    add_profile(tmp_path, "Faulty", base_url, "not-a-valid-token", timeout=1.0)
    app = build_app(tmp_path, sandbox, profile_name="Faulty")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.workspace.profile.name == "Faulty" and app.workspace.offers == []
        panel = app.screen.query_one(ErrorPanel)
        shown = str(panel.render())
        assert panel.has_class("shown") and title in shown
        assert "→" in shown  # and what to do next
        assert "not-a-valid-token" not in shown
        # Carry on: the sandbox still works from the same session.
        assert await app.connect(SANDBOX_PROFILE_NAME)
        await settle(pilot)
        assert app.workspace.offers
