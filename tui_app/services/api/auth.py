"""Authentication: a fixed bearer token, or OAuth client credentials.

Client credentials are exchanged at the tenant's token URL for a JWT that
lasts about an hour. The token is cached, re-minted shortly before it expires,
and re-minted once when the API answers 401 (a token revoked or expired early).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from tui_app.services.api.tokens import TokenInfo, decode_unverified

# Re-mint this long before the server would refuse the token, so a request
# never leaves with a token that dies in flight.
REFRESH_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class AccessToken:
    value: str
    obtained_at: float  # time.monotonic()
    lifetime: float | None  # seconds, from expires_in (or the JWT's exp)

    @property
    def info(self) -> TokenInfo | None:
        return decode_unverified(self.value)

    @property
    def expires_at(self) -> datetime | None:
        """When the token dies, as wall-clock time: the JWT's own ``exp``, or
        for an opaque token the ``expires_in`` the token endpoint gave."""
        info = self.info
        if info is not None and info.expires_at is not None:
            return info.expires_at
        if self.lifetime is None:
            return None
        left = self.lifetime - (time.monotonic() - self.obtained_at)
        return datetime.now(UTC) + timedelta(seconds=left)

    def fresh(self, margin: float = REFRESH_MARGIN_SECONDS) -> bool:
        if self.lifetime is None:
            return True
        usable_for = self.lifetime - min(margin, self.lifetime / 2)
        return time.monotonic() - self.obtained_at < usable_for

    def __repr__(self) -> str:  # never print the token itself
        return f"AccessToken(lifetime={self.lifetime!r})"


class TokenMinter(Protocol):
    async def __call__(self) -> AccessToken: ...


class Auth:
    """Supplies the Authorization header value for each request."""

    can_refresh = False

    async def header(self) -> str:
        raise NotImplementedError

    def invalidate(self) -> None:
        """Forget the current token (after a 401)."""

    @property
    def secrets(self) -> list[str]:
        """Values that must be masked wherever they would appear."""
        return []

    @property
    def current(self) -> AccessToken | None:
        return None


class BearerAuth(Auth):
    def __init__(self, token: str) -> None:
        token = token.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token:
            raise ValueError("the bearer token is empty")
        if any(ord(c) < 33 or ord(c) == 127 for c in token):
            raise ValueError("the bearer token contains spaces or control characters")
        self._token = AccessToken(token, time.monotonic(), None)

    async def header(self) -> str:
        return f"Bearer {self._token.value}"

    @property
    def secrets(self) -> list[str]:
        return [self._token.value]

    @property
    def current(self) -> AccessToken:
        return self._token

    def __repr__(self) -> str:
        return "BearerAuth(***)"


class ClientCredentialsAuth(Auth):
    can_refresh = True

    def __init__(self, client_id: str, client_secret: str) -> None:
        if not client_id.strip():
            raise ValueError("the client id is empty")
        if not client_secret:
            raise ValueError("the client secret is empty")
        self.client_id = client_id.strip()
        self._client_secret = client_secret
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()
        self.minter: TokenMinter | None = None  # set by the client that owns it

    @property
    def client_secret(self) -> str:
        return self._client_secret

    async def header(self) -> str:
        token = await self.token()
        return f"Bearer {token.value}"

    async def token(self) -> AccessToken:
        # One mint at a time: concurrent requests share the new token instead
        # of each minting their own.
        async with self._lock:
            if self._token is None or not self._token.fresh():
                if self.minter is None:
                    raise RuntimeError("ClientCredentialsAuth is not attached to a client")
                self._token = await self.minter()
            return self._token

    def invalidate(self) -> None:
        self._token = None

    @property
    def current(self) -> AccessToken | None:
        return self._token

    @property
    def secrets(self) -> list[str]:
        values = [self._client_secret]
        if self._token is not None:
            values.append(self._token.value)
        return values

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(client_id={self.client_id!r}, client_secret=***)"
