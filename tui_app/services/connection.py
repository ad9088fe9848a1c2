"""From a stored profile to a working client.

The profile says where and how (tenant or base URL, auth kind, timeout,
cookie template, CA bundle); the secrets say with what. A profile that cannot
work yet (no secret, a bad address) is refused here with a message naming
what to fix, before any request is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui_app.services.api.auth import Auth, BearerAuth, ClientCredentialsAuth
from tui_app.services.api.cookies import DEFAULT_COOKIE_TEMPLATE, BasketCookies
from tui_app.services.api.endpoints import Endpoint, EndpointError
from tui_app.services.api.exchange import ExchangeLog
from tui_app.services.store.profiles import AuthKind, Profile, Secrets

if TYPE_CHECKING:  # httpx loads with the first client, after the app's first paint
    import httpx

    from tui_app.services.api.client import CheckoutClient

# The built-in profile: always there, never stored, pointed at whichever port
# the embedded sandbox got this run. Its baskets are remembered under a fixed
# identity so a restart (and a new port) still finds them.
SANDBOX_PROFILE_NAME = "Sandbox (embedded)"
SANDBOX_ENDPOINT_ID = "sandbox:embedded"


class ProfileNotUsable(ValueError):
    """The profile is missing something it needs; the message says what."""


def endpoint_for(profile: Profile) -> Endpoint:
    try:
        return Endpoint.from_settings(profile.tenant, profile.base_url)
    except EndpointError as exc:
        raise ProfileNotUsable(f"profile {profile.name!r}: {exc}") from None


def endpoint_identity(profile: Profile) -> str:
    """A stable name for the server a profile talks to: baskets of different
    servers are never mixed up, even under one profile name."""
    if profile.name == SANDBOX_PROFILE_NAME:
        return SANDBOX_ENDPOINT_ID
    return endpoint_for(profile).api_base


def auth_for(profile: Profile, secrets: Secrets) -> Auth:
    values = secrets.reveal()
    try:
        if profile.auth == AuthKind.BEARER:
            if "token" not in values:
                raise ProfileNotUsable(
                    f"profile {profile.name!r} uses a bearer token but none is stored"
                )
            return BearerAuth(values["token"])
        if "client_secret" not in values or not profile.client_id:
            raise ProfileNotUsable(
                f"profile {profile.name!r} uses client credentials but the "
                + ("client id" if not profile.client_id else "client secret")
                + " is missing"
            )
        return ClientCredentialsAuth(profile.client_id, values["client_secret"])
    except ValueError as exc:
        if isinstance(exc, ProfileNotUsable):
            raise
        raise ProfileNotUsable(f"profile {profile.name!r}: {exc}") from None


def build_client(
    profile: Profile,
    secrets: Secrets,
    *,
    log: ExchangeLog | None = None,
    cookies: BasketCookies | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CheckoutClient:
    from tui_app.services.api.client import CheckoutClient

    return CheckoutClient(
        endpoint_for(profile),
        auth_for(profile, secrets),
        timeout=profile.timeout,
        cookies=cookies,
        cookie_template=profile.cookie_template or DEFAULT_COOKIE_TEMPLATE,
        log=log,
        transport=transport,
        ca_bundle=profile.ca_bundle,
    )


@dataclass(frozen=True)
class EmbeddedSandbox:
    """What the app needs of a running embedded sandbox. The command line
    starts the server and hands this over, so the app never imports it."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    stop: Callable[[], None] = field(repr=False)
    # The process's exit status once it has ended, None while it runs (a
    # sandbox without a process of its own never ends on its own).
    poll: Callable[[], int | None] = field(default=lambda: None, repr=False)
    pid: int | None = None

    def exit_status(self) -> int | None:
        return self.poll()

    def profile(self) -> tuple[Profile, Secrets]:
        profile = Profile(
            name=SANDBOX_PROFILE_NAME,
            base_url=self.base_url,
            auth=AuthKind.CLIENT_CREDENTIALS,
            client_id=self.client_id,
        )
        return profile, Secrets(client_secret=self.client_secret)
