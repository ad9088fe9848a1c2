"""The sandbox as a server: lifecycle, persistence, concurrency, error replies."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tui_app.sandbox import SandboxError, SandboxServer, run_foreground

ROOT = Path(__file__).resolve().parents[2]
COOKIE = "limio-landing-state"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def catalogue(sandbox, token: str) -> dict[str, dict]:
    reply = httpx.get(f"{sandbox.base_url}/offers/v2", headers=bearer(token))
    return {item["name"]: item for item in reply.json()["items"]}


def initiate(sandbox, token: str, *names: str, external_id: str = "order-1") -> httpx.Response:
    offers = catalogue(sandbox, token)
    lines = [{"offer": {"id": offers[n]["id"], "version": offers[n]["version"]}} for n in names]
    body = {
        "order": {
            "orderItems": lines,
            "external_id": external_id,
            "country": "GB",
            "source": "pytest",
            "order_type": "new",
        }
    }
    return httpx.post(
        f"{sandbox.base_url}/partner/checkout/initiate", json=body, headers=bearer(token)
    )


def test_urls_point_at_the_loopback_port(sandbox):
    port = int(sandbox.root_url.rsplit(":", 1)[1])
    assert sandbox.root_url == f"http://127.0.0.1:{port}" and port > 0
    assert sandbox.base_url == f"{sandbox.root_url}/api"
    assert sandbox.token_url == f"{sandbox.root_url}/oauth2/token"


def test_unknown_routes_and_methods_answer_in_json(sandbox):
    missing = httpx.get(f"{sandbox.base_url}/partner/checkout/nothing")
    assert missing.status_code == 404 and missing.json() == {"message": "Not Found"}
    assert missing.headers["content-type"] == "application/json"
    wrong = httpx.get(f"{sandbox.base_url}/partner/checkout/initiate")
    assert wrong.status_code == 405
    assert wrong.json()["message"].startswith("Method Not Allowed")
    assert wrong.headers["allow"] == "POST"


def test_an_unexpected_failure_is_a_json_500_and_the_server_lives_on(fresh_sandbox_factory, caplog):
    def broken_clock() -> float:
        raise RuntimeError("clock on fire")

    sandbox = fresh_sandbox_factory(clock=broken_clock)
    token = sandbox.orgs[0].demo_token
    with caplog.at_level("ERROR", logger="tui_app.sandbox"):
        reply = initiate(sandbox, token, "Digital Monthly")
    assert reply.status_code == 500
    assert reply.json() == {"message": "internal sandbox error"}
    assert "clock on fire" not in reply.text
    assert any("clock on fire" in str(record.exc_info[1]) for record in caplog.records)
    assert httpx.get(f"{sandbox.base_url}/offers/v2", headers=bearer(token)).status_code == 200


def test_a_port_in_use_is_a_clear_error(sandbox):
    port = int(sandbox.root_url.rsplit(":", 1)[1])
    with pytest.raises(SandboxError, match=f"port {port} on 127.0.0.1 is already in use"):
        SandboxServer(port=port).start()


def test_run_foreground_on_a_port_in_use_says_so_in_one_line(sandbox, capsys):
    port = int(sandbox.root_url.rsplit(":", 1)[1])
    assert run_foreground(port=port) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already in use" in err


def test_stop_frees_the_port_and_is_safe_to_repeat():
    server = SandboxServer().start()
    port = int(server.root_url.rsplit(":", 1)[1])
    server.stop()
    server.stop()
    with pytest.raises(SandboxError):
        _ = server.base_url
    with socket.create_server(("127.0.0.1", port)):
        pass  # the port can be bound again


def test_a_file_database_survives_a_restart(tmp_path):
    db_path = tmp_path / "data" / "sandbox.sqlite3"
    with SandboxServer(db_path=db_path) as first:
        org = first.orgs[0]
        minted = httpx.post(
            first.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": org.client_id,
                "client_secret": org.client_secret,
            },
        ).json()["access_token"]
        created = initiate(first, minted, "Digital Monthly", "Puzzles & Crosswords").json()
    assert db_path.exists()
    assert db_path.stat().st_mode & 0o777 == 0o600  # it holds client secrets

    with SandboxServer(db_path=db_path) as second:
        same = second.orgs[0]
        assert (same.client_secret, same.demo_token) == (org.client_secret, org.demo_token)
        validated = httpx.post(
            f"{second.base_url}/partner/checkout/validate/{created['id']}", headers=bearer(minted)
        )
        assert validated.status_code == 200  # the token is still good after the restart
        assert validated.json()["checkout"]["orderItems"] == created["order"]["orderItems"]
        again = initiate(second, org.demo_token, "Digital Annual", external_id="order-1").json()
        assert again["id"] == created["id"]


def test_fifty_concurrent_adds_to_one_basket_are_each_applied_once(fresh_sandbox):
    token = fresh_sandbox.orgs[0].demo_token
    reply = initiate(fresh_sandbox, token, "Digital Monthly", external_id="busy")
    cookie = reply.cookies[COOKIE]
    puzzles = catalogue(fresh_sandbox, token)["Puzzles & Crosswords"]["id"]
    local = threading.local()

    def add_one(_: int) -> httpx.Response:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=fresh_sandbox.base_url, headers=bearer(token))
        return local.client.put(
            "/partner/checkout/update",
            json={"orderActions": [{"orderItemActionType": "add", "offerId": puzzles}]},
            headers={"Cookie": f"{COOKIE}={cookie}"},
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(add_one, range(50)))
    assert [r.status_code for r in replies] == [200] * 50
    created = {r.json()["orderActionResults"][0]["id"] for r in replies}
    assert len(created) == 50
    final = httpx.post(
        f"{fresh_sandbox.base_url}/partner/checkout/validate/{reply.json()['id']}",
        headers=bearer(token),
    ).json()["checkout"]["orderItems"]
    assert len(final) == 51
    assert {item["id"] for item in final[1:]} == created


def printed_by(code: str) -> str:
    """What ``code`` prints, run by a fresh Python on this checkout."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout


def test_importing_the_package_does_not_load_the_web_stack():
    code = (
        "import sys, tui_app.sandbox\n"
        "heavy = {'uvicorn', 'starlette', 'pydantic', 'jwt'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    out = printed_by(code)
    assert out.strip() == "[]"


def test_starting_the_child_loads_neither_the_server_nor_sqlite():
    """The app imports ``sandbox.child`` only to start the sandbox's process;
    the package's own names still load, on first use."""
    code = (
        "import sys, tui_app.sandbox.child\n"
        "print(sorted({'sqlite3', 'tui_app.sandbox.db', 'tui_app.sandbox.server'}"
        " & set(sys.modules)))\n"
        "from tui_app.sandbox import Org, SandboxServer\n"
        "print(SandboxServer.__module__, Org.__module__)\n"
    )
    out = printed_by(code)
    assert out.splitlines() == ["[]", "tui_app.sandbox.server tui_app.sandbox.db"]


@pytest.mark.skipif(os.name == "nt", reason="sends SIGINT")
def test_the_foreground_server_prints_credentials_and_stops_on_ctrl_c():
    code = "from tui_app.sandbox import run_foreground; raise SystemExit(run_foreground(port=0))"
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
    )
    try:
        banner = []
        for line in process.stdout:
            banner.append(line)
            if line.startswith("Serving"):
                break
        text = "".join(banner)
        base_url = next(line.split()[-1] for line in banner if "API base URL" in line)
        token = next(line.split()[-1] for line in banner if "demo token" in line)
        assert "client_secret" in text and "sandbox-northwind" in text and "/oauth2/token" in text
        reply = httpx.get(f"{base_url}/offers/v2", headers=bearer(token))
        assert reply.status_code == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Sandbox stopped." in out
    assert "GET /api/offers/v2" in out  # the access log


def test_a_seeded_sandbox_gives_the_same_ids_every_run():
    def first_basket(seed):
        with SandboxServer(seed=seed) as server:
            reply = initiate(server, server.orgs[0].demo_token, "Digital Monthly",
                             external_id="seeded")
            body = reply.json()
            return body["id"], body["order"]["orderItems"][0]["id"]

    assert first_basket(7) == first_basket(7)
    assert first_basket(7) != first_basket(8)
