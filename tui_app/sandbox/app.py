"""The sandbox's HTTP surface: a Starlette app speaking the partner checkout API.

Request bodies are parsed with the same pydantic models the client uses, so a
body the client would refuse is refused here with the same field names. Every
error is JSON ``{"message": ...}``; authentication is checked before a body is
read; a basket is only ever visible to the organisation that made it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote_plus

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tui_app.sandbox import rules
from tui_app.sandbox.catalogue import Catalogue, QueryError, parse_query
from tui_app.sandbox.db import Basket, Database, Item, Org, Transaction
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
MAX_BODY = 1024 * 1024
MAX_TOKEN_BODY = 64 * 1024
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
    if not value:
        return None
    value = value.strip('"')
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, binascii.Error):
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


def owner_hash(org_id: str, account_id: str) -> str:
    return hashlib.sha256(f"{org_id}\n{account_id}".encode()).hexdigest()[:16]


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"body too large: at most {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"body too large: at most {limit} bytes")
    return bytes(body)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def read_json(request: Request) -> Any:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(502, "send the body as JSON with Content-Type: application/json")
    body = await read_body(request, MAX_BODY)
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise ApiError(502, f"body is not valid JSON: {exc}") from None


def parse_model(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(502, "; ".join(describe_validation_error(exc))) from None


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
    _ids: random.Random | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self._ids = random.Random(self.seed)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def new_uuid(self) -> str:
        if self._ids is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

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
        body = await read_body(request, MAX_TOKEN_BODY)
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
        order = parse_model(InitiateCheckout, await read_json(request)).order
        problems: list[str] = []
        country = order.country.strip().upper()
        if country not in rules.COUNTRY_CODES:
            problems.append(
                f"order.country: {order.country!r} is not an ISO 3166-1 alpha-2 country code"
            )
        items: list[Item] = []
        for index, line in enumerate(order.orderItems):
            where = f"order.orderItems[{index}]"
            current = self.catalogue.current(line.offer.id)
            if current is None:
                problems.append(f"{where}.offer.id: no offer {line.offer.id!r} in the catalogue")
                continue
            if self.catalogue.version(line.offer.id, line.offer.version) is None:
                problems.append(
                    f"{where}.offer.version: {current.name} has no version "
                    f"{line.offer.version!r}; the current version is {current.version}"
                )
                continue
            kind = current.offer.item_type.value
            if line.type is not None and line.type != kind:
                problems.append(
                    f"{where}.type: {current.name} is listed as {kind!r} in the catalogue, "
                    f"not {line.type!r}"
                )
                continue
            items.append(
                Item(self.new_uuid(), line.offer.id, line.offer.version, kind, line.quantity)
            )
        if problems:
            raise ApiError(502, "; ".join(problems))

        tracking = order.tracking.to_json() if order.tracking else None
        account_id = order.tracking.accountId if order.tracking else None
        now = self.now_ms()

        def save(tx: Transaction) -> Basket:
            existing = tx.basket_by_external_id(org.id, order.external_id)
            if existing is not None and existing.expires_ms <= now:
                # An expired basket is gone: its external id starts a new one.
                tx.delete_basket(existing.id)
                existing = None
            basket = Basket(
                id=existing.id if existing else f"basket-{self.new_uuid()}",
                org_id=org.id,
                external_id=order.external_id,
                country=country,
                source=order.source,
                order_type=str(order.order_type),
                tracking=tracking,
                owner=owner_hash(org.id, account_id) if account_id else None,
                created_ms=existing.created_ms if existing else now,
                expires_ms=existing.expires_ms if existing else now + BASKET_TTL_MS,
            )
            tx.save_basket(basket)
            tx.replace_items(basket.id, items)
            return basket

        basket = self.db.run(save)
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
        actions = parse_model(UpdateCheckout, await read_json(request)).orderActions
        basket_id = decode_landing_state(request.cookies.get(COOKIE_NAME))

        def apply(tx: Transaction) -> tuple[Basket, list[Item], list[dict[str, str]]]:
            basket = self.live_basket(tx, basket_id, org)
            items, results = self._apply_actions(tx.get_items(basket.id), actions)
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
        self, items: list[Item], actions: list[OrderAction]
    ) -> tuple[list[Item], list[dict[str, str]]]:
        """Run the actions in order on a copy; any bad action refuses the whole batch."""
        items = list(items)
        results: list[dict[str, str]] = []
        problems: list[str] = []
        for index, action in enumerate(actions):
            kind = str(action.orderItemActionType)
            if kind == "add":
                entry = self.catalogue.current(action.offerId or "")
                if entry is None:
                    problems.append(
                        f"orderActions[{index}].offerId: no offer {action.offerId!r} in the "
                        "catalogue"
                    )
                    continue
                quantity = action.quantity or entry.offer.quantity_options.quantity or 1
                item = Item(
                    self.new_uuid(),
                    entry.id,
                    entry.version,
                    entry.offer.item_type.value,
                    quantity,
                )
                items.append(item)
                results.append({"id": item.id, "actionType": kind})
                continue
            position = next(
                (i for i, item in enumerate(items) if item.id == action.orderItemId), None
            )
            if position is None:
                problems.append(
                    f"orderActions[{index}].orderItemId: no item {action.orderItemId!r} "
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
            raise ApiError(502, "; ".join(problems))
        return items, results

    async def validate(self, request: Request) -> Response:
        org = self.authenticate(request)
        basket_id = request.path_params["id"]
        try:
            check_basket_id(basket_id)
        except ValidationError as exc:
            raise ApiError(502, "; ".join(describe_validation_error(exc))) from None

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
        if not basket.owner or request.query_params.get("owner") != basket.owner:
            raise ApiError(404, NOT_FOUND)
        order = rules.order_view(basket, items, self.catalogue)
        return HTMLResponse(
            _assisted_page(basket, order, org.name if org else ""),
            headers={
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )


def _assisted_page(basket: Basket, order: dict[str, Any], org_name: str) -> str:
    e = html.escape
    rows = []
    for line in order["orderItems"]:
        price = line["price"] or {}
        total = line["lineTotal"] or {}
        rows.append(
            "<tr>"
            f"<td>{e(str(line['offer'].get('name') or line['offer']['id']))}</td>"
            f"<td>{e(str(line['quantity']))}</td>"
            f"<td>{e(str(price.get('summary', '')))}</td>"
            f"<td>{e(_money(total))}</td>"
            "</tr>"
        )
    total = order["total"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Assisted checkout</title>
<style>body{{font-family:sans-serif;margin:2rem}}
td,th{{padding:.3rem .8rem;text-align:left}}</style>
</head><body>
<h1>Assisted checkout</h1>
<p>Prepared by {e(org_name)} for order {e(basket.external_id)} ({e(basket.country)}).</p>
<table><thead><tr><th>Item</th><th>Quantity</th><th>Price</th><th>Line total</th></tr></thead>
<tbody>{"".join(rows)}</tbody>
<tfoot><tr><th colspan="3">Total</th>
<td>{e(_money(total))}</td></tr></tfoot></table>
<p>basket-builder sandbox: nothing can be bought here.</p>
</body></html>
"""


def _money(value: dict[str, Any]) -> str:
    if not value or value.get("amount") is None:
        return ""
    return rules.money_text(Decimal(value["amount"]), value.get("currency"))


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
        middleware=[Middleware(CatchAll)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error},
    )
