"""When a failed call may be sent again, and how long to wait before it.

Only what is safe to repeat is repeated; see ``RETRY_SAFE``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tui_app.services.api import errors

T = TypeVar("T")

# Which operations may be sent again after a transient failure:
# - validate and the catalogue only read;
# - initiate is "create or update" keyed by external_id, so a repeat updates
#   the same basket instead of making a second one;
# - update is NEVER retried: a repeated "add" would add the item twice. When
#   its outcome is unknown the caller is told so (OutcomeUnknown) and must
#   re-read the basket before acting again.
RETRY_SAFE = frozenset({"validate", "offers", "initiate"})
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF = 0.25


def _transient(error: errors.ApiError) -> bool:
    if isinstance(error, errors.UpstreamError):
        return not error.refused  # see client.refused_by_the_api
    # Unknown hosts and untrusted certificates do not fix themselves.
    return not isinstance(error, errors.NameResolutionError | errors.TLSError)


def _may_have_arrived(error: errors.ApiError) -> bool:
    """True when the request may have reached the server: the connection
    dropped or timed out after it was sent (not refused, not unresolved)."""
    return isinstance(error, errors.TransportError) and not isinstance(
        error, errors.ConnectionRefused | errors.NameResolutionError | errors.TLSError
    ) and not getattr(error, "before_sending", False)


async def with_retries(
    operation: str, attempt: Callable[[], Awaitable[T]], *, retries: int, backoff: float
) -> T:
    """Run ``attempt``, again after a transient failure if ``operation`` is safe
    to repeat; an update whose request may have arrived raises OutcomeUnknown."""
    retries = retries if operation in RETRY_SAFE else 0
    for number in range(retries + 1):
        try:
            return await attempt()
        except (errors.UpstreamError, errors.TransportError) as exc:
            if number == retries or not _transient(exc):
                if operation == "update" and _may_have_arrived(exc):
                    raise errors.OutcomeUnknown(exc.message, exchange=exc.exchange) from None
                raise
        # Backoff with jitter: 0.25 s, 0.5 s, ... so a struggling server
        # is not hammered by every client at the same instant.
        await asyncio.sleep(backoff * (2**number) * (0.5 + random.random()))
    raise AssertionError("unreachable")
