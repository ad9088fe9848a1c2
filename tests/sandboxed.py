"""Things built on a test's own sandbox server: the embedded-sandbox handle
the app gets at start, a workspace and a client on it, and orders of its
catalogue. Shared by the workspace, scenario, CLI and Pilot tests."""

from __future__ import annotations

from tui_app.sandbox import SandboxServer
from tui_app.services.api.auth import ClientCredentialsAuth
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.endpoints import Endpoint
from tui_app.services.api.models import InitiateCheckout
from tui_app.services.connection import SANDBOX_PROFILE_NAME, EmbeddedSandbox
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import ProfileStore
from tui_app.services.store.session import SessionStore
from tui_app.services.workspace import Workspace, new_external_id


def embedded(server: SandboxServer, stop_with_app: bool = False) -> EmbeddedSandbox:
    org = server.orgs[0]
    return EmbeddedSandbox(
        base_url=server.base_url,
        client_id=org.client_id,
        client_secret=org.client_secret,
        stop=server.stop if stop_with_app else (lambda: None),
    )


def open_workspace(config_dir, sandbox) -> Workspace:
    paths = AppPaths.resolve(config_dir)
    paths.ensure()
    profiles, session = ProfileStore(paths), SessionStore(paths)
    profiles.load()
    session.load()
    workspace = Workspace(profiles, session)
    workspace.attach_sandbox(embedded(sandbox))
    return workspace


async def connected(config_dir, sandbox) -> Workspace:
    """A workspace on the sandbox profile with its catalogue loaded."""
    workspace = open_workspace(config_dir, sandbox)
    await workspace.activate(SANDBOX_PROFILE_NAME)
    await workspace.load_catalogue()
    return workspace


def named(workspace, *names):
    by_name = {o.display_name: o for o in workspace.offers}
    return [by_name[name] for name in names]


def order(offers, country="GB", quantities=None):
    quantities = quantities or [1] * len(offers)
    return InitiateCheckout.model_validate(
        {
            "order": {
                "orderItems": [
                    {"offer": {"id": o.id, "version": o.version}, "quantity": q,
                     "type": o.item_type.value}
                    for o, q in zip(offers, quantities, strict=True)
                ],
                "external_id": new_external_id(),
                "country": country,
                "source": "pytest",
                "order_type": "new",
            }
        }
    )


def client_for(server) -> CheckoutClient:
    org = server.orgs[0]
    return CheckoutClient(
        Endpoint.from_base_url(server.base_url),
        ClientCredentialsAuth(org.client_id, org.client_secret),
    )
