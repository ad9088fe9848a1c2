"""With a proxy in the environment, the app still reaches its embedded
sandbox directly: the catalogue loads and the proxy is sent nothing."""

from __future__ import annotations

import pytest

from tui_app.services.connection import SANDBOX_PROFILE_NAME

from pilot import build_app, ready
from proxy_listener import pointing_every_proxy_at


@pytest.fixture
def listener(monkeypatch):
    yield from pointing_every_proxy_at(monkeypatch)


async def test_the_embedded_sandbox_works_with_a_proxy_in_the_environment(
    listener, tmp_path, sandbox
):
    app = build_app(tmp_path, sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert app.workspace.profile.name == SANDBOX_PROFILE_NAME
        assert app.workspace.offers
    assert listener.received == []
