"""Where a profile's requests go: the API base URL and the OAuth token URL.

A Limio tenant is a bare hostname (``acme.prod.limio.com``): its API lives at
``https://{tenant}/api`` and its token endpoint at the host root,
``https://{tenant}/oauth2/token``. An explicit base URL is accepted too (the
embedded sandbox, a proxy, a mock). Plain ``http://`` is refused unless the
host is loopback, because the bearer token would otherwise travel in the clear.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOSTNAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


class EndpointError(ValueError):
    """A tenant or base URL that cannot be used; the message says why."""


@dataclass(frozen=True)
class Endpoint:
    api_base: str  # no trailing slash, e.g. https://acme.prod.limio.com/api
    token_url: str

    @classmethod
    def from_tenant(cls, tenant: str) -> Endpoint:
        host = check_tenant(tenant)
        return cls(api_base=f"https://{host}/api", token_url=f"https://{host}/oauth2/token")

    @classmethod
    def from_base_url(cls, base_url: str) -> Endpoint:
        api_base = check_base_url(base_url)
        parts = urlsplit(api_base)
        token_url = urlunsplit((parts.scheme, parts.netloc, "/oauth2/token", "", ""))
        return cls(api_base=api_base, token_url=token_url)

    @classmethod
    def from_settings(cls, tenant: str | None, base_url: str | None) -> Endpoint:
        if tenant and base_url:
            raise EndpointError("give either a tenant or a base URL, not both")
        if tenant:
            return cls.from_tenant(tenant)
        if base_url:
            return cls.from_base_url(base_url)
        raise EndpointError("a tenant hostname or a base URL is required")

    def url(self, path: str) -> str:
        return f"{self.api_base}/{path.lstrip('/')}"

    @property
    def hosts(self) -> tuple[str, ...]:
        """The hosts of the API and of the token endpoint."""
        return tuple(
            dict.fromkeys(urlsplit(url).hostname or "" for url in (self.api_base, self.token_url))
        )

    @property
    def uses_tls(self) -> bool:
        """Whether any URL it names is https:// (plain http:// is allowed for
        loopback hosts only, see check_base_url)."""
        return any(urlsplit(url).scheme != "http" for url in (self.api_base, self.token_url))

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(urlsplit(self.api_base).hostname or "")


def _refuse_odd_characters(text: str, what: str) -> None:
    if not text:
        raise EndpointError(f"{what} is empty")
    for char in text:
        if char.isspace():
            raise EndpointError(f"{what} contains a space or line break")
        if ord(char) < 32 or ord(char) == 127:
            raise EndpointError(f"{what} contains a control character")


def check_tenant(tenant: str) -> str:
    """Return ``host`` or ``host:port`` if ``tenant`` is a bare hostname."""
    _refuse_odd_characters(tenant, "the tenant")
    if "://" in tenant:
        raise EndpointError(
            "the tenant is a hostname such as acme.prod.limio.com, without https:// "
            "(use a base URL for a full address)"
        )
    if "@" in tenant:
        raise EndpointError("the tenant must not contain '@' (no user names in hostnames)")
    if "/" in tenant or "?" in tenant or "#" in tenant:
        raise EndpointError(
            "the tenant is a hostname only, without a path such as /api "
            "(use a base URL for a full address)"
        )
    host, _, port = tenant.partition(":")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise EndpointError(f"the tenant's port {port!r} is not a number from 1 to 65535")
    if not _HOSTNAME_RE.match(host) or len(host) > 253:
        raise EndpointError(f"{host!r} is not a valid hostname")
    return tenant.lower()


def check_base_url(base_url: str) -> str:
    """Return the normalised base URL (no trailing slash) or raise EndpointError."""
    _refuse_odd_characters(base_url, "the base URL")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https"):
        raise EndpointError("the base URL must start with https:// (or http:// for loopback)")
    if parts.username or parts.password or "@" in parts.netloc:
        raise EndpointError("the base URL must not contain a user name or password")
    host = parts.hostname or ""
    if not host:
        raise EndpointError("the base URL has no host")
    try:
        port = parts.port
    except ValueError as exc:
        raise EndpointError("the base URL's port is not a number from 1 to 65535") from exc
    if port == 0:
        raise EndpointError("the base URL's port is not a number from 1 to 65535")
    if parts.query or parts.fragment:
        raise EndpointError("the base URL must not have a query (?...) or fragment (#...)")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise EndpointError(
            f"plain http:// is only allowed for loopback hosts; {host} would receive the "
            "token in the clear — use https://"
        )
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
