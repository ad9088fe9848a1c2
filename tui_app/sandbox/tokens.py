"""Partner credentials and the bearer tokens the sandbox issues and checks.

Tokens are HS256 JWTs signed with a random key kept in the database, so a
file-backed sandbox still accepts its tokens after a restart. Verification
pins the algorithm (``alg: none`` and other keys are refused) and requires an
expiry; the organisation named in the token must still exist.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from tui_app.sandbox.db import Database, Org, Transaction

ISSUER = "basket-builder-sandbox"
SCOPE = "partner"
ALGORITHM = "HS256"
DEMO_TOKEN_TTL = 365 * 24 * 3600
# Re-mint a stored demo token once it has less than this left, so a long-lived
# file database never hands out a token that is about to die.
DEMO_TOKEN_MIN_LEFT = 30 * 24 * 3600

# (organisation id, display name, OAuth client id); secrets are generated per database.
DEMO_ORGS = (
    ("org-northwind", "Northwind Media", "sandbox-northwind"),
    ("org-contoso", "Contoso Publishing", "sandbox-contoso"),
)


class TokenError(Exception):
    """A bearer token was refused; the message is the short reason."""


@dataclass(frozen=True)
class Claims:
    org: Org
    claims: dict[str, Any]


class Credentials:
    """Seeds the demo organisations, authenticates clients, mints and checks tokens."""

    def __init__(self, db: Database, ttl: int = 3600) -> None:
        self._db = db
        self.ttl = ttl
        self._key = db.run(self._seed)

    def _seed(self, tx: Transaction) -> bytes:
        key_hex = tx.get_meta("signing_key")
        if key_hex is None:
            key_hex = secrets.token_bytes(64).hex()
            tx.set_meta("signing_key", key_hex)
        key = bytes.fromhex(key_hex)
        for org_id, name, client_id in DEMO_ORGS:
            if tx.get_org(org_id) is None:
                tx.insert_org(Org(org_id, name, client_id, secrets.token_urlsafe(32), ""))
        for org in tx.list_orgs():
            if not self._still_good(org.demo_token, key):
                tx.set_demo_token(org.id, self._encode(org, DEMO_TOKEN_TTL, key))
        return key

    def _still_good(self, token: str, key: bytes) -> bool:
        if not token:
            return False
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=ISSUER)
        except jwt.PyJWTError:
            return False
        return claims["exp"] - time.time() > DEMO_TOKEN_MIN_LEFT

    @property
    def orgs(self) -> list[Org]:
        return self._db.run(lambda tx: tx.list_orgs())

    def authenticate_client(self, client_id: str, client_secret: str) -> Org | None:
        """The organisation whose client credentials these are, or None."""
        org = self._db.run(lambda tx: tx.org_by_client_id(client_id))
        # Compare even for an unknown client so timing does not tell which ids exist.
        expected = org.client_secret if org else secrets.token_urlsafe(32)
        matches = hmac.compare_digest(expected.encode(), client_secret.encode())
        return org if org is not None and matches else None

    def mint(self, org: Org, ttl: int | None = None) -> str:
        """A signed access token for the organisation; ``ttl <= 0`` gives an expired one."""
        return self._encode(org, self.ttl if ttl is None else ttl, self._key)

    @staticmethod
    def _encode(org: Org, ttl: int, key: bytes) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": org.client_id,
            "org": org.id,
            "org_name": org.name,
            "scope": SCOPE,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Claims:
        """The token's organisation and claims; raises TokenError with a short reason."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "iss", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenError("bad token signature") from exc
        except jwt.InvalidAlgorithmError as exc:
            raise TokenError("token algorithm not allowed") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise TokenError(f"token has no '{exc.claim}' claim") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenError("token from another issuer") from exc
        except jwt.DecodeError as exc:
            raise TokenError("malformed token") from exc
        except jwt.PyJWTError as exc:
            raise TokenError("invalid token") from exc
        scopes = str(claims.get("scope", "")).split()
        if SCOPE not in scopes:
            raise TokenError(f"token lacks the '{SCOPE}' scope")
        org_id = claims.get("org")
        org = self._db.run(lambda tx: tx.get_org(org_id)) if isinstance(org_id, str) else None
        if org is None:
            raise TokenError("unknown organisation")
        return Claims(org=org, claims=claims)
