"""The sandbox's OAuth endpoint and bearer-token checks, over loopback."""

from __future__ import annotations

import base64
import json
import time

import httpx
import jwt
import pytest

GRANT = "client_credentials"


def mint(sandbox, **fields) -> httpx.Response:
    return httpx.post(sandbox.token_url, data=fields)


def offers(sandbox, authorization: str | None) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return httpx.get(f"{sandbox.base_url}/offers/v2", headers=headers)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_demo_organisations_have_distinct_generated_credentials(sandbox):
    orgs = sandbox.orgs
    assert {org.id for org in orgs} >= {"org-northwind", "org-contoso"}
    assert len({org.client_secret for org in orgs}) == len(orgs)
    assert all(len(org.client_secret) >= 32 for org in orgs)
    assert "client_secret" not in repr(orgs[0]) and orgs[0].client_secret not in repr(orgs[0])


def test_form_credentials_mint_a_working_token(sandbox):
    org = sandbox.orgs[0]
    reply = mint(
        sandbox, grant_type=GRANT, client_id=org.client_id, client_secret=org.client_secret
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["org"] == org.id and claims["sub"] == org.client_id
    assert claims["scope"] == "partner" and claims["iss"] == "basket-builder-sandbox"
    assert claims["exp"] - claims["iat"] == 3600 and claims["jti"]
    assert offers(sandbox, f"Bearer {body['access_token']}").status_code == 200


def test_http_basic_credentials_are_accepted_too(sandbox):
    org = sandbox.orgs[1]
    reply = httpx.post(
        sandbox.token_url,
        data={"grant_type": GRANT},
        auth=(org.client_id, org.client_secret),
    )
    assert reply.status_code == 200
    claims = jwt.decode(reply.json()["access_token"], options={"verify_signature": False})
    assert claims["org"] == org.id


def test_a_wrong_secret_is_invalid_client(sandbox):
    org = sandbox.orgs[0]
    reply = mint(sandbox, grant_type=GRANT, client_id=org.client_id, client_secret="guess")
    assert reply.status_code == 401
    assert reply.headers["content-type"] == "application/json"
    assert reply.json()["error"] == "invalid_client" and reply.json()["message"]


def test_an_unknown_client_is_invalid_client(sandbox):
    reply = mint(sandbox, grant_type=GRANT, client_id="nobody", client_secret="x")
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_client"


def test_another_grant_type_is_unsupported(sandbox):
    org = sandbox.orgs[0]
    reply = mint(
        sandbox, grant_type="password", client_id=org.client_id, client_secret=org.client_secret
    )
    assert reply.status_code == 400
    assert reply.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("missing", ["grant_type", "client_id", "client_secret"])
def test_a_missing_field_is_an_invalid_request(sandbox, missing):
    org = sandbox.orgs[0]
    fields = {"grant_type": GRANT, "client_id": org.client_id, "client_secret": org.client_secret}
    del fields[missing]
    reply = mint(sandbox, **fields)
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_request"


def test_the_demo_token_is_long_lived_and_works(sandbox):
    org = sandbox.orgs[0]
    claims = jwt.decode(org.demo_token, options={"verify_signature": False})
    assert claims["exp"] - time.time() > 360 * 24 * 3600
    assert offers(sandbox, f"Bearer {org.demo_token}").status_code == 200


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing Authorization header"),
        ("sk_live_legacy_key_123", "Bearer"),  # a raw legacy API key
        ("Bearer", "Bearer"),
        ("Bearer not-a-jwt", "malformed token"),
        ("Basic dXNlcjpwYXNz", "Bearer"),
    ],
)
def test_requests_without_a_usable_bearer_token_are_refused(sandbox, authorization, reason):
    reply = offers(sandbox, authorization)
    assert reply.status_code == 401
    assert reply.headers["content-type"] == "application/json"
    assert reply.json()["message"].startswith("Unauthorized: ")
    assert reason in reply.json()["message"]


def test_an_unsigned_alg_none_token_is_refused(sandbox):
    good = jwt.decode(sandbox.orgs[0].demo_token, options={"verify_signature": False})
    forged = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(good)}."
    reply = offers(sandbox, f"Bearer {forged}")
    assert reply.status_code == 401
    assert reply.json()["message"] == "Unauthorized: token algorithm not allowed"


def test_a_token_signed_with_another_key_is_refused(sandbox):
    claims = jwt.decode(sandbox.orgs[0].demo_token, options={"verify_signature": False})
    forged = jwt.encode(claims, "a-key-the-sandbox-never-had-0123456789abcdef", algorithm="HS256")
    reply = offers(sandbox, f"Bearer {forged}")
    assert reply.status_code == 401
    assert reply.json()["message"] == "Unauthorized: bad token signature"


def test_a_token_from_another_sandbox_is_refused(sandbox, fresh_sandbox):
    # Each database has its own signing key.
    reply = offers(sandbox, f"Bearer {fresh_sandbox.orgs[0].demo_token}")
    assert reply.status_code == 401


def test_an_expired_token_is_refused(fresh_sandbox_factory):
    sandbox = fresh_sandbox_factory(token_ttl=3)  # long enough for the first call on a busy machine
    org = sandbox.orgs[0]
    token = mint(
        sandbox, grant_type=GRANT, client_id=org.client_id, client_secret=org.client_secret
    ).json()["access_token"]
    assert offers(sandbox, f"Bearer {token}").status_code == 200
    time.sleep(3.2)
    reply = offers(sandbox, f"Bearer {token}")
    assert reply.status_code == 401
    assert reply.json()["message"] == "Unauthorized: token expired"


def test_a_minted_expired_token_is_refused(sandbox):
    token = sandbox.mint_token("org-contoso", ttl=-10)
    assert offers(sandbox, f"Bearer {token}").json()["message"] == "Unauthorized: token expired"


def test_auth_is_checked_before_the_body_is_read(sandbox):
    reply = httpx.post(
        f"{sandbox.base_url}/partner/checkout/initiate",
        content=b"not json",
        headers={"Content-Type": "text/plain"},
    )
    assert reply.status_code == 401


def test_the_token_endpoint_is_at_the_root_not_under_api(sandbox):
    org = sandbox.orgs[0]
    reply = httpx.post(
        f"{sandbox.base_url}/oauth2/token",
        data={"grant_type": GRANT, "client_id": org.client_id, "client_secret": org.client_secret},
    )
    assert reply.status_code == 404
    assert reply.json() == {"message": "Not Found"}


def test_basic_credentials_may_repeat_the_client_id_in_the_form(sandbox):
    org = sandbox.orgs[0]
    reply = httpx.post(
        sandbox.token_url,
        data={"grant_type": GRANT, "client_id": org.client_id},
        auth=(org.client_id, org.client_secret),
    )
    assert reply.status_code == 200
    clash = httpx.post(
        sandbox.token_url,
        data={"grant_type": GRANT, "client_id": sandbox.orgs[1].client_id},
        auth=(org.client_id, org.client_secret),
    )
    assert clash.status_code == 400 and clash.json()["error"] == "invalid_request"
