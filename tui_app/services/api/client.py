"""The async Partner Checkout client: initiate, update, validate, offers, token.

One ``httpx.AsyncClient`` per client (so one pooled connection per profile),
created on first use. Every request body is checked against the request
models before it leaves; every reply is checked against the response models
and mapped to the error hierarchy in ``errors``; every exchange lands,
redacted, in the exchange log.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import socket
import ssl
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from tui_app import __version__
from tui_app.services.api import errors
from tui_app.services.api.auth import AccessToken, Auth, BearerAuth, ClientCredentialsAuth
from tui_app.services.api.cookies import DEFAULT_COOKIE_TEMPLATE, BasketCookies, refusing_jar
from tui_app.services.api.endpoints import Endpoint
from tui_app.services.api.exchange import Exchange, ExchangeLog
from tui_app.services.api.models import (
    CatalogueOffer,
    InitiateCheckout,
    InitiateResponse,
    OffersPage,
    OrderAction,
    TokenReply,
    UpdateCheckout,
    UpdateResponse,
    ValidateResponse,
    check_basket_id,
    describe_validation_error,
)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

DEFAULT_TIMEOUT = 30.0

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
# A 502 whose message names a field ("order.country: ...") is a payload
# problem: sending the same body again cannot help.
_FIELD_MESSAGE = re.compile(r"^[A-Za-z_][\w.\[\]]*: ")


def _transient(error: errors.ApiError) -> bool:
    if isinstance(error, errors.UpstreamError):
        return not _FIELD_MESSAGE.match(error.message)
    # Unknown hosts and untrusted certificates do not fix themselves.
    return not isinstance(error, errors.NameResolutionError | errors.TLSError)


def _may_have_arrived(error: errors.ApiError) -> bool:
    """True when the request may have reached the server: the connection
    dropped or timed out after it was sent (not refused, not unresolved)."""
    return isinstance(error, errors.TransportError) and not isinstance(
        error, errors.ConnectionRefused | errors.NameResolutionError | errors.TLSError
    ) and not getattr(error, "before_sending", False)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Result(Generic[T]):
    """A parsed reply and the (redacted) exchange it came from."""

    data: T
    exchange: Exchange


def _check(model: type[M], body: M | Mapping[str, Any]) -> M:
    if isinstance(body, model):
        return body
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise errors.RequestInvalid(describe_validation_error(exc)) from None


def server_message(response: httpx.Response) -> str | None:
    """The server's own words: ``message`` of a JSON body, else a short excerpt."""
    text = response.text.strip()
    if not text:
        return None
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "Message"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None
    if "<html" in text[:500].lower() or "<!doctype" in text[:500].lower():
        title = _HTML_TITLE.search(text)
        return f"an HTML page{f' titled {title.group(1).strip()!r}' if title else ''}"
    excerpt = " ".join(text.split())
    return excerpt[:200] + ("…" if len(excerpt) > 200 else "")


def proxy_for(url: str) -> str | None:
    """The proxy the environment (HTTPS_PROXY, NO_PROXY, ...) sends ``url`` through."""
    parsed = httpx.URL(url)
    proxy = urllib.request.getproxies().get(parsed.scheme)
    if not proxy or urllib.request.proxy_bypass(parsed.host):
        return None
    return proxy


def _transport_error(exc: Exception, url: str) -> errors.TransportError:
    """Name what went wrong on the wire, and whether the proxy is to blame."""
    failure = _classify_transport_error(exc, url)
    proxy = proxy_for(url)
    if proxy and isinstance(
        failure, errors.ConnectionRefused | errors.NameResolutionError | errors.TimeoutError_
    ):
        failure.message = f"through the proxy {proxy}: {failure.message}"
        failure.hint = (
            "the proxy may be down or wrong — check HTTPS_PROXY / HTTP_PROXY and NO_PROXY"
        )
    return failure


def _classify_transport_error(exc: Exception, url: str) -> errors.TransportError:
    host = httpx.URL(url).host
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        failure = errors.TimeoutError_(f"could not connect to {host} in time")
        failure.before_sending = True
        return failure
    if isinstance(exc, httpx.TimeoutException):
        return errors.TimeoutError_(f"no reply from {host} in time ({type(exc).__name__})")
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    text = " ".join(str(item) for item in chain)
    if any(isinstance(item, ssl.SSLError) for item in chain) or "CERTIFICATE" in text.upper():
        return errors.TLSError(f"could not establish a trusted TLS connection to {host}: {exc}")
    if any(isinstance(item, socket.gaierror) for item in chain) or re.search(
        r"name or service not known|nodename nor servname|getaddrinfo|Temporary failure in name",
        text,
        re.IGNORECASE,
    ):
        return errors.NameResolutionError(f"the host {host} could not be found")
    if any(isinstance(item, ConnectionRefusedError) for item in chain) or re.search(
        r"connection refused|errno 111", text, re.IGNORECASE
    ):
        return errors.ConnectionRefused(f"{host} refused the connection")
    if isinstance(exc, httpx.ProxyError):
        return errors.TransportError(f"the proxy refused the request: {exc}")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return errors.TransportError(
            f"the connection to {host} dropped before a complete reply — "
            "the request may or may not have been applied",
        )
    return errors.TransportError(f"could not talk to {host}: {exc or type(exc).__name__}")


MAX_REPLY_BYTES = 10 * 1024 * 1024


async def _read_limited(response: httpx.Response, limit: int) -> bool:
    """Read the body, keeping at most ``limit`` bytes; True if there was more.
    A tenant (or a proxy) that streams gigabytes must not exhaust memory."""
    declared = response.headers.get("content-length", "")
    chunks: list[bytes] = []
    size = 0
    if declared.isdigit() and int(declared) > limit:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk[: limit - size])
            size += len(chunks[-1])
            if size >= limit:
                break
        response._content = b"".join(chunks)[:65536]  # keep a first part to show
        return True
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            response._content = (b"".join(chunks) + chunk)[:65536]
            return True
        chunks.append(chunk)
    response._content = b"".join(chunks)
    return False


class CheckoutClient:
    """Talks to one tenant (or the sandbox) with one set of credentials."""

    def __init__(
        self,
        endpoint: Endpoint,
        auth: Auth,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        cookies: BasketCookies | None = None,
        cookie_template: str | None = DEFAULT_COOKIE_TEMPLATE,
        log: ExchangeLog | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        ca_bundle: str | None = None,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        if timeout <= 0:
            raise ValueError("the timeout must be a positive number of seconds")
        self.endpoint = endpoint
        self.auth = auth
        self.timeout = timeout
        self.cookies = cookies if cookies is not None else BasketCookies()
        self.cookie_template = cookie_template
        self.log = log if log is not None else ExchangeLog()
        self._transport = transport
        self._ca_bundle = ca_bundle
        self.retries = retries
        self.max_reply_bytes = max_reply_bytes
        self.backoff = backoff
        self._http: httpx.AsyncClient | None = None
        for secret in auth.secrets:
            self.log.add_secret(secret)
        if isinstance(auth, ClientCredentialsAuth):
            auth.minter = self._mint

    # ------------------------------------------------------------------ plumbing

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            verify: ssl.SSLContext | bool = True
            if self._ca_bundle:
                try:
                    verify = ssl.create_default_context(cafile=self._ca_bundle)
                except (OSError, ssl.SSLError) as exc:
                    raise errors.TLSError(
                        f"the CA bundle {self._ca_bundle} could not be loaded: {exc}",
                        hint="point the profile's CA bundle at a PEM file of certificates",
                    ) from None
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                transport=self._transport,
                verify=verify,
                cookies=refusing_jar(),
                follow_redirects=False,
                headers={"User-Agent": f"basket-builder/{__version__}"},
                trust_env=True,  # HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> CheckoutClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(self, request: httpx.Request) -> tuple[httpx.Response, Exchange]:
        started = datetime.now(UTC)
        clock = time.perf_counter()
        request_body = request.content.decode("utf-8", "replace")

        def record(response: httpx.Response | None, body: str, error: str | None) -> Exchange:
            return self.log.record(
                method=request.method,
                url=str(request.url),
                request_headers=request.headers.multi_items(),
                request_body=request_body,
                status=response.status_code if response is not None else None,
                response_headers=response.headers.multi_items() if response is not None else [],
                response_body=body,
                duration_ms=(time.perf_counter() - clock) * 1000,
                started_at=started,
                error=error,
            )

        try:
            response = await self.http.send(request, stream=True)
            try:
                too_big = await _read_limited(response, self.max_reply_bytes)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            failure = _transport_error(exc, str(request.url))
            failure.exchange = record(None, "", f"{failure.title}: {failure.message}")
            raise failure from None
        if too_big:
            limit = self.max_reply_bytes // (1024 * 1024)
            failure = errors.UnexpectedReply(
                f"the reply is larger than {limit} MiB — no basket reply is that big; "
                "the first part is in the inspector",
                status=response.status_code,
            )
            failure.exchange = record(response, response.text, failure.message)
            raise failure
        return response, record(response, response.text, None)

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        model: type[M],
        *,
        body: BaseModel | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[M, httpx.Response, Exchange]:
        """Send, retrying only where it is safe (see RETRY_SAFE)."""
        retries = self.retries if operation in RETRY_SAFE else 0
        for attempt in range(retries + 1):
            try:
                return await self._call_once(
                    operation, method, path, model, body=body, params=params, headers=headers
                )
            except (errors.UpstreamError, errors.TransportError) as exc:
                if attempt == retries or not _transient(exc):
                    if operation == "update" and _may_have_arrived(exc):
                        raise errors.OutcomeUnknown(exc.message, exchange=exc.exchange) from None
                    raise
            # Backoff with jitter: 0.25 s, 0.5 s, ... so a struggling server
            # is not hammered by every client at the same instant.
            await asyncio.sleep(self.backoff * (2**attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    async def _call_once(
        self,
        operation: str,
        method: str,
        path: str,
        model: type[M],
        *,
        body: BaseModel | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[M, httpx.Response, Exchange]:
        payload = body.model_dump(mode="json", exclude_none=True) if body is not None else None
        for attempt in (1, 2):
            request = self.http.build_request(
                method,
                self.endpoint.url(path),
                json=payload,
                params=params,
                headers={"Authorization": await self.auth.header(), **(headers or {})},
            )
            response, exchange = await self._send(request)
            # A 401 with minted credentials may only mean the token died early:
            # mint a new one and try once more (the request was not processed).
            if response.status_code == 401 and self.auth.can_refresh and attempt == 1:
                self.auth.invalidate()
                continue
            return self._interpret(operation, model, response, exchange), response, exchange
        raise AssertionError("unreachable")

    def _interpret(
        self, operation: str, model: type[M], response: httpx.Response, exchange: Exchange
    ) -> M:
        status = response.status_code
        if 200 <= status < 300:
            try:
                data = response.json()
            except ValueError:
                message = server_message(response)
                raise errors.UnexpectedReply(
                    f"{operation}: the server answered {status} but the body is not JSON"
                    + (f" ({message})" if message else ""),
                    exchange=exchange,
                    status=status,
                ) from None
            try:
                return model.model_validate(data)
            except ValidationError as exc:
                problems = describe_validation_error(exc)
                raise errors.UnexpectedReply(
                    f"{operation}: the reply does not have the documented shape — "
                    + "; ".join(problems[:5]),
                    exchange=exchange,
                    status=status,
                ) from None
        message = server_message(response)  # parsed only when it is needed: replies are big
        if status == 401:
            raise errors.Unauthorized(message or "Unauthorized", exchange=exchange, status=status)
        if status == 404 and operation in ("update", "validate"):
            raise errors.BasketNotFound(
                message or "Basket not found.", exchange=exchange, status=status
            )
        if status == 404:
            raise errors.UnexpectedReply(
                f"{operation}: the server has no such endpoint (404"
                + (f": {message}" if message else "")
                + ")",
                exchange=exchange,
                status=status,
                hint="check the tenant or base URL of this profile",
            )
        if status in (502, 503, 504):
            raise errors.UpstreamError(
                message or f"HTTP {status} without a message", exchange=exchange, status=status
            )
        raise errors.UnexpectedReply(
            f"{operation}: HTTP {status}" + (f" — {message}" if message else ""),
            exchange=exchange,
            status=status,
        )

    # ------------------------------------------------------------------ token

    async def _mint(self) -> AccessToken:
        auth = self.auth
        assert isinstance(auth, ClientCredentialsAuth)
        request = self.http.build_request(
            "POST",
            self.endpoint.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": auth.client_id,
                "client_secret": auth.client_secret,
            },
        )
        response, exchange = await self._send(request)
        if response.status_code in (400, 401, 403):
            raise errors.Unauthorized(
                "the token endpoint refused the client credentials: "
                + (server_message(response) or f"HTTP {response.status_code}"),
                exchange=exchange,
                status=response.status_code,
                hint="check the client id and secret of this profile",
            )
        reply = self._interpret("token", TokenReply, response, exchange)
        lifetime = float(reply.expires_in) if reply.expires_in else None
        token = AccessToken(reply.access_token, time.monotonic(), lifetime)
        if lifetime is None and token.info and token.info.expires_at:
            remaining = (token.info.expires_at - datetime.now(UTC)).total_seconds()
            token = AccessToken(reply.access_token, time.monotonic(), max(remaining, 0.0))
        self.log.add_secret(token.value)
        return token

    async def mint_token(self) -> AccessToken:
        """A fresh token (client credentials) or the configured one (bearer)."""
        if isinstance(self.auth, ClientCredentialsAuth):
            self.auth.invalidate()
            return await self.auth.token()
        if isinstance(self.auth, BearerAuth):
            return self.auth.current
        raise TypeError(f"cannot mint a token with {type(self.auth).__name__}")

    # ------------------------------------------------------------------ API

    async def initiate(
        self, body: InitiateCheckout | Mapping[str, Any]
    ) -> Result[InitiateResponse]:
        """Create a basket, or update the one with the same external_id."""
        checked = _check(InitiateCheckout, body)
        data, response, exchange = await self._call(
            "initiate", "POST", "/partner/checkout/initiate", InitiateResponse, body=checked
        )
        self.cookies.absorb(data.id, response.headers.get_list("set-cookie"))
        return Result(data, exchange)

    async def update(
        self,
        basket_id: str,
        body: UpdateCheckout | list[OrderAction] | Mapping[str, Any],
    ) -> Result[UpdateResponse]:
        """Apply order actions to a basket, identified by its landing-state cookie."""
        if isinstance(body, list):
            body = {"orderActions": body}
        checked = _check(UpdateCheckout, body)
        cookie = self.cookies.header_for(basket_id, self.cookie_template)
        if cookie is None:
            raise errors.RequestInvalid(
                [
                    f"no landing-state cookie is known for {basket_id} and no cookie "
                    "template is configured — initiate the basket again"
                ]
            )
        data, response, exchange = await self._call(
            "update",
            "PUT",
            "/partner/checkout/update",
            UpdateResponse,
            body=checked,
            headers={"Cookie": cookie},
        )
        self.cookies.absorb(basket_id, response.headers.get_list("set-cookie"))
        return Result(data, exchange)

    async def validate(self, basket_id: str) -> Result[ValidateResponse]:
        """Check a basket: blocked products and other problems."""
        try:
            basket_id = check_basket_id(basket_id)
        except ValidationError:
            raise errors.RequestInvalid(
                [f"{basket_id!r} is not a basket id (expected basket- and 32 to 36 characters)"]
            ) from None
        data, _, exchange = await self._call(
            "validate", "POST", f"/partner/checkout/validate/{basket_id}", ValidateResponse
        )
        return Result(data, exchange)

    async def list_offers(
        self,
        *,
        page_size: int | None = None,
        query_more_from: int | str | None = None,
        query_more_alias: str | None = None,
        path: str | None = None,
        tags: list[str] | None = None,
        attributes: Mapping[str, str] | None = None,
        reduced_data: bool = False,
        offers_source: str | None = None,
    ) -> Result[OffersPage]:
        """One page of ``GET /offers/v2``."""
        params: dict[str, str] = {}
        if page_size is not None:
            params["opt.pageSize"] = str(page_size)
        if query_more_from is not None:
            params["opt.queryMoreFrom"] = str(query_more_from)
        if query_more_alias:
            params["opt.queryMoreAlias"] = query_more_alias
        if path:
            params["path"] = path
        if tags:
            params["tags"] = ",".join(tags)
        for name, value in (attributes or {}).items():
            params[f"attributes.{name}"] = value
        if reduced_data:
            params["reducedData"] = "true"
        if offers_source:
            params["offersSource"] = offers_source
        data, _, exchange = await self._call(
            "offers", "GET", "/offers/v2", OffersPage, params=params
        )
        return Result(data, exchange)

    async def all_offers(
        self, *, page_size: int = 50, max_pages: int = 200, **query: Any
    ) -> list[CatalogueOffer]:
        """Every offer, following ``queryMore`` until the catalogue runs out."""
        offers: list[CatalogueOffer] = []
        seen: set[tuple[str | None, str | None]] = set()
        cursor: tuple[int | str | None, str | None] = (None, None)
        for _ in range(max_pages):
            page = (
                await self.list_offers(
                    page_size=page_size,
                    query_more_from=cursor[0],
                    query_more_alias=cursor[1],
                    **query,
                )
            ).data
            offers.extend(page.items)
            more = page.queryMore
            if not page.items or more is None or more.from_ is None:
                break
            cursor = (more.from_, more.alias)
            key = (str(more.from_), more.alias)
            if key in seen:  # a server that repeats its cursor would loop forever
                break
            seen.add(key)
            if page.hits is not None and len(offers) >= page.hits:
                break
        return offers
