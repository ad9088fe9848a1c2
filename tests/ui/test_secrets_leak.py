"""Secrets stay secret: run full flows with a real client secret and real
tokens, then search everything the app wrote and printed. The secret may be
found in exactly one place: the 0600 secrets file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tui_app.services.api.models import OrderAction
from tui_app.services.exports.curl import to_curl, write_script
from tui_app.services.exports.har import write_har
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import AuthKind, Profile, ProfileStore, Secrets

from pilot import build_app, ready, settle
from sandboxed import named, order


def everything_under(*folders: Path) -> dict[Path, bytes]:
    files = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                files[path] = path.read_bytes()
    return files


async def test_no_secret_or_token_leaves_the_secrets_file(tmp_path, sandbox):
    config, out = tmp_path / "config", tmp_path / "out"
    out.mkdir()
    org = sandbox.orgs[0]
    paths = AppPaths.resolve(config)
    paths.ensure()
    store = ProfileStore(paths)
    store.load()
    store.put(
        Profile(name="Tenant", base_url=sandbox.base_url, auth=AuthKind.CLIENT_CREDENTIALS,
                client_id=org.client_id),
        Secrets(client_secret=org.client_secret),
    )
    store.save()

    app = build_app(config, sandbox, profile_name="Tenant")
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        workspace = app.workspace
        await workspace.initiate(order(named(workspace, "Digital Monthly", "Digital Annual")))
        await workspace.update([OrderAction.change_quantity(workspace.basket.items[0].id, 2)])
        await workspace.validate()
        token = workspace.client.auth.current.value
        app.context_changed()
        # Every screen, as a screenshot, including the inspector with its list.
        for key in ("f2", "f3", "f4", "f5", "f7"):
            await pilot.press(key)
            await settle(pilot)
            app.save_screenshot(filename=f"screen-{key}.svg", path=str(out))
        # Exports: HAR, curl scripts for every call, a recorded scenario.
        write_har(out / "session.har", workspace.log)
        for exchange in workspace.log:
            raw = workspace.log.raw(exchange.id) or exchange
            write_script(out / f"call-{exchange.id}.sh", to_curl(raw))
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert list((config / "scenarios").glob("recording-*.toml"))

    # Replay the recording headless with the token from the environment.
    recording = next((config / "scenarios").glob("recording-*.toml"))
    printed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tui_app", "run", str(recording), "--base-url",
         sandbox.base_url, "--json", "--junit", str(out / "junit.xml")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "LIMIO_TOKEN": org.demo_token},
    )
    assert printed.returncode == 0, printed.stdout + printed.stderr

    secrets = {"client secret": org.client_secret, "minted token": token,
               "demo token": org.demo_token}
    written = everything_under(config, out)
    assert len(written) > 10
    for what, value in secrets.items():
        needle = value.encode()
        holders = [path for path, data in written.items() if needle in data]
        allowed = [paths.secrets_file] if what == "client secret" else []
        assert holders == allowed, f"the {what} was written to {holders}"
        assert value not in printed.stdout + printed.stderr, f"the {what} was printed"
    assert paths.secrets_file.stat().st_mode & 0o777 == 0o600
