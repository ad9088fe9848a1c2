"""`basket-builder serve` without a browser: the refusals, the access key,
the visitor limit, the command each visitor runs, and one real visitor over
a WebSocket (its app and sandbox start, and end when it leaves)."""

from __future__ import annotations

import asyncio
import hmac
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tui_app.cli import main
from tui_app.serve import access, pages
from tui_app.serve.access import (
    ACCESS_KEY_ENV,
    AccessGate,
    AccessRefused,
    choose_access_key,
    host_allowed,
    is_loopback,
    origin_allowed,
)
from tui_app.serve.server import (
    VISITOR_DIR_PREFIX,
    Visitor,
    VisitorServer,
    visitor_command,
    visitor_environment,
)
from tui_app.services.connection import ProfileNotUsable

ANYWHERE = "0.0.0.0"  # noqa: S104 - named, never bound: these tests refuse before binding

# ------------------------------------------------------------------ refusals


@pytest.fixture
def no_binding(monkeypatch):
    """Any attempt to bind a socket fails the test: refusals come first."""

    def refuse(self, address):
        raise AssertionError(f"tried to bind {address}")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    monkeypatch.delenv(ACCESS_KEY_ENV, raising=False)


@pytest.mark.parametrize("host", [ANYWHERE, "192.0.2.10", "::", "example.org", ""])
def test_a_reachable_host_without_a_key_is_refused_before_binding(host, no_binding, capsys):
    assert main(["serve", "--host", host, "--access-key", ""]) == 2
    err = capsys.readouterr().err
    assert "refusing to start" in err and "needs an access key" in err
    assert "--access-key is empty" in err


def test_an_empty_key_in_the_environment_is_refused_too(no_binding, monkeypatch, capsys):
    monkeypatch.setenv(ACCESS_KEY_ENV, "  ")
    assert main(["serve", "--host", ANYWHERE]) == 2
    assert f"{ACCESS_KEY_ENV} is empty" in capsys.readouterr().err


def test_a_short_key_is_refused_for_a_reachable_host(no_binding, capsys):
    assert main(["serve", "--host", ANYWHERE, "--access-key", "short"]) == 2
    assert "too short" in capsys.readouterr().err


def test_an_unknown_profile_is_refused_before_binding(no_binding, tmp_path, capsys):
    assert main(["--config-dir", str(tmp_path), "serve", "--profile", "acme"]) == 2
    assert "no profile named 'acme'" in capsys.readouterr().err


def test_bad_limits_are_usage_errors():
    result = subprocess.run(
        [sys.executable, "-m", "tui_app", "serve", "--max-visitors", "0"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2 and "is not a number of visitors" in result.stderr


def test_the_command_line_starts_without_the_web_stack():
    code = ("import sys; from tui_app.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('aiohttp', 'textual_serve', 'textual') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=30)
    assert result.stdout.strip() == "[]", result.stderr


# ------------------------------------------------------------------ the key


def test_loopback_needs_no_key_unless_one_is_given():
    assert choose_access_key("127.0.0.1", None, {}) == (None, False)
    assert choose_access_key("localhost", "", {}) == (None, False)
    assert choose_access_key("::1", "abc", {}) == ("abc", False)
    assert choose_access_key("127.0.0.1", None, {ACCESS_KEY_ENV: "from-env"}) == (
        "from-env", False)


def test_a_reachable_host_gets_a_generated_key_or_the_given_one():
    key, generated = choose_access_key(ANYWHERE, None, {})
    assert generated and len(key) >= 20
    assert choose_access_key(ANYWHERE, None, {})[0] != key
    assert choose_access_key("10.0.0.5", None, {ACCESS_KEY_ENV: "a-long-enough-key"}) == (
        "a-long-enough-key", False)
    with pytest.raises(AccessRefused):
        choose_access_key("10.0.0.5", "", {ACCESS_KEY_ENV: "ignored-when-the-option-is-given"})


def test_what_counts_as_loopback():
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, [ANYWHERE, "", "::", "192.168.1.2", "my-host"]))


def test_the_key_is_compared_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(access.hmac, "compare_digest", spy)
    gate = AccessGate("correct horse battery")
    assert gate.key_matches("correct horse battery")
    assert gate.key_matches("  correct horse battery\n")  # pasted with a newline
    assert not gate.key_matches("correct horse batterz")
    assert not gate.key_matches("")
    assert not gate.key_matches(None)
    assert not gate.key_matches("x" * 10_000)
    assert len(calls) == 4


def test_the_session_cookie_is_derived_never_the_key():
    gate, other = AccessGate("correct horse battery", port=8000), AccessGate(
        "correct horse battery", port=8000)
    value = gate.session_value()
    assert "correct" not in value and len(value) == 64
    assert value != other.session_value()  # a restarted server ends old sessions
    assert gate.session_ok(value)
    assert not gate.session_ok(other.session_value())
    assert not gate.session_ok(None) and not gate.session_ok("") and not gate.session_ok("é")
    assert gate.cookie_name == "basket_builder_session_8000"
    assert AccessGate(None).session_ok(None)


def test_host_and_origin_checks():
    assert host_allowed("127.0.0.1:8000", True) and host_allowed("localhost:1", True)
    assert host_allowed("[::1]:8000", True)
    assert not host_allowed("evil.example:8000", True)
    assert not host_allowed(None, True)
    assert host_allowed("demo.example:8000", False)
    assert origin_allowed(None, "127.0.0.1:8000")
    assert origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert not origin_allowed("http://evil.example", "127.0.0.1:8000")
    assert not origin_allowed("http://127.0.0.1:9999", "127.0.0.1:8000")


# ------------------------------------------------------------------ visitors


def test_each_visitor_runs_the_app_on_a_folder_of_its_own(tmp_path):
    folder = tmp_path / "v1"
    assert visitor_command(folder, python="py") == [
        "py", "-m", "tui_app", "--config-dir", str(folder), "--served"]
    assert visitor_command(folder, "acme", python="py")[-2:] == ["--profile", "acme"]
    env = visitor_environment({"PATH": "/bin", ACCESS_KEY_ENV: "k", "LIMIO_TOKEN": "t",
                               "BASKET_BUILDER_CONFIG_DIR": "/home/me"})
    assert env == {"PATH": "/bin"}


@pytest.fixture
async def web(tmp_path, monkeypatch):
    """A VisitorServer behind aiohttp's test server (loopback, a free port)."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    clients = []

    async def start(key=None, max_visitors=2):
        server = VisitorServer(host="127.0.0.1", port=0, gate=AccessGate(key),
                               max_visitors=max_visitors)
        client = TestClient(TestServer(await server._make_app(), host="127.0.0.1"))
        await client.start_server()
        server.gate.port = client.port
        clients.append(client)
        return server, client

    yield start
    for client in clients:
        await client.close()


async def test_the_page_says_what_it_is(web):
    _, client = await web()
    response = await client.get("/")
    assert response.status == 200
    text = await response.text()
    assert "<title>basket-builder — sandbox demo</title>" in text
    assert "embedded sandbox of your own" in text
    assert "fonts.googleapis" not in text
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_the_limit_page_when_every_place_is_taken(web):
    server, client = await web(max_visitors=1)
    server.visitors[99] = Visitor(99)
    response = await client.get("/")
    assert response.status == 503
    text = await response.text()
    assert "every place is taken" in text and "serves one visitor at once" in text
    async with client.ws_connect("/ws") as ws:
        message = await ws.receive(timeout=10)
        assert b"every place is taken" in message.data
    assert pages.full(4).count("4 visitors") == 1


async def test_a_key_is_asked_for_and_a_wrong_one_gets_403(web):
    server, client = await web(key="correct horse battery")
    response = await client.get("/")
    assert response.status == 401 and 'name="key"' in await response.text()
    assert (await client.get("/ws")).status == 403
    assert (await client.get("/download/abc")).status == 403
    response = await client.post("/key", data={"key": "wrong"}, allow_redirects=False)
    assert response.status == 403 and "not right" in await response.text()
    assert (await client.get("/key", allow_redirects=False)).status == 303  # a reload
    response = await client.post("/key", data={"key": "correct horse battery"},
                                 allow_redirects=False)
    assert response.status == 303
    cookie = response.cookies[server.gate.cookie_name]
    assert cookie.value == server.gate.session_value()
    assert "correct" not in cookie.value
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert (await client.get("/")).status == 200


async def test_a_foreign_origin_or_host_is_turned_away(web):
    _, client = await web()
    assert (await client.get("/", headers={"Host": "evil.example"})).status == 403
    response = await client.get("/ws", headers={"Origin": "http://evil.example"})
    assert response.status == 403
    response = await client.post("/key", data={"key": "x"},
                                 headers={"Origin": "http://evil.example"})
    assert response.status == 403


def _processes_under(folder: Path) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(folder) in cmdline and "tui_app" in cmdline:
                found[int(entry.name)] = cmdline
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="looks for processes in /proc")
async def test_a_visitor_gets_an_app_and_sandbox_that_end_when_they_leave(web, tmp_path):
    server, client = await web()
    async with client.ws_connect("/ws?width=100&height=30") as ws:
        screen = b""
        deadline = time.monotonic() + 30
        while b"SANDBOX" not in screen and time.monotonic() < deadline:
            message = await ws.receive(timeout=30)
            if isinstance(message.data, bytes):
                screen += message.data
        assert b"SANDBOX" in screen
        folders = list(tmp_path.glob(f"{VISITOR_DIR_PREFIX}*"))
        assert len(folders) == 1 and len(server.visitors) == 1
        running = _processes_under(folders[0])
        assert any("--served" in c for c in running.values())
        assert any("tui_app.sandbox.child" in c for c in running.values())
    assert await eventually(lambda: not server.visitors and not folders[0].exists())
    assert await eventually(lambda: not any(map(_alive, running))), running


async def eventually(check, tries: int = 200) -> bool:
    """``check()`` becomes true within tries / 10 seconds."""
    for _ in range(tries):
        if check():
            return True
        await asyncio.sleep(0.1)
    return bool(check())


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for its parent to read its status."""
    try:
        return not Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


# ------------------------------------------------------------------ in the visitor's app


def test_a_visitors_app_talks_only_to_its_sandbox_or_the_allowed_profile(monkeypatch):
    from tui_app.serve import visitor
    from tui_app.services.connection import EmbeddedSandbox
    from tui_app.services.store.profiles import Profile

    monkeypatch.setattr(visitor, "watch_parent", lambda app: None)
    sandbox = EmbeddedSandbox("http://127.0.0.1:1", "id", "secret", stop=lambda: None)
    acme = Profile(name="acme", tenant="acme.prod.limio.com", client_id="cid")
    built, notes = [], []
    workspace = SimpleNamespace(
        profiles=SimpleNamespace(get=lambda name: acme if name == "acme" else None),
        client_factory=lambda profile, secrets, **kw: built.append(profile.name) or "client",
        sandbox=sandbox,
    )
    app = SimpleNamespace(workspace=workspace,
                          notify=lambda message, **kw: notes.append((message, kw)))
    visitor.prepare_visitor_app(app, "acme")
    factory = workspace.client_factory
    assert factory(*sandbox.profile()) == "client"
    assert factory(acme, None) == "client"
    moved = acme.model_copy(update={"tenant": "evil.example"})
    with pytest.raises(ProfileNotUsable, match="only the embedded sandbox"):
        factory(moved, None)
    with pytest.raises(ProfileNotUsable):
        factory(Profile(name="mine", base_url="http://10.0.0.1/api", client_id="c"), None)
    assert built == [sandbox.profile()[0].name, "acme"]
    (message, kwargs), = notes
    assert "yours alone" in message and "'acme'" in message and kwargs["markup"] is False


def test_the_parent_watch_quits_an_orphaned_app(monkeypatch):
    from tui_app.serve import visitor

    monkeypatch.setattr(visitor, "ORPHAN_CHECK", 0.01)
    monkeypatch.setattr(visitor, "EXIT_GRACE", 0.05)
    exits, forced = [], []
    app = SimpleNamespace(exit=lambda: exits.append(1),
                          call_from_thread=lambda callback: callback())
    # The last resort would end this very process (pytest): record it instead.
    thread = visitor.watch_parent(app, parent=os.getppid() + 10_000_000,
                                  force_exit=forced.append)
    thread.join(5)
    assert exits == [1]
    for _ in range(100):
        if forced:
            break
        time.sleep(0.02)
    assert forced == [1]  # and had the app not quit, the process would have ended


# ------------------------------------------------------------------ deliveries


class FakeApp:
    def __init__(self, is_web: bool) -> None:
        self.is_web = is_web
        self.pushed, self.delivered, self.notes = [], [], []

    def push_screen(self, screen, callback):
        self.pushed.append((screen, callback))

    def deliver_binary(self, file, **kwargs):
        self.delivered.append((file.read(), kwargs))

    def notify(self, message, **kwargs):
        self.notes.append(message)


def _dialog(write):
    return SimpleNamespace(default="session.har", write=write)


def test_exports_go_to_disk_in_a_terminal_and_to_the_browser_when_served(tmp_path):
    from tui_app.widgets.delivery import deliver_copy, export_file

    def write(path: Path) -> None:
        path.write_text('{"log": {}}\n')

    terminal = FakeApp(is_web=False)
    export_file(terminal, dialog := _dialog(write), print, mime_type="application/json")
    assert terminal.pushed == [(dialog, print)] and not terminal.delivered

    browser = FakeApp(is_web=True)
    done = []
    export_file(browser, _dialog(write), done.append, mime_type="application/json")
    assert not browser.pushed and not done
    (data, kwargs), = browser.delivered
    assert data == b'{"log": {}}\n'
    assert kwargs == {"save_filename": "session.har", "mime_type": "application/json",
                      "open_method": "download"}
    assert "downloads" in browser.notes[0] and str(tmp_path) not in browser.notes[0]

    saved = tmp_path / "recording.toml"
    saved.write_text("name = 'x'\n")
    assert not deliver_copy(terminal, saved)
    assert deliver_copy(browser, saved)
    assert browser.delivered[-1][0] == b"name = 'x'\n"
    assert browser.delivered[-1][1]["save_filename"] == "recording.toml"


def test_a_failed_export_in_the_browser_is_reported(tmp_path):
    from tui_app.widgets.delivery import export_file

    def write(path: Path) -> None:
        raise OSError("disk full")

    browser = FakeApp(is_web=True)
    export_file(browser, _dialog(write), print)
    assert not browser.delivered and "could not be made: disk full" in browser.notes[0]
