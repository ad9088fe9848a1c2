"""What can go wrong talking to a tenant, as a small typed hierarchy.

Every error carries a message a user can read (the server's own ``message``
where it sent one), a hint saying what to do next, and the exchange that
produced it (already redacted), so the UI can show both and the inspector can
show the raw reply.

    ApiError
    ├── RequestInvalid        refused before sending (field-level messages)
    ├── Unauthorized          401, or the token endpoint refused the credentials
    ├── BasketNotFound        404 on update / validate
    ├── UpstreamError         502 (invalid payload or a transient fault), 503, 504
    ├── UnexpectedReply       non-JSON, wrong shape, undocumented status
    └── TransportError        nothing usable came back
        ├── OutcomeUnknown    an update was sent, the reply was lost
        ├── TimeoutError_     (named with a trailing underscore: not the builtin)
        ├── ConnectionRefused
        ├── NameResolutionError
        └── TLSError
"""

from __future__ import annotations

from typing import Any

from tui_app.services.api.exchange import Exchange


class ApiError(Exception):
    """Base of every error the client raises."""

    title = "Request failed"
    hint = ""

    def __init__(
        self,
        message: str,
        *,
        exchange: Exchange | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exchange = exchange
        self.status = status
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return self.message

    @property
    def summary(self) -> str:
        """One line for a status bar: what happened and what to do."""
        text = f"{self.title}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class RequestInvalid(ApiError):
    title = "Not sent"
    hint = "correct the fields named above"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Unauthorized(ApiError):
    title = "Unauthorized (401)"
    hint = "check the token or client credentials of this profile"


class BasketNotFound(ApiError):
    title = "Basket not found (404)"
    hint = (
        "the basket may have expired, belong to another partner organisation, "
        "or its landing-state cookie was lost — start a new basket"
    )


class UpstreamError(ApiError):
    title = "Rejected or upstream fault (502)"
    hint = "check the fields the message names; if it looks transient, try again"

    def __init__(self, message: str, *, refused: bool = False, **details: Any) -> None:
        super().__init__(message, **details)
        # True when the API itself refused the payload (a 502 with a JSON
        # message): sending the same body again cannot help.
        self.refused = refused


class UnexpectedReply(ApiError):
    title = "Unexpected reply"
    hint = "the server did not answer as the spec says — see the raw reply in the inspector"


class TransportError(ApiError):
    title = "No reply"
    hint = "check the network and the tenant address"
    before_sending = False  # True when the request certainly never left


class OutcomeUnknown(TransportError):
    """An update was sent but no complete reply came back: it may or may not
    have been applied. Never retried; re-read the basket before acting again."""

    title = "Outcome unknown"
    hint = (
        "the update may or may not have been applied — the basket has been re-read "
        "from the server; check it before trying again"
    )


class TimeoutError_(TransportError):  # a trailing _ keeps the builtin usable
    title = "Timed out"
    hint = "the server is slow or unreachable; try again, or raise the profile's timeout"


class ConnectionRefused(TransportError):
    title = "Connection refused"
    hint = "nothing is listening at that address — is the server running and the port right?"


class NameResolutionError(TransportError):
    title = "Unknown host"
    hint = "the hostname could not be resolved — check the tenant for typos"


class TLSError(TransportError):
    title = "TLS failure"
    hint = (
        "the server's certificate was not trusted — on a corporate network set the "
        "profile's CA bundle"
    )
