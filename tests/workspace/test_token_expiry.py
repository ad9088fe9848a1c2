"""Test connection says when the token expires, for a JWT and for an opaque
token alike (a tenant's token endpoint need not hand out JWTs)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tui_app.services.connection import build_client
from tui_app.services.store.profiles import Profile, Secrets

from sandboxed import open_workspace


def tenant(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/oauth2/token":
        return httpx.Response(200, json={"access_token": "opaque-3f9c", "expires_in": 3600})
    return httpx.Response(200, json={"hits": 0, "items": []})


async def test_an_opaque_token_shows_its_expiry_from_expires_in(tmp_path, sandbox):
    workspace = open_workspace(tmp_path, sandbox)
    workspace.client_factory = lambda profile, secrets, **kw: build_client(
        profile, secrets, transport=httpx.MockTransport(tenant), **kw
    )
    report = await workspace.test_connection(
        Profile(name="opaque", tenant="acme.prod.limio.com", client_id="cid"),
        Secrets(client_secret="s3cret"),
    )
    assert report.ok, report.message
    assert report.expires_at is not None
    left = (report.expires_at - datetime.now(UTC)).total_seconds()
    assert 3590 < left <= 3600
