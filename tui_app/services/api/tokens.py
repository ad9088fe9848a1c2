"""Reading what a JWT says about itself, for display only.

The client never trusts these claims for anything but showing them ("which
partner organisation", "expires in 52 min"): the server checks the signature.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class TokenInfo:
    claims: dict[str, Any]

    @property
    def expires_at(self) -> datetime | None:
        exp = self.claims.get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            try:
                return datetime.fromtimestamp(exp, UTC)
            except (OverflowError, OSError, ValueError):
                return None
        return None

    @property
    def organisation(self) -> str | None:
        for key in ("org_name", "org", "organisation", "organization", "partner", "sub"):
            value = self.claims.get(key)
            if isinstance(value, str) and value:
                return value
        return None

    @property
    def scope(self) -> str | None:
        value = self.claims.get("scope")
        return value if isinstance(value, str) else None


def decode_unverified(token: str) -> TokenInfo | None:
    """The payload of a JWT without checking its signature, or None if the
    token is not a JWT (an opaque token is fine: we just know less)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeError):
        return None
    return TokenInfo(claims) if isinstance(claims, dict) else None


def describe_expiry(expires_at: datetime, now: datetime | None = None) -> str:
    """'in 52 min', 'in 3 h 5 min', 'expired 4 min ago'."""
    now = now or datetime.now(UTC)
    seconds = int((expires_at - now).total_seconds())
    past = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        text = f"{seconds} s"
    elif seconds < 3600:
        text = f"{seconds // 60} min"
    elif seconds < 86400 * 2:
        hours, rest = divmod(seconds, 3600)
        text = f"{hours} h {rest // 60} min" if rest >= 60 else f"{hours} h"
    else:
        text = f"{seconds // 86400} days"
    return f"expired {text} ago" if past else f"in {text}"
