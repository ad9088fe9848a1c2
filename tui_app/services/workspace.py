"""The working state of one user session, without any UI.

A workspace knows which profile is active and holds its client, the
catalogue, the current basket as the server last confirmed it, the actions
staged for the next update, and the exchange log. Every change to the basket
is saved to the session at once, so quitting at any point loses nothing:
synchronously by default, or in a background thread once the app calls
``save_in_background`` (then ``aclose`` writes what is still waiting).
The TUI drives a workspace; a script (or a scenario replay) can too.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from tui_app.services.api import errors, fast_json
from tui_app.services.api.cookies import BasketCookies
from tui_app.services.api.exchange import ExchangeLog
from tui_app.services.api.models import (
    BasketItem,
    CatalogueOffer,
    InitiateCheckout,
    InitiateResponse,
    Order,
    OrderAction,
    UpdateResponse,
    ValidateResponse,
    describe_validation_error,
)
from tui_app.services.api.tokens import decode_unverified
from tui_app.services.connection import (
    SANDBOX_PROFILE_NAME,
    EmbeddedSandbox,
    ProfileNotUsable,
    build_client,
    endpoint_identity,
)
from tui_app.services.store.autosave import BackgroundSaver, Report
from tui_app.services.store.files import StoreError
from tui_app.services.store.order_cache import OrderCache
from tui_app.services.store.profiles import AuthKind, Profile, ProfileStore, Secrets
from tui_app.services.store.session import BasketRecord, SessionStore

if TYPE_CHECKING:
    from tui_app.services.api.client import CheckoutClient, Result


def now() -> datetime:
    """The clock behind "confirmed 14:32:05", in local time. Tests replace it
    (module attribute) so what is on screen does not drift."""
    return datetime.now().astimezone()


def new_external_id() -> str:
    """A fresh, unmistakable order reference."""
    return f"bb-{uuid.uuid4()}"


@dataclass
class Basket:
    """A basket as the server last confirmed it."""

    basket_id: str
    order: Order
    external_id: str | None = None
    country: str | None = None
    assisted_link: str | None = None
    expires_at: str | None = None
    validation: ValidateResponse | None = None

    # Resumed without a cached order (a cleared cache, an older session file):
    # what the basket holds must be read back from the server.
    order_unknown: bool = False
    # Shown from the local cache of an earlier session, not yet confirmed by
    # the server: another window, a script or a reply the last session never
    # saw (it was killed) may have changed the basket since. Cleared by every
    # reply that carries the basket (update, validate, initiate).
    cached: bool = False
    # When a reply last carried this basket's contents (initiate, update,
    # validate, a read-back): what is shown is the server's state as of then.
    confirmed_at: datetime | None = None

    @property
    def items(self) -> list[BasketItem]:
        return self.order.orderItems

    def item(self, item_id: str) -> BasketItem | None:
        return next((item for item in self.items if item.id == item_id), None)


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    message: str
    organisation: str | None = None
    expires_at: datetime | None = None
    offers: int | None = None


@dataclass(frozen=True)
class BlockedProduct:
    """A blocked product of a validation, named as a person would name it."""

    key: str  # as the server sent it
    name: str
    item_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


class NoBasket(errors.ApiError):
    title = "No basket"
    hint = "initiate a basket first (or resume one)"


class NotConnected(errors.ApiError):
    title = "Not connected"
    hint = "choose a profile that can connect"


class SandboxStopped(errors.TransportError):
    """The embedded sandbox's process ended, so nothing answers at its address."""

    title = "Sandbox stopped"
    hint = "start it again; the basket is kept in its database"


def describe_exit(code: int | None) -> str:
    """A process's exit status in words: ``killed by signal 9``, ``exit status 1``."""
    if code is None:
        return "still running"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit status {code}"


class Workspace:
    def __init__(
        self,
        profiles: ProfileStore,
        session: SessionStore,
        *,
        log: ExchangeLog | None = None,
        client_factory: Callable[..., CheckoutClient] = build_client,
        external_ids: Callable[[], str] = new_external_id,
    ) -> None:
        self.profiles = profiles
        self.session = session
        self.log = log if log is not None else ExchangeLog(keep_raw=True)
        self.client_factory = client_factory
        self.next_external_id = external_ids  # replaceable: demos want repeatable ids
        self.sandbox: EmbeddedSandbox | None = None
        self.profile: Profile | None = None
        self.client: CheckoutClient | None = None
        self.cookies = BasketCookies()
        self.offers: list[CatalogueOffer] = []
        self.basket: Basket | None = None
        self.staged: list[OrderAction] = []
        self.warnings: list[str] = []
        self._busy = asyncio.Lock()
        self.orders = OrderCache(session.paths.orders_dir)
        # Orders remembered but not yet written, by basket key.
        self._unsaved_orders: dict[tuple[str, str], Order] = {}
        self._orders_lock = threading.Lock()
        self._saver: BackgroundSaver | None = None
        # What a SandboxStopped error tells the user to do; the app names its key.
        self.sandbox_restart_hint = SandboxStopped.hint

    # ------------------------------------------------------------- profiles

    def attach_sandbox(self, sandbox: EmbeddedSandbox) -> None:
        self.sandbox = sandbox

    def sandbox_exit(self) -> int | None:
        """The exit status of the embedded sandbox's process once it has ended;
        None while it runs (or when there is none)."""
        return self.sandbox.exit_status() if self.sandbox is not None else None

    @property
    def sandbox_stopped(self) -> bool:
        return self.sandbox_exit() is not None

    def sandbox_stopped_error(self, cause: errors.ApiError | None = None) -> SandboxStopped:
        message = f"The embedded sandbox stopped ({describe_exit(self.sandbox_exit())})"
        if isinstance(cause, errors.OutcomeUnknown):
            message += "; whether the last change was applied is unknown until it runs again"
        return SandboxStopped(message, exchange=cause.exchange if cause else None,
                              hint=self.sandbox_restart_hint)

    async def replace_sandbox(self, sandbox: EmbeddedSandbox) -> None:
        """Use a newly started embedded sandbox. On the sandbox profile the
        client moves to its address and everything else stays: the catalogue,
        the basket (it lives in the sandbox's database) and the staged actions."""
        self.sandbox = sandbox
        if not self.is_sandbox:
            return
        profile, secrets = self.resolve(SANDBOX_PROFILE_NAME)
        client = self.client_factory(profile, secrets, log=self.log, cookies=self.cookies)
        if self.client is not None:
            await self.client.aclose()
        self.profile, self.client = profile, client

    @contextlib.asynccontextmanager
    async def _server_call(self) -> AsyncIterator[None]:
        """A call to the server; when nothing answers because the embedded
        sandbox's process has ended, say that rather than "connection refused"."""
        try:
            yield
        except errors.TransportError as exc:
            if self.is_sandbox and not isinstance(exc, SandboxStopped) and self.sandbox_stopped:
                raise self.sandbox_stopped_error(exc) from exc
            raise

    def profile_names(self) -> list[str]:
        return [SANDBOX_PROFILE_NAME] + [p.name for p in self.profiles.profiles()]

    def resolve(self, name: str) -> tuple[Profile, Secrets]:
        if name == SANDBOX_PROFILE_NAME:
            if self.sandbox is None:
                raise ProfileNotUsable("the embedded sandbox is still starting")
            return self.sandbox.profile()
        profile = self.profiles.get(name)
        if profile is None:
            raise ProfileNotUsable(f"there is no profile named {name!r}")
        return profile, self.profiles.secrets_for(name)

    @property
    def endpoint_id(self) -> str | None:
        return endpoint_identity(self.profile) if self.profile else None

    @property
    def is_sandbox(self) -> bool:
        return self.profile is not None and self.profile.name == SANDBOX_PROFILE_NAME

    async def activate(self, name: str) -> None:
        """Switch to a profile: a new client, its catalogue to be reloaded, and
        no basket until one is resumed or initiated (baskets never cross servers)."""
        profile, secrets = self.resolve(name)
        client = self.client_factory(profile, secrets, log=self.log, cookies=self.cookies)
        if self.client is not None:
            await self.client.aclose()
        self.profile, self.client = profile, client
        self.offers = []
        self.basket = None
        self.staged = []
        self.session.set_active_profile(name)
        self.save()

    async def test_connection(self, profile: Profile, secrets: Secrets) -> ConnectionReport:
        """Mint a token (client credentials) and read one page of offers."""
        try:
            client = self.client_factory(profile, secrets, log=self.log)
        except (ProfileNotUsable, ValueError) as exc:
            return ConnectionReport(False, str(exc))
        try:
            async with client:
                token = await client.mint_token() if profile.auth == AuthKind.CLIENT_CREDENTIALS \
                    else client.auth.current
                page = (await client.list_offers(page_size=1)).data
        except errors.ApiError as exc:
            return ConnectionReport(False, exc.summary)
        info = decode_unverified(token.value) if token else None
        return ConnectionReport(
            True,
            "reachable",
            organisation=info.organisation if info else None,
            expires_at=token.expires_at if token else None,
            offers=page.hits if page.hits is not None else len(page.items),
        )

    # ------------------------------------------------------------- catalogue

    def _client(self) -> CheckoutClient:
        if self.client is None:
            raise NotConnected("no profile is active")
        return self.client

    async def load_catalogue(self) -> list[CatalogueOffer]:
        async with self._server_call():
            self.offers = await self._client().all_offers()
        return self.offers

    def offer(self, offer_id: str | None) -> CatalogueOffer | None:
        return next((o for o in self.offers if o.id == offer_id), None)

    def offer_name(self, offer_id: str | None) -> str:
        offer = self.offer(offer_id)
        return offer.display_name if offer else (offer_id or "?")

    # ------------------------------------------------------------- basket

    def _need_basket(self) -> Basket:
        if self.basket is None:
            raise NoBasket("there is no current basket")
        return self.basket

    async def initiate(self, body: InitiateCheckout) -> Result[InitiateResponse]:
        async with self._busy, self._server_call():
            result = await self._client().initiate(body)
        data = result.data
        self.basket = Basket(
            basket_id=data.id,
            order=data.order,
            external_id=body.order.external_id,
            country=body.order.country,
            assisted_link=data.assistedCheckoutLink,
            expires_at=data.expiresAt,
            confirmed_at=now(),
        )
        self.staged = []
        self.remember()
        return result

    async def update(self, actions: list[OrderAction]) -> Result[UpdateResponse]:
        basket = self._need_basket()
        async with self._busy, self._server_call():
            try:
                result = await self._client().update(basket.basket_id, actions)
            except errors.OutcomeUnknown:
                # Never guess and never resend: read the basket as it is now
                # (validate returns its current state), then let the user decide.
                await self._reread(basket)
                raise
        basket.order = result.data.order
        basket.validation = None  # the basket changed: the old verdict no longer holds
        basket.order_unknown = basket.cached = False
        basket.confirmed_at = now()
        self.remember()
        return result

    async def change_country(self, country: str) -> Result[InitiateResponse]:
        """Move the basket to another country. Initiate with the same
        external_id updates the same basket, so its items are sent again
        with the new country (the update endpoint cannot change it)."""
        basket = self._need_basket()
        order = basket.order
        draft = {
            "order": {
                "orderItems": [
                    {
                        "offer": {"id": item.offer.id, "version": item.offer.version},
                        "quantity": int(item.quantity or 1),
                        **({"type": item.type} if item.type in ("offer", "add_on") else {}),
                    }
                    for item in basket.items
                    if item.offer and item.offer.id and item.offer.version
                ],
                "external_id": basket.external_id or order.external_id or "",
                "country": country,
                "source": order.source or "basket-builder",
                "order_type": order.order_type if order.order_type in ("new", "renew")
                else "new",
                **({"tracking": order.tracking} if order.tracking else {}),
            }
        }
        try:
            body = InitiateCheckout.model_validate(draft)
        except ValidationError as exc:
            raise errors.RequestInvalid(describe_validation_error(exc)) from None
        if body.order.external_id == "" or len(body.order.orderItems) != len(basket.items):
            raise errors.RequestInvalid(
                ["this basket's external id or item versions are unknown, so it cannot be "
                 "re-initiated — start a new basket in the other country instead"]
            )
        result = await self.initiate(body)
        if result.data.id != basket.basket_id:
            self.warnings.append(
                f"the server made a new basket {result.data.id} instead of updating "
                f"{basket.basket_id}"
            )
        return result

    async def _reread(self, basket: Basket) -> None:
        try:
            verdict = (await self._client().validate(basket.basket_id)).data
        except errors.ApiError as exc:
            self.warnings.append(f"the basket could not be re-read either: {exc.summary}")
            return
        basket.order = verdict.checkout
        basket.validation = verdict
        basket.order_unknown = basket.cached = False
        basket.confirmed_at = now()
        self.remember()

    def stage(self, action: OrderAction) -> None:
        self.staged.append(action)

    def unstage(self, index: int) -> None:
        del self.staged[index]

    async def send_staged(self) -> Result[UpdateResponse]:
        if not self.staged:
            raise errors.RequestInvalid(["nothing is staged"])
        result = await self.update(list(self.staged))
        self.staged = []
        return result

    async def validate(self) -> Result[ValidateResponse]:
        basket = self._need_basket()
        async with self._busy, self._server_call():
            result = await self._client().validate(basket.basket_id)
        basket.validation = result.data
        basket.order = result.data.checkout  # validate also reports the current state
        basket.order_unknown = basket.cached = False
        basket.confirmed_at = now()
        self.remember()
        return result

    def blocked_products(self) -> list[BlockedProduct]:
        """The last validation's blocked products, by offer name, with the items
        they hit and the reasons the server gave."""
        basket = self._need_basket()
        verdict = basket.validation
        if verdict is None:
            return []
        found = []
        for key in verdict.invalid.blockedProducts:
            items = [
                item
                for item in basket.items
                if key in (item.id, item.offer and item.offer.id, item.offer and item.offer.path)
            ]
            name = next((i.offer.name for i in items if i.offer and i.offer.name), None)
            reasons = [
                p.message
                for p in verdict.invalid.validationErrors
                if p.message and (p.offerId == key or p.orderItemId in {i.id for i in items})
            ]
            found.append(
                BlockedProduct(
                    key=key,
                    name=name or self.offer_name(key),
                    item_ids=[i.id for i in items if i.id],
                    reasons=reasons,
                )
            )
        return found

    # ------------------------------------------------------------- session

    def remember(self) -> None:
        basket, profile = self.basket, self.profile
        if basket is None or profile is None:
            return
        record = BasketRecord(
            profile=profile.name,
            endpoint=endpoint_identity(profile),
            basket_id=basket.basket_id,
            external_id=basket.external_id,
            country=basket.country,
            cookies=self.cookies.get(basket.basket_id),
            items=len(basket.items),
        )
        with self._orders_lock:
            self._unsaved_orders[record.key] = basket.order
        self.session.remember(record)
        self.save()

    def resumable(self) -> BasketRecord | None:
        """The basket the last session was on, if it belongs to this server."""
        current = self.session.state.current
        if current is None or self.profile is None:
            return None
        return current if current.endpoint == self.endpoint_id else None

    def recent(self) -> list[BasketRecord]:
        return self.session.recent_for(self.endpoint_id) if self.profile else []

    def resume(self, record: BasketRecord) -> Basket:
        """Make ``record`` the current basket, at once, as the last session
        cached it: marked ``cached`` (with ``order_unknown`` when nothing was
        cached). Call ``reread`` next: the server's copy may have moved on."""
        if record.endpoint != self.endpoint_id:
            raise NotConnected(
                f"{record.basket_id} lives on {record.endpoint}, not on this profile's server"
            )
        order = self._cached_order(record.key)
        self.cookies.set(record.basket_id, record.cookies)
        self.basket = Basket(
            basket_id=record.basket_id,
            order=order or Order(),
            external_id=record.external_id,
            country=record.country,
            order_unknown=order is None,
            cached=True,
        )
        self.staged = []
        self.session.remember(record)
        self.save()
        return self.basket

    def _cached_order(self, key: tuple[str, str]) -> Order | None:
        with self._orders_lock:
            unsaved = self._unsaved_orders.get(key)
        if unsaved is not None:
            return unsaved
        cached = self.orders.get(key)
        if cached is None:
            return None
        try:
            return Order.model_validate(cached)
        except ValidationError:
            return None

    async def reread(self) -> Basket:
        """Read the current basket back from the server (validate reports its
        state): after resuming one, before anything is done to it."""
        basket = self._need_basket()
        await self.validate()
        return basket

    def forget_basket(self) -> None:
        self.basket = None
        self.staged = []
        self.session.clear_current()
        self.save()

    def save_in_background(self, report: Report) -> None:
        """From now on, save in a thread; ``report`` gets its warnings (called
        from that thread)."""
        if self._saver is None:
            self._saver = BackgroundSaver(self._write, report)

    def save(self) -> None:
        """Save the session; a disk that refuses is a warning, never a crash."""
        if self._saver is not None:
            self._saver.request()
            return
        try:
            self.warnings.extend(self._write())
        except StoreError as exc:
            self.warnings.append(str(exc))

    def flush(self) -> None:
        """Wait until every change so far is on disk (background saving)."""
        if self._saver is not None:
            self._saver.flush()

    def _write(self) -> list[str]:
        """Write waiting orders, then the session; raises StoreError. Safe to
        run in the saver thread while the UI goes on changing things."""
        with self._orders_lock:
            waiting, self._unsaved_orders = self._unsaved_orders, {}
        try:
            for key, order in waiting.items():
                self.orders.put(key, fast_json.dumps(order))
        except StoreError:
            with self._orders_lock:  # keep them for the next try
                self._unsaved_orders = waiting | self._unsaved_orders
            raise
        notes = self.session.save()
        self.orders.keep_only(r.key for r in self.session.state.recent)
        return notes

    def secret_values(self) -> set[str]:
        """Every secret this session knows (tokens, client secrets, landing-state
        cookies), to keep out of whatever is shown or written in an emergency."""
        values: list[str] = list(self.cookies.values())
        state = self.session.state
        for record in [*([state.current] if state.current else []), *state.recent]:
            values.extend(record.cookies.values())
        if self.client is not None:
            values.extend(self.client.auth.secrets)
        if self.sandbox is not None:
            values.append(self.sandbox.client_secret)
        for profile in self.profiles.profiles():
            values.extend(self.profiles.secrets_for(profile.name).reveal().values())
        # Very short values would mask ordinary words; no real secret is that short.
        return {value for value in values if len(value) >= 6}

    def credential_values(self) -> dict[str, str]:
        """The active profile's credentials by the shell variables a copied
        curl command reads (see exports.curl), for the clipboard only."""
        from tui_app.services.exports.curl import SECRET_VARIABLE, TOKEN_VARIABLE

        values: dict[str, str] = {}
        if self.client is not None:
            token = self.client.auth.current
            if token is not None:
                values[TOKEN_VARIABLE] = token.value
            secret = getattr(self.client.auth, "client_secret", None)
            if secret:
                values[SECRET_VARIABLE] = secret
        return values

    def take_warnings(self) -> list[str]:
        taken, self.warnings = self.warnings, []
        return taken

    async def aclose(self) -> None:
        if self._saver is not None:
            saver, self._saver = self._saver, None
            await asyncio.to_thread(saver.close)
        if self.client is not None:
            await self.client.aclose()
