"""The exchange log: every request and response the client made, redacted.

What is recorded is already safe to show, save or export: the Authorization
header keeps only its scheme, cookie values are masked, and secret fields in
form or JSON bodies (``client_secret``, ``access_token``, ...) are replaced, as
is any known secret value wherever it appears. A caller that wants to offer an
explicit "reveal" can ask the log to keep the raw exchanges in memory
(``keep_raw=True``); they are never written anywhere by this module.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

MASK = "***"
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "password",
        "token",
        "secret",
    }
)
_COOKIE_PAIR = re.compile(r"(?P<name>[^=;,\s]+)=(?P<value>[^;]*)")

Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class Exchange:
    """One request and its reply (or the error that stopped it)."""

    id: int
    started_at: datetime
    method: str
    url: str
    request_headers: Headers
    request_body: str
    status: int | None = None
    response_headers: Headers = field(default_factory=list)
    response_body: str = ""
    duration_ms: float = 0.0
    error: str | None = None

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def response_size(self) -> int:
        return len(self.response_body.encode())

    def header(self, name: str, *, response: bool = True) -> str | None:
        headers = self.response_headers if response else self.request_headers
        for key, value in headers:
            if key.lower() == name.lower():
                return value
        return None


def _redact_authorization(value: str) -> str:
    scheme, _, credentials = value.partition(" ")
    return f"{scheme} {MASK}" if credentials else MASK


def _redact_cookies(value: str) -> str:
    return _COOKIE_PAIR.sub(lambda m: f"{m['name']}={MASK}", value)


def _redact_set_cookie(value: str) -> str:
    name, sep, rest = value.partition("=")
    if not sep:
        return value
    _, semi, attributes = rest.partition(";")
    return f"{name}={MASK}{semi}{attributes}"


def redact_headers(headers: Iterable[tuple[str, str]]) -> Headers:
    redacted = []
    for name, value in headers:
        lower = name.lower()
        if lower in ("authorization", "proxy-authorization"):
            value = _redact_authorization(value)
        elif lower == "cookie":
            value = _redact_cookies(value)
        elif lower == "set-cookie":
            value = _redact_set_cookie(value)
        redacted.append((name, value))
    return redacted


def _redact_json(value: object) -> object:
    if isinstance(value, dict):
        return {
            key: (MASK if key.lower() in SECRET_KEYS and value else _redact_json(value))
            for key, value in value.items()
        }
    if isinstance(value, list):
        return [_redact_json(item) for item in value]
    return value


# Each secret key, quoted, as bytes: a substring search per key costs less
# than one regular expression of them all, and lower-casing bytes (ASCII
# only) about a tenth of lower-casing text (500-item reply: 3.2 -> 1.8 ms).
_QUOTED_SECRET_KEYS = tuple(f'"{key}"'.encode() for key in sorted(SECRET_KEYS))
# How those keys end, quoted: what a body with none of them lacks, found in
# three searches instead of seven (a key is only looked for when its ending is
# there).
_QUOTED_KEY_ENDINGS = tuple(sorted({f'{key.rsplit("_", 1)[-1]}"'.encode() for key in SECRET_KEYS}))
# The one character outside ASCII whose lower case is in a secret key: the
# Kelvin sign, "k". (U+0130 lower-cases to "i" and a combining dot: no key.)
_KELVIN = "\u212a"


def _may_hold_secret_keys(body: str) -> bool:
    """False only when no secret key can be in this JSON text: none appears
    quoted (compared as _redact_json compares them), and no backslash-u escape could
    spell one. Lets a 500-line order skip a parse and a walk. Each search is
    one C can do quickly: the Kelvin sign in text of narrower characters is
    known absent at once, a single byte is found by memchr, and the keys are
    looked for only where one of their endings is (500-item reply: 1.7 ->
    1.2 ms)."""
    if _KELVIN in body:
        return True
    encoded = body.encode("utf-8", "surrogatepass")
    if b"\\" in encoded and b"\\u" in encoded:
        return True
    lowered = encoded.lower()
    return any(ending in lowered for ending in _QUOTED_KEY_ENDINGS) and any(
        key in lowered for key in _QUOTED_SECRET_KEYS
    )


def redact_body(body: str, content_type: str | None) -> str:
    """Mask secret fields in a JSON or form body; other bodies pass unchanged."""
    if not body:
        return body
    kind = (content_type or "").lower()
    if "json" in kind or body.lstrip().startswith(("{", "[")):
        if not _may_hold_secret_keys(body):
            return body
        try:
            parsed = json.loads(body)
        except ValueError:
            return body
        redacted = _redact_json(parsed)
        return body if redacted == parsed else json.dumps(redacted)
    if "x-www-form-urlencoded" in kind:
        pairs = parse_qsl(body, keep_blank_values=True)
        masked = [(k, MASK if k.lower() in SECRET_KEYS else v) for k, v in pairs]
        return urlencode(masked, safe="*")
    return body


# A known secret shorter than this is not searched for: it would mask
# ordinary words and numbers all over a log (the exchange log and the
# scenario runner's output follow the same rule).
SECRET_MIN_LENGTH = 4


def maskable(secrets: Iterable[str | None]) -> list[str]:
    """The secret values worth searching for, longest first (so a secret
    that contains another is masked whole)."""
    return sorted({s for s in secrets if s and len(s) >= SECRET_MIN_LENGTH},
                  key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value wherever it appears."""
    return mask(text, maskable(secrets))


def mask(text: str, maskable_secrets: Iterable[str]) -> str:
    """``text`` with each of ``maskable_secrets`` (as ``maskable`` gives
    them: longest first) replaced."""
    for secret in maskable_secrets:
        text = text.replace(secret, MASK)
    return text


class ExchangeLog:
    """An in-memory, bounded, newest-last record of exchanges."""

    def __init__(self, limit: int = 1000, *, keep_raw: bool = False) -> None:
        self.limit = limit
        self.keep_raw = keep_raw
        self._entries: list[Exchange] = []
        self._raw: dict[int, Exchange] = {}
        self._ids = itertools.count(1)
        self._secrets: set[str] = set()
        self._listeners: list = []

    def add_secret(self, value: str | None) -> None:
        """Register a value (token, client secret) to mask wherever it appears."""
        if value:
            self._secrets.add(value)

    def subscribe(self, listener) -> None:
        """Call ``listener(exchange)`` after each recorded exchange."""
        self._listeners.append(listener)

    def unsubscribe(self, listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def record(
        self,
        *,
        method: str,
        url: str,
        request_headers: Iterable[tuple[str, str]],
        request_body: str,
        status: int | None,
        response_headers: Iterable[tuple[str, str]],
        response_body: str,
        duration_ms: float,
        started_at: datetime | None = None,
        error: str | None = None,
    ) -> Exchange:
        raw = Exchange(
            id=next(self._ids),
            started_at=started_at or datetime.now(UTC),
            method=method,
            url=url,
            request_headers=list(request_headers),
            request_body=request_body,
            status=status,
            response_headers=list(response_headers),
            response_body=response_body,
            duration_ms=duration_ms,
            error=error,
        )
        entry = self.redact(raw)
        self._entries.append(entry)
        if self.keep_raw:
            self._raw[entry.id] = raw
        while len(self._entries) > self.limit:
            dropped = self._entries.pop(0)
            self._raw.pop(dropped.id, None)
        for listener in list(self._listeners):
            listener(entry)
        return entry

    def redact(self, exchange: Exchange) -> Exchange:
        # scrub()'s choice of secrets, made once for all the texts of the exchange.
        secrets = maskable(self._secrets)

        def clean(text: str) -> str:
            return mask(text, secrets)

        def clean_headers(headers: Headers) -> Headers:
            return [(k, clean(v)) for k, v in redact_headers(headers)]

        return replace(
            exchange,
            url=clean(exchange.url),
            request_headers=clean_headers(exchange.request_headers),
            request_body=clean(redact_body(exchange.request_body,
                                           exchange.header("content-type", response=False))),
            response_headers=clean_headers(exchange.response_headers),
            response_body=clean(redact_body(exchange.response_body,
                                            exchange.header("content-type"))),
            error=clean(exchange.error) if exchange.error else None,
        )

    def raw(self, exchange_id: int) -> Exchange | None:
        """The unredacted exchange, only if the log was asked to keep it."""
        return self._raw.get(exchange_id)

    def __iter__(self) -> Iterator[Exchange]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def last(self) -> Exchange | None:
        return self._entries[-1] if self._entries else None

    def clear(self) -> None:
        self._entries.clear()
        self._raw.clear()
