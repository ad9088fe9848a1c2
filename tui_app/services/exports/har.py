"""HAR 1.2 export of the exchange log, for browsers' and proxies' viewers.

Built from the redacted exchanges only: the Authorization header keeps its
scheme, cookie values and secret fields read ``***``. The masks are applied
once more here (they are idempotent), so a raw exchange handed over by
mistake still leaves no credential in the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tui_app import __version__
from tui_app.services.api.exchange import Exchange, Headers, redact_body, redact_headers
from tui_app.services.store.files import atomic_write

HAR_VERSION = "1.2"
CREATOR = "basket-builder"
HTTP_VERSION = "HTTP/1.1"  # what httpx speaks to the API (no HTTP/2 extra installed)


def status_text(status: int | None) -> str:
    if status is None:
        return ""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _headers(headers: Headers) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers]


def _request_cookies(headers: Headers) -> list[dict[str, str]]:
    cookies = []
    for name, value in headers:
        if name.lower() != "cookie":
            continue
        for pair in value.split(";"):
            key, sep, val = pair.strip().partition("=")
            if sep and key:
                cookies.append({"name": key, "value": val})
    return cookies


def _response_cookies(headers: Headers) -> list[dict[str, Any]]:
    cookies = []
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        pair, *attributes = value.split(";")
        key, sep, val = pair.strip().partition("=")
        if not (sep and key):
            continue
        cookie: dict[str, Any] = {"name": key, "value": val}
        for attribute in attributes:
            attr, _, arg = attribute.strip().partition("=")
            lower = attr.lower()
            if lower == "path":
                cookie["path"] = arg
            elif lower == "domain":
                cookie["domain"] = arg
            elif lower == "expires":
                cookie["expires"] = arg
            elif lower == "httponly":
                cookie["httpOnly"] = True
            elif lower == "secure":
                cookie["secure"] = True
        cookies.append(cookie)
    return cookies


def _mime(headers: Headers, default: str) -> str:
    for name, value in headers:
        if name.lower() == "content-type":
            return value
    return default


def _size(text: str) -> int:
    return len(text.encode())


def _entry(exchange: Exchange) -> dict[str, Any]:
    request_headers = redact_headers(exchange.request_headers)
    response_headers = redact_headers(exchange.response_headers)
    request_type = _mime(request_headers, "")
    response_type = _mime(response_headers, "")
    request_body = redact_body(exchange.request_body, request_type)
    response_body = redact_body(exchange.response_body, response_type)
    failed = exchange.status is None

    request: dict[str, Any] = {
        "method": exchange.method,
        "url": exchange.url,
        "httpVersion": HTTP_VERSION,
        "cookies": _request_cookies(request_headers),
        "headers": _headers(request_headers),
        "queryString": [
            {"name": name, "value": value}
            for name, value in parse_qsl(urlsplit(exchange.url).query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": _size(request_body),
    }
    if request_body:
        request["postData"] = {
            "mimeType": request_type or "application/octet-stream",
            "text": request_body,
        }
    location = next((v for k, v in response_headers if k.lower() == "location"), "")
    response: dict[str, Any] = {
        "status": exchange.status or 0,
        "statusText": status_text(exchange.status),
        "httpVersion": "" if failed else HTTP_VERSION,
        "cookies": _response_cookies(response_headers),
        "headers": _headers(response_headers),
        "content": {
            "size": _size(response_body),
            "mimeType": response_type or ("x-unknown" if failed else "application/octet-stream"),
            "text": response_body,
        },
        "redirectURL": location,
        "headersSize": -1,
        "bodySize": -1 if failed else _size(response_body),
    }
    if failed:
        # Chrome's convention for a request that got no reply.
        response["_error"] = exchange.error or "no reply"
    started = exchange.started_at
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    duration = round(max(exchange.duration_ms, 0.0), 3)
    return {
        "startedDateTime": started.isoformat(timespec="milliseconds"),
        "time": duration,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": duration, "receive": 0},
        "_id": exchange.id,
    }


def to_har(exchanges: Iterable[Exchange], creator_version: str = __version__) -> dict[str, Any]:
    """A HAR 1.2 document (as plain JSON data) of ``exchanges``, oldest first."""
    ordered = sorted(exchanges, key=lambda e: (e.started_at, e.id))
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": CREATOR, "version": creator_version},
            "entries": [_entry(exchange) for exchange in ordered],
        }
    }


def write_har(
    path: Path | str, exchanges: Iterable[Exchange], creator_version: str = __version__
) -> int:
    """Write the HAR file atomically; return how many exchanges it holds.

    Raises ``files.StoreError`` (naming the file) if it cannot be written.
    """
    document = to_har(exchanges, creator_version)
    data = json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"
    # Private by default: bodies may hold customers' details even without secrets.
    atomic_write(Path(path), data, mode=0o600)
    return len(document["log"]["entries"])
