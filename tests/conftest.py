from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tui_app.sandbox import SandboxServer


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """One in-memory sandbox shared by the session: use unique external ids."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def fresh_sandbox() -> Iterator[SandboxServer]:
    """A sandbox of the test's own, for tests that need an empty database."""
    with SandboxServer() as server:
        yield server


@pytest.fixture
def fresh_sandbox_factory() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes with custom settings (``token_ttl=2``, ``db_path=...``);
    all are stopped when the test ends."""
    started: list[SandboxServer] = []

    def start(**settings: Any) -> SandboxServer:
        server = SandboxServer(**settings).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory, monkeypatch):
    """Keep every test away from the developer's own config and data."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BASKET_BUILDER_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
