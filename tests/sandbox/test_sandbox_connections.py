"""Sockets that connect and never finish a request: they are timed out and
capped, so real requests are still answered, and the log does not fill up
with one repeated line. Every loop here is bounded in sockets and seconds."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tui_app.sandbox.child import SandboxProcess, _handshake
from tui_app.sandbox.limits import ServerLimits
from tui_app.sandbox.logfilter import RepeatFilter

HALF_OPEN = 100  # sockets per test: far below this process's descriptor limit
CHILD_FD_LIMIT = 64  # ...but not below the sandbox child's, in the first test
ROOT = Path(__file__).resolve().parents[2]


def address(base_url: str) -> tuple[str, int]:
    host, port = base_url.removeprefix("http://").split("/")[0].rsplit(":", 1)
    return host, int(port)


@contextlib.contextmanager
def half_open(base_url: str, count: int):
    """``count`` connections: half send part of a request line, half send nothing."""
    sockets = []
    try:
        for n in range(count):
            sock = socket.create_connection(address(base_url), timeout=5)
            sockets.append(sock)
            if n % 2:
                sock.sendall(b"GET /api/off")
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def closed_by_server(sock: socket.socket, within: float) -> bytes | None:
    """What the server sent before closing, or None if it kept the socket open."""
    sock.settimeout(within)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        return None
    except ConnectionError:
        pass
    return data


def real_request(base_url: str, token: str) -> httpx.Response:
    return httpx.get(f"{base_url}/offers/v2", headers={"Authorization": f"Bearer {token}"},
                     timeout=5)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX descriptor limits")
def test_half_open_sockets_do_not_starve_the_sandbox_process(tmp_path):
    # The sandbox as the app runs it, in its own process, with few descriptors
    # to spare (and no way to raise the limit): the half-open sockets alone
    # would use them all up.
    log_path = tmp_path / "sandbox.log"
    code = (
        "import resource, runpy, sys\n"
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({CHILD_FD_LIMIT}, {CHILD_FD_LIMIT}))\n"
        "sys.argv = ['child']\n"
        "runpy.run_module('tui_app.sandbox.child', run_name='__main__')\n"
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=log)
    try:
        hello = _handshake(process, 30, log_path)
    except BaseException:
        process.kill()
        process.wait()
        raise
    child = SandboxProcess(hello["base_url"], hello["client_id"], hello["client_secret"],
                           process)
    try:
        token = httpx.post(child.base_url.removesuffix("/api") + "/oauth2/token",
                           data={"grant_type": "client_credentials",
                                 "client_id": child.client_id,
                                 "client_secret": child.client_secret}).json()["access_token"]
        with half_open(child.base_url, HALF_OPEN):
            started = time.monotonic()
            reply = real_request(child.base_url, token)
            assert reply.status_code == 200
            assert time.monotonic() - started < 4
            time.sleep(1.5)  # what a storm would write in the meantime
            assert real_request(child.base_url, token).status_code == 200
    finally:
        child.stop()
    assert process.returncode == 0
    assert log_path.stat().st_size < 16 * 1024, log_path.read_text()[:2000]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX descriptor limits")
def test_the_sandbox_process_raises_its_descriptor_limit_to_the_hard_one():
    code = (
        "import resource\n"
        "hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))\n"
        "from tui_app.sandbox.connections import raise_fd_limit\n"
        "raise_fd_limit()\n"
        "soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]\n"
        "print(soft == min(hard, 10240) if hard == resource.RLIM_INFINITY else soft == hard)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=30, check=True).stdout
    assert out.strip() == "True"


@pytest.mark.parametrize(
    "sent", [b"", b"GET /api/offers/v2 HT", b"GET /api/offers/v2 HTTP/1.1\r\n"],
    ids=["nothing", "half a request line", "no blank line"])
def test_a_connection_that_does_not_finish_its_headers_is_closed(fresh_sandbox_factory, sent):
    server = fresh_sandbox_factory(limits=ServerLimits(header_timeout=0.5))
    with socket.create_connection(address(server.base_url), timeout=5) as sock:
        sock.sendall(sent)
        started = time.monotonic()
        answer = closed_by_server(sock, within=4)
    assert answer is not None, "the server kept a half-open connection"
    assert time.monotonic() - started < 3
    if sent:  # it had started a request: it is told why
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert answer.endswith(b'{"message": "request headers not received within 0.5 s"}')
    else:
        assert answer == b""


def test_a_second_request_on_a_kept_alive_connection_is_timed_out_too(fresh_sandbox_factory):
    server = fresh_sandbox_factory(limits=ServerLimits(header_timeout=0.5, keep_alive=30))
    with socket.create_connection(address(server.base_url), timeout=5) as sock:
        sock.sendall(b"GET /api/offers/v2 HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while not first.endswith(b"}"):  # the whole first reply, a JSON message
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 401 ")
        sock.sendall(b"GET /api/off")
        answer = closed_by_server(sock, within=4)
    assert answer is not None and answer.startswith(b"HTTP/1.1 408 ")


def test_past_the_connection_cap_the_longest_idle_connection_makes_room(fresh_sandbox_factory):
    cap = 8
    server = fresh_sandbox_factory(limits=ServerLimits(max_connections=cap, header_timeout=60))
    token = server.orgs[0].demo_token
    with half_open(server.base_url, 3 * cap) as sockets:
        started = time.monotonic()
        assert real_request(server.base_url, token).status_code == 200
        assert time.monotonic() - started < 2
        still_open = [s for s in sockets if closed_by_server(s, within=0.05) is None]
    assert len(still_open) <= cap
    assert set(still_open) <= set(sockets[-cap:])  # the oldest went first


def test_when_every_connection_is_busy_a_newcomer_gets_a_503(fresh_sandbox_factory):
    cap = 3
    server = fresh_sandbox_factory(
        limits=ServerLimits(max_connections=cap, header_timeout=60, body_timeout=60))
    busy_head = (
        "POST /api/partner/checkout/initiate HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {server.orgs[0].demo_token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    ).encode()
    busy = []
    try:
        for _ in range(cap):  # each is mid-request: its body is still on its way
            sock = socket.create_connection(address(server.base_url), timeout=5)
            sock.sendall(busy_head)
            busy.append(sock)
        time.sleep(0.3)
        reply = httpx.get(f"{server.base_url}/offers/v2", timeout=5)
    finally:
        for sock in busy:
            sock.close()
    assert reply.status_code == 503
    assert reply.json() == {"message": f"sandbox busy: {cap} connections open, each with a "
                                       "request in progress; try again shortly"}


def test_a_client_that_leaves_half_way_through_its_body_is_not_a_sandbox_error(
    fresh_sandbox, caplog
):
    head = (
        "POST /api/partner/checkout/initiate HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {fresh_sandbox.orgs[0].demo_token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    ).encode()
    with caplog.at_level(logging.WARNING):
        with socket.create_connection(address(fresh_sandbox.base_url), timeout=5) as sock:
            sock.sendall(head)
            time.sleep(0.2)  # the request is being read...
        time.sleep(0.5)  # ...when the client goes
        assert real_request(fresh_sandbox.base_url,
                            fresh_sandbox.orgs[0].demo_token).status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# ------------------------------------------------------------------ the log filter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(message: str, *args: object, name: str = "asyncio",
           exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, args, exc_info)


def test_the_log_filter_lets_a_repeated_message_through_once_per_window():
    clock = FakeClock()
    repeats = RepeatFilter(window=10, clock=clock)
    emfile = OSError(24, "Too many open files")
    passed = [repeats.filter(record("socket.accept() out of system resource", exc=emfile))
              for _ in range(1000)]
    assert passed.count(True) == 1 and passed[0]

    # Other messages, the same text from another logger, or another exception, still pass.
    assert repeats.filter(record("socket.accept() out of system resource"))
    assert repeats.filter(record("socket.accept() out of system resource", name="uvicorn.error",
                                 exc=emfile))
    assert repeats.filter(record("something else", exc=emfile))

    clock.now += 10
    after = record("socket.accept() out of system resource", exc=emfile)
    assert repeats.filter(after)
    assert after.getMessage() == ("socket.accept() out of system resource (999 more like this "
                                  "in the last 10 s were not logged)")


def test_the_log_filter_formats_arguments_before_comparing():
    repeats = RepeatFilter(window=10, clock=FakeClock())
    assert repeats.filter(record("sandbox failed on %s %s", "GET", "/a"))
    assert repeats.filter(record("sandbox failed on %s %s", "GET", "/b"))
    assert not repeats.filter(record("sandbox failed on %s %s", "GET", "/a"))


def test_the_sandbox_puts_the_filter_on_the_loggers_a_storm_comes_from(sandbox):
    for name in ("asyncio", "uvicorn.error", "tui_app.sandbox"):
        assert any(isinstance(f, RepeatFilter) for f in logging.getLogger(name).filters), name


def test_a_json_reply_for_what_h11_refuses(fresh_sandbox):
    with socket.create_connection(address(fresh_sandbox.base_url), timeout=5) as sock:
        sock.sendall(b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = closed_by_server(sock, within=4)
    assert answer is not None and answer.startswith(b"HTTP/1.1 400 ")
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body["message"].startswith("malformed HTTP request")
