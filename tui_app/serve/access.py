"""Who may open a served basket-builder: the access key, the session cookie,
and the checks on the Host and Origin of each request.

Nothing here imports aiohttp, so the rules can be tested (and the command
line can refuse bad options) without the web stack.

- Bound to loopback (127.0.0.1, ::1, localhost) the demo needs no key, unless
  one is given; then the page asks for it as it would anywhere else.
- Bound anywhere else it always needs one: generated (and printed once) when
  none is given, refused when an empty one is.
- The browser never holds the key: after the key is typed, the cookie holds
  an HMAC of a random value made when the server started, keyed by the
  access key. A restart of the server ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ACCESS_KEY_ENV = "BASKET_BUILDER_ACCESS_KEY"
MIN_KEY_LENGTH = 12  # for a server other machines can reach
KEY_MAX_LENGTH = 512  # longer form input is not even compared
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


class AccessRefused(ValueError):
    """The options would serve the app unprotected; the message says what to do."""


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach. Names other than
    ``localhost`` are not resolved: they count as reachable from elsewhere."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def choose_access_key(
    host: str, given: str | None, environ: Mapping[str, str]
) -> tuple[str | None, bool]:
    """The access key to ask visitors for (None: no key), and whether it was
    generated here (then it must be shown to the person running the server).

    ``given`` is ``--access-key`` (None when it was left out); the
    environment variable stands in for it when it was."""
    key = given if given is not None else environ.get(ACCESS_KEY_ENV)
    if key is not None:
        key = key.strip()
    if is_loopback(host):
        return (key or None), False
    if key is None:
        return secrets.token_urlsafe(18), True
    where = "--access-key" if given is not None else ACCESS_KEY_ENV
    if not key:
        raise AccessRefused(
            f"--host {host} can be reached from other machines, so the demo needs an "
            f"access key, and {where} is empty. Leave it out to have one generated, or "
            f"give one of at least {MIN_KEY_LENGTH} characters."
        )
    if len(key) < MIN_KEY_LENGTH:
        raise AccessRefused(
            f"the access key from {where} is too short for --host {host}: use at least "
            f"{MIN_KEY_LENGTH} characters (or leave it out to have one generated)."
        )
    return key, False


@dataclass
class AccessGate:
    """Checks keys and session cookies for one run of the server."""

    key: str | None
    port: int = 0
    _nonce: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    @property
    def required(self) -> bool:
        return self.key is not None

    @property
    def cookie_name(self) -> str:
        # Cookies ignore the port: two demos on one machine keep apart by name.
        return f"basket_builder_session_{self.port}"

    def session_value(self) -> str:
        """What the cookie holds once the key was typed: never the key itself."""
        assert self.key is not None
        return hmac.new(
            self.key.encode("utf-8"), b"basket-builder serve session\0" + self._nonce,
            hashlib.sha256,
        ).hexdigest()

    def key_matches(self, offered: str | None) -> bool:
        """The typed key against the real one, in constant time."""
        if self.key is None:
            return True
        if offered is None or len(offered) > KEY_MAX_LENGTH:
            return False
        return hmac.compare_digest(offered.strip().encode("utf-8"), self.key.encode("utf-8"))

    def session_ok(self, cookie: str | None) -> bool:
        if self.key is None:
            return True
        if not cookie or len(cookie) > 128:
            return False
        return hmac.compare_digest(cookie.encode("utf-8", "replace"),
                                   self.session_value().encode("ascii"))


def host_allowed(host_header: str | None, bound_to_loopback: bool) -> bool:
    """A server on loopback answers only to loopback names: a web page whose
    own name resolves to 127.0.0.1 (DNS rebinding) is turned away."""
    if not bound_to_loopback:
        return True
    if not host_header:
        return False
    name = urlsplit(f"//{host_header}").hostname or ""
    return name.lower() in LOOPBACK_NAMES or is_loopback(name)


def origin_allowed(origin: str | None, host_header: str | None, scheme: str = "http") -> bool:
    """A browser sends Origin with every WebSocket and form post: it must be
    this page's own, so another site cannot drive a visitor's app."""
    if origin is None:
        return True  # not a browser (curl, a test client): nothing to forge
    if not host_header:
        return False
    return origin.rstrip("/").lower() == f"{scheme}://{host_header}".lower()
