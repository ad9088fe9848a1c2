"""The embedded sandbox in its own process, as the app runs it: it starts,
keeps its data, says why when it cannot start, and ends with the app."""

from __future__ import annotations

import httpx
import pytest

from tui_app.sandbox.child import SandboxProcess, SandboxStartError


def token(child: SandboxProcess) -> str:
    reply = httpx.post(
        child.base_url.removesuffix("/api") + "/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": child.client_id,
              "client_secret": child.client_secret},
    )
    reply.raise_for_status()
    return reply.json()["access_token"]


def test_it_serves_keeps_its_data_and_stops(tmp_path):
    db = tmp_path / "sandbox.sqlite3"
    child = SandboxProcess.start(db, log_path=tmp_path / "sandbox.log")
    try:
        # Credentials travel through the pipe, never on the command line.
        assert child.client_secret not in " ".join(map(str, child.process.args))
        headers = {"Authorization": f"Bearer {token(child)}"}
        offers = httpx.get(f"{child.base_url}/offers/v2", headers=headers).json()["items"]
        offer = next(o for o in offers if o["name"] == "Digital Monthly")
        body = {"order": {"orderItems": [{"offer": {"id": offer["id"],
                                                    "version": offer["version"]}}],
                          "external_id": "child-test-1", "country": "GB",
                          "source": "test", "order_type": "new"}}
        basket = httpx.post(f"{child.base_url}/partner/checkout/initiate", json=body,
                            headers=headers).json()["id"]
    finally:
        child.stop()
    assert child.process.returncode == 0  # a clean shutdown, not a kill

    again = SandboxProcess.start(db)
    try:
        headers = {"Authorization": f"Bearer {token(again)}"}
        reply = httpx.post(f"{again.base_url}/partner/checkout/validate/{basket}",
                           headers=headers)
        assert reply.status_code == 200  # the basket outlived the first process
    finally:
        again.stop()


def test_it_ends_when_the_app_goes_away(tmp_path):
    child = SandboxProcess.start(None)
    # What the app's death looks like from the child: its stdin closes.
    child.process.stdin.close()
    assert child.process.wait(10) == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{child.base_url}/offers/v2", timeout=2)
    child.stop()  # harmless once it has ended


def test_a_sandbox_that_cannot_start_says_why(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    with pytest.raises(SandboxStartError, match="cannot open the sandbox database"):
        SandboxProcess.start(blocker / "sandbox.sqlite3", log_path=tmp_path / "sandbox.log")
