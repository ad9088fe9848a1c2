"""The sandbox's HTTP surface: a Starlette app speaking the partner checkout API.

Request bodies are parsed with the same pydantic models the client uses, so a
body the client would refuse is refused here with the same field names. Every
error is JSON ``{"message": ...}``; authentication is checked before a body is
read; a basket is only ever visible to the organisation that made it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote_plus

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui_app.sandbox import assisted, rules
from tui_app.sandbox.catalogue import Catalogue, Entry, QueryError, parse_query
from tui_app.sandbox.db import Basket, Database, Item, Org, Transaction
from tui_app.sandbox.ids import IdSource
from tui_app.sandbox.limits import (
    HEAD_TOO_LARGE,
    MAX_ACTIONS,
    MAX_BODY,
    MAX_COOKIE,
    MAX_HEAD,
    MAX_ITEMS,
    MAX_TOKEN_BODY,
    JsonLimitError,
    ServerLimits,
    echo,
    head_size,
    join_problems,
    load_json,
)
from tui_app.sandbox.tokens import Credentials, TokenError
from tui_app.services.api.models import (
    InitiateCheckout,
    OrderAction,
    UpdateCheckout,
    check_basket_id,
    describe_validation_error,
)

logger = logging.getLogger("tui_app.sandbox")
M = TypeVar("M", bound=BaseModel)

COOKIE_NAME = "limio-landing-state"
BASKET_TTL_MS = 14 * 24 * 3600 * 1000
COOKIE_MAX_AGE = 14 * 24 * 3600
NOT_FOUND = "Basket not found."


class ApiError(Exception):
    """Becomes a JSON error reply: ``{"message": ..., **extra}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        extra: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra or {}
        self.headers = headers


# ------------------------------------------------------------------------ cookie


def encode_landing_state(basket_id: str) -> str:
    text = json.dumps({"basketId": basket_id}, separators=(",", ":"))
    # No padding: "=" would make the cookie value need quoting.
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_landing_state(value: str | None) -> str | None:
    """The basket id in a landing-state cookie; None for anything else, however odd."""
    if not value or len(value) > MAX_COOKIE:
        return None
    value = value.strip('"')
    try:
        data = load_json(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), 2)
    except (ValueError, binascii.Error):  # JsonLimitError is a ValueError too
        return None
    basket_id = data.get("basketId") if isinstance(data, dict) else None
    return basket_id if isinstance(basket_id, str) else None


def landing_state_header(basket_id: str) -> str:
    value = encode_landing_state(basket_id)
    return f"{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={COOKIE_MAX_AGE}"


# ------------------------------------------------------------------------ helpers


def iso_utc(ms: int) -> str:
    """Milliseconds since the epoch as ISO 8601 UTC, the way JavaScript prints it."""
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


async def read_body(request: Request, limit: int, within: float) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"body too large: at most {limit} bytes")
    body = bytearray()
    try:
        # A client that stops sending half way must not hold its connection forever.
        async with asyncio.timeout(within):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise ApiError(413, f"body too large: at most {limit} bytes")
    except TimeoutError:
        raise ApiError(
            408,
            f"request body not received within {within:g} s",
            headers={"Connection": "close"},
        ) from None
    except ClientDisconnect:
        # Nobody is left to answer, but it is the client's doing, not a sandbox failure.
        raise ApiError(400, "the client disconnected before sending the whole body") from None
    return bytes(body)


async def read_json(request: Request, within: float) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(502, "send the body as JSON with Content-Type: application/json")
    body = await read_body(request, MAX_BODY, within)
    try:
        return load_json(body)
    except JsonLimitError as exc:
        raise ApiError(502, f"body: {exc}") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise ApiError(502, f"body is not valid JSON: {exc}") from None


def check_count(data: Any, path: tuple[str, ...], most: int, what: str, why: str) -> None:
    """Refuse a list in the raw body longer than ``most`` before validating its
    entries, which costs time in proportion to its length."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    if isinstance(data, list) and len(data) > most:
        raise ApiError(502, f"{'.'.join(path)}: {len(data)} {what}; {why} at most {most}")


def parse_model(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(502, join_problems(describe_validation_error(exc))) from None


def _oauth_error(status: int, error: str, message: str) -> ApiError:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="basket-builder-sandbox"'
    return ApiError(status, message, extra={"error": error}, headers=headers)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (ValueError, binascii.Error):
        decoded = ""
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise _oauth_error(
            400, "invalid_request", "HTTP Basic credentials must be base64 of client_id:secret"
        )
    # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return unquote_plus(client_id), unquote_plus(secret)


# ------------------------------------------------------------------------ app


@dataclass
class Sandbox:
    """Everything the routes need; one per running server."""

    db: Database
    credentials: Credentials
    catalogue: Catalogue
    clock: Callable[[], float] = time.time
    # A seeded generator makes basket and item ids repeat from run to run, for
    # screenshots and scripted demos; None means real random UUIDs.
    seed: int | None = None
    limits: ServerLimits = field(default_factory=ServerLimits)
    _ids: IdSource = field(init=False, repr=False)
    _owners: assisted.Owners = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ids = IdSource(self.seed)
        self._owners = assisted.Owners(self.db)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # ---------------------------------------------------------------- auth

    def authenticate(self, request: Request) -> Org:
        header = request.headers.get("authorization", "").strip()
        if not header:
            raise self._unauthorized("missing Authorization header")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise self._unauthorized(
                "expected 'Authorization: Bearer <token>' (legacy API keys are not accepted)"
            )
        try:
            return self.credentials.verify(token.strip()).org
        except TokenError as exc:
            raise self._unauthorized(str(exc)) from None

    @staticmethod
    def _unauthorized(reason: str) -> ApiError:
        return ApiError(401, f"Unauthorized: {reason}", headers={"WWW-Authenticate": "Bearer"})

    def live_basket(self, tx: Transaction, basket_id: str | None, org: Org | None) -> Basket:
        """The basket, if it exists, has not expired and (given an org) is that org's."""
        basket = tx.get_basket(basket_id) if basket_id else None
        if (
            basket is None
            or (org is not None and basket.org_id != org.id)
            or basket.expires_ms <= self.now_ms()
        ):
            raise ApiError(404, NOT_FOUND)
        return basket

    # ---------------------------------------------------------------- routes

    async def token(self, request: Request) -> Response:
        body = await read_body(request, MAX_TOKEN_BODY, self.limits.body_timeout)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        fields: dict[str, str] = {}
        if media == "application/x-www-form-urlencoded":
            fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        grant = fields.get("grant_type")
        if not grant:
            raise _oauth_error(
                400, "invalid_request", "grant_type is required, form-encoded (client_credentials)"
            )
        if grant != "client_credentials":
            raise _oauth_error(
                400,
                "unsupported_grant_type",
                f"grant_type {grant!r} is not supported; use client_credentials",
            )
        basic = _basic_credentials(request.headers.get("authorization"))
        form = (fields.get("client_id"), fields.get("client_secret"))
        if basic and any(mine and mine != theirs for mine, theirs in zip(form, basic, strict=True)):
            raise _oauth_error(
                400, "invalid_request", "client credentials sent twice, differently (Basic, form)"
            )
        client_id, secret = basic or form
        if not client_id or not secret:
            raise _oauth_error(400, "invalid_request", "client_id and client_secret are required")
        org = self.credentials.authenticate_client(client_id, secret)
        if org is None:
            raise _oauth_error(401, "invalid_client", "unknown client or wrong client secret")
        reply = {
            "access_token": self.credentials.mint(org),
            "token_type": "Bearer",
            "expires_in": self.credentials.ttl,
        }
        return JSONResponse(reply, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def offers(self, request: Request) -> Response:
        self.authenticate(request)
        try:
            reply = self.catalogue.page(parse_query(request.query_params.multi_items()))
        except QueryError as exc:
            raise ApiError(502, str(exc)) from None
        return JSONResponse(reply)

    async def initiate(self, request: Request) -> Response:
        org = self.authenticate(request)
        data = await read_json(request, self.limits.body_timeout)
        check_count(data, ("order", "orderItems"), MAX_ITEMS, "items", "a basket holds")
        order = parse_model(InitiateCheckout, data).order
        problems: list[str] = []
        country = order.country.strip().upper()
        if country not in rules.COUNTRY_CODES:
            problems.append(
                f"order.country: {echo(order.country)} is not an ISO 3166-1 alpha-2 country code"
            )
        lines: list[tuple[Entry, str, int]] = []
        for index, line in enumerate(order.orderItems):
            where = f"order.orderItems[{index}]"
            current = self.catalogue.current(line.offer.id)
            if current is None:
                problems.append(
                    f"{where}.offer.id: no offer {echo(line.offer.id)} in the catalogue"
                )
                continue
            if self.catalogue.version(line.offer.id, line.offer.version) is None:
                problems.append(
                    f"{where}.offer.version: {current.name} has no version "
                    f"{echo(line.offer.version)}; the current version is {current.version}"
                )
                continue
            kind = current.offer.item_type.value
            if line.type is not None and line.type != kind:
                problems.append(
                    f"{where}.type: {current.name} is listed as {kind!r} in the catalogue, "
                    f"not {line.type!r}"
                )
                continue
            lines.append((current, line.offer.version, line.quantity))
        if problems:
            raise ApiError(502, join_problems(problems))

        tracking = order.tracking.to_json() if order.tracking else None
        account_id = order.tracking.accountId if order.tracking else None
        now = self.now_ms()

        def save(tx: Transaction) -> tuple[Basket, list[Item]]:
            # Ids are drawn inside the transaction, where they are checked
            # against the store (items first, then the basket: the seeded order).
            items: list[Item] = []
            taken: set[str] = set()
            for entry, version, quantity in lines:
                item_id = self._ids.item_id(tx, taken)
                taken.add(item_id)
                kind = entry.offer.item_type.value
                items.append(Item(item_id, entry.id, version, kind, quantity))
            existing = tx.basket_by_external_id(org.id, order.external_id)
            if existing is not None and existing.expires_ms <= now:
                # An expired basket is gone: its external id starts a new one.
                tx.delete_basket(existing.id)
                existing = None
            basket = Basket(
                id=existing.id if existing else self._ids.basket_id(tx),
                org_id=org.id,
                external_id=order.external_id,
                country=country,
                source=order.source,
                order_type=str(order.order_type),
                tracking=tracking,
                owner=self._owners.owner(org.id, account_id) if account_id else None,
                created_ms=existing.created_ms if existing else now,
                expires_ms=existing.expires_ms if existing else now + BASKET_TTL_MS,
            )
            if existing:
                tx.update_basket(basket)
            else:
                tx.insert_basket(basket)
            tx.replace_items(basket.id, items)
            return basket, items

        basket, items = self.db.run(save)
        reply: dict[str, Any] = {
            "id": basket.id,
            "order": rules.order_view(basket, items, self.catalogue),
            "expiresAt": iso_utc(basket.expires_ms),
        }
        if basket.owner:
            root = str(request.base_url).rstrip("/")
            reply["assistedCheckoutLink"] = f"{root}/shop/assisted/{basket.id}?owner={basket.owner}"
        response = JSONResponse(reply)
        response.headers.append("set-cookie", landing_state_header(basket.id))
        return response

    async def update(self, request: Request) -> Response:
        org = self.authenticate(request)
        data = await read_json(request, self.limits.body_timeout)
        check_count(data, ("orderActions",), MAX_ACTIONS, "actions", "an update takes")
        actions = parse_model(UpdateCheckout, data).orderActions
        basket_id = decode_landing_state(request.cookies.get(COOKIE_NAME))

        def apply(tx: Transaction) -> tuple[Basket, list[Item], list[dict[str, str]]]:
            basket = self.live_basket(tx, basket_id, org)
            items, results = self._apply_actions(tx, tx.get_items(basket.id), actions)
            tx.replace_items(basket.id, items)
            return basket, items, results

        basket, items, results = self.db.run(apply)
        return JSONResponse(
            {
                "id": basket.id,
                "order": rules.order_view(basket, items, self.catalogue),
                "orderActionResults": results,
            }
        )

    def _apply_actions(
        self, tx: Transaction, items: list[Item], actions: list[OrderAction]
    ) -> tuple[list[Item], list[dict[str, str]]]:
        """Run the actions in order on a copy; any bad action refuses the whole batch."""
        items = list(items)
        taken = {item.id for item in items}
        results: list[dict[str, str]] = []
        problems: list[str] = []
        for index, action in enumerate(actions):
            kind = str(action.orderItemActionType)
            if kind == "add":
                entry = self.catalogue.current(action.offerId or "")
                if entry is None:
                    problems.append(
                        f"orderActions[{index}].offerId: no offer {echo(action.offerId)} in "
                        "the catalogue"
                    )
                    continue
                if len(items) >= MAX_ITEMS:
                    problems.append(
                        f"orderActions[{index}]: the basket already holds {len(items)} items; "
                        f"a basket holds at most {MAX_ITEMS}"
                    )
                    break  # every later add would say the same
                quantity = action.quantity or entry.offer.quantity_options.quantity or 1
                item = Item(
                    self._ids.item_id(tx, taken),
                    entry.id,
                    entry.version,
                    entry.offer.item_type.value,
                    quantity,
                )
                items.append(item)
                taken.add(item.id)
                results.append({"id": item.id, "actionType": kind})
                continue
            position = next(
                (i for i, item in enumerate(items) if item.id == action.orderItemId), None
            )
            if position is None:
                problems.append(
                    f"orderActions[{index}].orderItemId: no item {echo(action.orderItemId)} "
                    "in this basket"
                )
                continue
            if kind == "remove":
                removed = items.pop(position)
                results.append({"id": removed.id, "actionType": kind})
            else:
                # Stored even outside the offer's limits: validate reports that.
                items[position] = items[position].with_quantity(action.quantity or 1)
                results.append({"id": items[position].id, "actionType": kind})
        if problems:
            raise ApiError(502, join_problems(problems))
        return items, results

    async def validate(self, request: Request) -> Response:
        org = self.authenticate(request)
        basket_id = request.path_params["id"]
        try:
            check_basket_id(basket_id)
        except ValidationError as exc:
            raise ApiError(502, join_problems(describe_validation_error(exc))) from None

        def load(tx: Transaction) -> tuple[Basket, list[Item]]:
            basket = self.live_basket(tx, basket_id, org)
            return basket, tx.get_items(basket.id)

        basket, items = self.db.run(load)
        checkout = {"id": basket.id, "expiresAt": iso_utc(basket.expires_ms)}
        checkout |= rules.order_view(basket, items, self.catalogue)
        return JSONResponse(
            {
                "id": basket.id,
                "checkout": checkout,
                "invalid": rules.validate(basket, items, self.catalogue),
            }
        )

    async def assisted(self, request: Request) -> Response:
        """The page an assisted-checkout link opens (no login: the link is the key)."""
        basket_id = request.path_params["id"]

        def load(tx: Transaction) -> tuple[Basket, list[Item], Org | None]:
            basket = self.live_basket(tx, basket_id, None)
            return basket, tx.get_items(basket.id), tx.get_org(basket.org_id)

        basket, items, org = self.db.run(load)
        if not assisted.Owners.matches(basket, request.query_params.get("owner")):
            raise ApiError(404, NOT_FOUND)
        order = rules.order_view(basket, items, self.catalogue)
        return HTMLResponse(
            assisted.page(basket, order, org.name if org else ""),
            headers={
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )


# ------------------------------------------------------------------------ errors


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        {"message": exc.message, **exc.extra}, status_code=exc.status, headers=exc.headers
    )


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail
    if exc.status_code == 405 and exc.headers and "Allow" in exc.headers:
        message = f"{exc.detail}: use {exc.headers['Allow']}"
    return JSONResponse({"message": message}, status_code=exc.status_code, headers=exc.headers)


class CatchAll:
    """Turn an unexpected exception into a JSON 500 (never an HTML traceback)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            logger.exception("sandbox failed on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # too late for a clean reply; the server drops the connection
            reply = JSONResponse({"message": "internal sandbox error"}, status_code=500)
            await reply(scope, receive, send)


class HeadLimit:
    """431 for a request whose line and headers exceed MAX_HEAD in all.

    h11 bounds a head that arrives in pieces; one that arrives in a single
    read is parsed whole, so its size is checked here, before any route reads
    a cookie, a query parameter or a token out of it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and head_size(scope) > MAX_HEAD:
            reply = JSONResponse({"message": HEAD_TOO_LARGE}, status_code=431,
                                 headers={"Connection": "close"})
            await reply(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(sandbox: Sandbox) -> Starlette:
    routes = [
        Route("/oauth2/token", sandbox.token, methods=["POST"]),
        Route("/api/offers/v2", sandbox.offers, methods=["GET"]),
        Route("/api/partner/checkout/initiate", sandbox.initiate, methods=["POST"]),
        Route("/api/partner/checkout/update", sandbox.update, methods=["PUT"]),
        Route("/api/partner/checkout/validate/{id}", sandbox.validate, methods=["POST"]),
        Route("/shop/assisted/{id}", sandbox.assisted, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(CatchAll), Middleware(HeadLimit)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
