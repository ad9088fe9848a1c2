"""The async Partner Checkout client: initiate, update, validate, offers, token.

Every request body is checked against the request models before it leaves;
every reply is checked against the response models and mapped to the error
hierarchy in ``errors``. The wire under it (one pooled connection per
profile, the exchange log) is ``transport``; when a call is sent again,
``retries``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from tui_app.services.api import errors, fast_json
from tui_app.services.api.auth import AccessToken, Auth, BearerAuth, ClientCredentialsAuth
from tui_app.services.api.cookies import DEFAULT_COOKIE_TEMPLATE, BasketCookies
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
from tui_app.services.api.retries import DEFAULT_BACKOFF, DEFAULT_RETRIES, with_retries
from tui_app.services.api.transport import DEFAULT_TIMEOUT, MAX_REPLY_BYTES, Wire

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


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


def _json_message(text: str) -> tuple[bool, str | None]:
    """Whether ``text`` is a JSON object, and its ``message`` (or the like)."""
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return False, None
    if not isinstance(body, dict):
        return False, None
    for key in ("message", "error_description", "error", "Message"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return True, value.strip()
    return True, None


def server_message(response: httpx.Response) -> str | None:
    """The server's own words: ``message`` of a JSON body, else a short excerpt."""
    text = response.text.strip()
    if not text:
        return None
    is_json, message = _json_message(text)
    if is_json:
        return message
    if "<html" in text[:500].lower() or "<!doctype" in text[:500].lower():
        title = _HTML_TITLE.search(text)
        return f"an HTML page{f' titled {title.group(1).strip()!r}' if title else ''}"
    excerpt = " ".join(text.split())
    return excerpt[:200] + ("…" if len(excerpt) > 200 else "")


def refused_by_the_api(response: httpx.Response) -> bool:
    """A 502 with a JSON message is the API refusing the payload (the
    documented shape), which no retry can change; a 502 without one (a gateway
    page, an empty body) is the way there failing, which may pass."""
    return response.status_code == 502 and _json_message(response.text)[1] is not None


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
        self.endpoint = endpoint
        self.auth = auth
        self.cookies = cookies if cookies is not None else BasketCookies()
        self.cookie_template = cookie_template
        self.log = log if log is not None else ExchangeLog()
        self.wire = Wire(
            self.log,
            timeout=timeout,
            transport=transport,
            ca_bundle=ca_bundle,
            max_reply_bytes=max_reply_bytes,
            hosts=endpoint.hosts,
            tls=endpoint.uses_tls,
        )
        self.retries = retries
        self.backoff = backoff
        for secret in auth.secrets:
            self.log.add_secret(secret)
        if isinstance(auth, ClientCredentialsAuth):
            auth.minter = self._mint

    # ------------------------------------------------------------------ plumbing

    async def aclose(self) -> None:
        await self.wire.aclose()

    async def __aenter__(self) -> CheckoutClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

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
        """Send, retrying only where it is safe (see ``retries``)."""
        return await with_retries(
            operation,
            lambda: self._call_once(
                operation, method, path, model, body=body, params=params, headers=headers
            ),
            retries=self.retries,
            backoff=self.backoff,
        )

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
        content = fast_json.dumps(body) if body is not None else None
        sent_as = {"Content-Type": "application/json"} if content is not None else {}
        for attempt in (1, 2):
            request = self.wire.http.build_request(
                method,
                self.endpoint.url(path),
                content=content,
                params=params,
                headers={**sent_as, "Authorization": await self.auth.header(),
                         **(headers or {})},
            )
            response, exchange = await self.wire.send(request)
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
                data = fast_json.loads(response.content)
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
                message or f"HTTP {status} without a message",
                exchange=exchange,
                status=status,
                refused=refused_by_the_api(response),
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
        request = self.wire.http.build_request(
            "POST",
            self.endpoint.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": auth.client_id,
                "client_secret": auth.client_secret,
            },
        )
        response, exchange = await self.wire.send(request)
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
