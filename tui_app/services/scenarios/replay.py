"""Replay a scenario against a server and say, step by step, what differed.

Each step is sent through a ``CheckoutClient``: its references are resolved
from what earlier steps returned, offers given by name are looked up in the
published catalogue (fetched once per run), and the reply is compared with the
step's expectations. A refused call (401, 404, 502) is a reply like any other:
it passes when the step expects that status. A step that cannot be carried out
(no reply from the server, a reference that finds nothing, an offer name the
catalogue does not know) is an error; so is a step that fails where a reply
was expected. Either stops the scenario: the steps after it are skipped,
because they would act on a basket that is not what the file describes.
"""

from __future__ import annotations

import asyncio
import copy
import difflib
import inspect
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tui_app.services.api import errors
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.exchange import Exchange, scrub
from tui_app.services.api.models import (
    BasketItem,
    CatalogueOffer,
    InitiateResponse,
    Order,
    UpdateResponse,
    ValidateResponse,
)
from tui_app.services.scenarios.checks import run_check
from tui_app.services.scenarios.format import (
    Expectation,
    ItemExpectation,
    Reference,
    Scenario,
    Step,
    is_success,
    map_strings,
    substitute,
    walk_strings,
)
from tui_app.services.scenarios.jsonpath import evaluate

TIMES = "×"  # between an offer and its quantity: "Digital Monthly×2"


@dataclass(frozen=True)
class Failure:
    """One expectation the reply did not meet. ``expected`` and ``actual`` are
    text, or lists of text for the set-like checks (items, blocked, errors)."""

    field: str
    expected: str | list[str]
    actual: str | list[str]
    # A version 2 check: where it is written, to point at it.
    line: int | None = None
    source: str | None = None
    column: int | None = None


@dataclass
class StepResult:
    index: int  # from 1, as people count steps
    name: str | None
    action: str
    passed: bool
    duration_ms: float
    failures: list[Failure] = field(default_factory=list)
    error: str | None = None
    exchange_id: int | None = None
    status: int | None = None  # the HTTP status of the reply, if one came
    skipped: bool = False
    attempts: int = 1  # more than 1 when the step has retry = N
    exchange: Exchange | None = None  # the last call of the step, redacted
    unreachable: bool = False  # the server could not be reached or refused the credentials
    line: int = 0  # of the step's [[steps]] header

    @property
    def verdict(self) -> str:
        """passed | failed | error | skipped"""
        if self.skipped:
            return "skipped"
        if self.error is not None:
            return "error"
        return "passed" if self.passed else "failed"


@dataclass
class ScenarioResult:
    name: str
    path: str
    steps: list[StepResult]
    duration_ms: float = 0.0
    case: str | None = None  # a data row: "name [country=DE offer=Digital Monthly]"

    @property
    def title(self) -> str:
        return self.case or self.name

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    def count(self, verdict: str) -> int:
        return sum(1 for step in self.steps if step.verdict == verdict)


class StepError(Exception):
    """A step that cannot be carried out; the message says why."""


class CatalogueUnavailable(StepError):
    """The catalogue was needed (an offer by name) but could not be read."""

    unreachable = False


OnStep = Callable[[StepResult], Awaitable[None] | None]


# --------------------------------------------------------------------------- catalogue


class OfferIndex:
    """The published catalogue, fetched on first need and kept for the run
    (share one between the scenarios of a run to fetch it once)."""

    def __init__(self, client: CheckoutClient) -> None:
        self.client = client
        self._offers: list[CatalogueOffer] | None = None

    async def offers(self) -> list[CatalogueOffer]:
        if self._offers is None:
            try:
                self._offers = await self.client.all_offers()
            except errors.ApiError as exc:
                failure = CatalogueUnavailable(
                    f"could not read the catalogue to look offers up by name: {exc.summary}"
                )
                failure.unreachable = isinstance(exc, errors.TransportError | errors.Unauthorized)
                raise failure from None
        return self._offers

    async def by_name(self, name: str) -> CatalogueOffer:
        offers = await self.offers()
        found = [o for o in offers if o.display_name == name] or [
            o for o in offers if o.display_name.casefold() == name.casefold()
        ]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise StepError(
                f"{len(found)} offers in the catalogue are named {name!r}; "
                "give the offer by id instead"
            )
        names = [o.display_name for o in offers]
        guess = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        raise StepError(
            f"no offer named {name!r} in the catalogue"
            + (f" (did you mean {guess[0]!r}?)" if guess else "")
        )

    async def by_id(self, offer_id: str) -> CatalogueOffer:
        offer = next((o for o in await self.offers() if o.id == offer_id), None)
        if offer is None:
            raise StepError(f"no published offer has the id {offer_id!r}")
        return offer

    def name_of(self, offer_id: str | None) -> str | None:
        """The name of an offer, if the catalogue was fetched and lists it."""
        for offer in self._offers or []:
            if offer.id == offer_id:
                return offer.display_name
        return None


# --------------------------------------------------------------------------- state


@dataclass
class _Done:
    """What a step that succeeded leaves for later steps."""

    basket_id: str
    external_id: str | None
    items: list[BasketItem]


@dataclass
class _Reply:
    status: int | None = None
    message: str | None = None
    order: Order | None = None
    validation: ValidateResponse | None = None
    exchange_id: int | None = None
    exchange: Exchange | None = None


# --------------------------------------------------------------------------- running


async def run_scenario(
    scenario: Scenario,
    client: CheckoutClient,
    *,
    on_step: OnStep | None = None,
    offers: OfferIndex | None = None,
    variables: Mapping[str, str] | None = None,
    case: str | None = None,
) -> ScenarioResult:
    """Run every step in order; ``on_step(result)`` is called (or awaited) as
    each one finishes, so a caller can report progress. ``variables`` are the
    ``${name}`` values given from outside (a data row, --var); ``case`` names
    the run in reports."""
    run = _Run(scenario, client, offers or OfferIndex(client), dict(variables or {}))
    started = time.perf_counter()
    results: list[StepResult] = []
    stopped_by: str | None = None
    for index, step in enumerate(scenario.steps):
        if stopped_by is not None:
            result = StepResult(
                index + 1, step.name, step.action, passed=False, duration_ms=0.0,
                error=f"not run: {stopped_by} did not complete", skipped=True,
            )
        else:
            result = await run.step(index, step)
            if result.error is not None or (
                is_success(step.expect.status) and index not in run.done
            ):
                stopped_by = step.label(index)
        results.append(result)
        if on_step is not None:
            outcome = on_step(result)
            if inspect.isawaitable(outcome):
                await outcome
    return ScenarioResult(
        scenario.name,
        scenario.path,
        results,
        duration_ms=(time.perf_counter() - started) * 1000,
        case=case,
    )


class _Run:
    def __init__(self, scenario: Scenario, client: CheckoutClient, offers: OfferIndex,
                 variables: dict[str, str] | None = None) -> None:
        self.scenario = scenario
        self.client = client
        self.offers = offers
        self.done: dict[int, _Done] = {}
        self.vars: dict[str, Any] = dict(variables or {})
        if any(step.capture for step in scenario.steps):
            # Captured cookies and headers come from the exchange as it was.
            client.log.keep_raw = True

    def _clean(self, text: str) -> str:
        # Server messages should never echo a credential; make sure of it.
        return scrub(text, self.client.auth.secrets)

    async def step(self, index: int, step: Step) -> StepResult:
        started = time.perf_counter()
        tries = 1 + (step.retry or 0)
        for attempt in range(1, tries + 1):
            result = await self._attempt(index, step)
            result.attempts = attempt
            if result.passed or result.error is not None or attempt == tries:
                break
            self.done.pop(index, None)
            await asyncio.sleep(step.retry_seconds)
        result.duration_ms = (time.perf_counter() - started) * 1000
        result.line = step.line
        return result

    async def _attempt(self, index: int, step: Step) -> StepResult:
        reply = _Reply()
        error: str | None = None
        unreachable = False
        try:
            reply = await self._send(index, step)
        except CatalogueUnavailable as exc:
            error, unreachable = str(exc), exc.unreachable
        except StepError as exc:
            error = str(exc)
        except errors.RequestInvalid as exc:
            error = f"not sent: {exc.message}"
        except errors.ApiError as exc:
            if exc.status is None or is_success(exc.status):
                error = exc.summary  # no usable reply: transport failure, bad shape
                unreachable = isinstance(exc, errors.TransportError)
            else:
                reply = _Reply(
                    status=exc.status,
                    message=exc.message,
                    exchange_id=exc.exchange.id if exc.exchange else None,
                    exchange=exc.exchange,
                )
                unreachable = exc.status == 401 and step.expect.status != 401
            if error is not None and exc.exchange is not None:
                reply.exchange_id = exc.exchange.id
                reply.exchange = exc.exchange
        failures = [] if error else self._compare(step.expect, reply)
        if not error and (step.capture or step.check):
            failures += self._captures_and_checks(step, reply)
        if error:
            error = self._clean(error)
        return StepResult(
            index=index + 1,
            name=step.name,
            action=step.action,
            passed=error is None and not failures,
            duration_ms=0.0,
            failures=failures,
            error=error,
            exchange_id=reply.exchange_id,
            status=reply.status,
            exchange=reply.exchange,
            unreachable=unreachable,
        )

    # ------------------------------------------------------------------ version 2

    def _reply_body(self, reply: _Reply) -> Any:
        exchange = reply.exchange
        if exchange is None:
            return None
        raw = self.client.log.raw(exchange.id) or exchange
        try:
            return json.loads(raw.response_body) if raw.response_body else None
        except ValueError:
            return raw.response_body

    def _captures_and_checks(self, step: Step, reply: _Reply) -> list[Failure]:
        failures: list[Failure] = []
        body = self._reply_body(reply)
        for name, source in (step.capture or {}).items():
            value, where = self._capture(source, body, reply)
            if value is None:
                failures.append(Failure(f"capture {name}", f"a value at {where}", "nothing"))
            else:
                self.vars[name] = value
        for check in step.check or []:
            try:
                operand = self._resolve_operand(check.operand)
            except StepError as exc:
                failures.append(Failure(f"check {check.path}", "a value", str(exc),
                                        check.line, check.source, None))
                continue
            passed, expected, actual = run_check(check, body, operand)
            if not passed:
                column = check.source.find(check.operator) if check.source else -1
                label = check.path + (f" | {check.filter}" if check.filter else "")
                failures.append(Failure(
                    f"check {label}", expected, self._clean(actual), check.line or None,
                    check.source or None, column if column >= 0 else None,
                ))
        return failures

    def _capture(self, source: Any, body: Any, reply: _Reply) -> tuple[Any, str]:
        if isinstance(source, str):
            found = evaluate(source, body)
            return (found[0] if len(found) == 1 else found or None), source
        exchange = reply.exchange
        raw = (self.client.log.raw(exchange.id) or exchange) if exchange else None
        if source.header is not None:
            return (raw.header(source.header) if raw else None), f"header {source.header}"
        wanted = source.cookie
        for key, value in (raw.response_headers if raw else []):
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                if name.strip() == wanted:
                    return rest.split(";", 1)[0].strip(), f"cookie {wanted}"
        for done in reversed(list(self.done.values())):  # the jar, basket by basket
            jar = self.client.cookies.get(done.basket_id)
            if wanted in jar:
                return jar[wanted], f"cookie {wanted}"
        return None, f"cookie {wanted}"

    def _resolve_operand(self, operand: Any) -> Any:
        def resolve(text: str) -> Any:
            return substitute(text, lambda ref: self._value(ref, {}))

        return map_strings(operand, resolve)

    # ------------------------------------------------------------------ sending

    async def _send(self, index: int, step: Step) -> _Reply:
        if step.action == "initiate":
            body = await self._initiate_body(step)
            result = await self.client.initiate(body)
            data: InitiateResponse = result.data
            self.done[index] = _Done(data.id, body["order"].get("external_id"),
                                     data.order.orderItems)
            return _Reply(200, order=data.order, exchange_id=result.exchange.id,
                          exchange=result.exchange)
        basket = self._basket(step)
        if step.action == "update":
            body = await self._resolve(step.body or {})
            update = await self.client.update(basket.basket_id, body)
            updated: UpdateResponse = update.data
            self.done[index] = _Done(updated.id, basket.external_id, updated.order.orderItems)
            return _Reply(200, order=updated.order, exchange_id=update.exchange.id,
                          exchange=update.exchange)
        verdict = await self.client.validate(basket.basket_id)
        checked: ValidateResponse = verdict.data
        self.done[index] = _Done(checked.id, basket.external_id, checked.checkout.orderItems)
        return _Reply(
            200, order=checked.checkout, validation=checked, exchange_id=verdict.exchange.id,
            exchange=verdict.exchange,
        )

    def _basket(self, step: Step) -> _Done:
        target = step.basket_step
        if target is None or target not in self.done:
            raise StepError("the basket this step acts on was not made")
        # The latest state of that basket: a later step may have changed it.
        basket_id = self.done[target].basket_id
        # Newest first: the basket's latest step is nearly always the last one.
        return next(done for done in reversed(self.done.values()) if done.basket_id == basket_id)

    async def _initiate_body(self, step: Step) -> dict[str, Any]:
        body = await self._resolve(step.body or {})
        items = body.get("order", {}).get("orderItems", [])
        for position, item in enumerate(items):
            offer = item.get("offer") if isinstance(item, dict) else None
            if not isinstance(offer, dict) or ("name" not in offer and "version" in offer):
                continue  # { id, version }: sent as written
            try:
                if "name" in offer:
                    found = await self.offers.by_name(str(offer["name"]))
                else:
                    found = await self.offers.by_id(str(offer["id"]))
            except CatalogueUnavailable:
                raise
            except StepError as exc:
                raise StepError(f"orderItems[{position}].offer: {exc}") from None
            item["offer"] = {"id": found.id, "version": offer.get("version") or found.version}
            item.setdefault("type", found.item_type.value)
        return body

    async def _resolve(self, body: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``body`` with every reference replaced by its value (the
        step's own body is never changed)."""
        # Offer names inside references need the catalogue: fetch it first,
        # so that resolving stays synchronous.
        names: list[str] = []
        for _, text in walk_strings(body):
            if "${" in text:  # no reference in any other string
                _collect_offer_refs(text, names)
        ids = {name: (await self.offers.by_name(name)).id for name in names}
        return _resolved_copy(body, lambda text: substitute(text,
                                                            lambda ref: self._value(ref, ids)))

    def _value(self, ref: Reference, offer_ids: dict[str, str]) -> Any:
        if ref.kind == "uuid":
            return str(uuid.uuid4())
        if ref.kind == "offer":
            return offer_ids[ref.name or ""]
        if ref.kind == "var":
            if ref.name not in self.vars:
                raise StepError(f"${{{ref.text}}} is not defined: capture it in an earlier "
                                f"step, add it to [[data]], or give --var {ref.name}=...")
            return self.vars[ref.name]
        index = self.scenario.index_of(ref.step or "")
        done = self.done.get(index) if index is not None else None
        if done is None:
            raise StepError(f"${{{ref.text}}}: step {ref.step!r} returned nothing to use")
        if ref.kind == "basket_id":
            return done.basket_id
        if ref.kind == "external_id":
            if done.external_id is None:
                raise StepError(f"${{{ref.text}}}: that basket's external_id is not known")
            return done.external_id
        if ref.kind == "item_named":
            return self._item_named(ref, done)
        if ref.index is None or ref.index >= len(done.items):
            raise StepError(
                f"${{{ref.text}}}: step {ref.step!r} returned {len(done.items)} item(s)"
            )
        item = done.items[ref.index]
        value = {
            "id": item.id,
            "quantity": item.quantity,
            "offer.id": item.offer.id if item.offer else None,
            "offer.version": item.offer.version if item.offer else None,
        }[ref.attribute or "id"]
        if value is None:
            raise StepError(f"${{{ref.text}}}: the reply did not include it")
        return int(value) if ref.attribute == "quantity" else value

    def _item_named(self, ref: Reference, done: _Done) -> str:
        wanted = ref.name or ""
        matches = [item for item in done.items if _offer_matches(item, wanted, self.offers)]
        if len(matches) != 1 or not matches[0].id:
            listed = ", ".join(self._item_text(i) for i in done.items) or "no items"
            problem = "no item" if not matches else f"{len(matches)} items"
            hint = "" if not matches else "; use items[N].id to pick one"
            raise StepError(
                f"${{{ref.text}}}: {problem} of {wanted!r} in the reply of step "
                f"{ref.step!r} ({listed}){hint}"
            )
        return matches[0].id

    # ------------------------------------------------------------------ comparing

    def _item_text(self, item: BasketItem, with_quantity: bool = True) -> str:
        name = _offer_name(item, self.offers)
        if not with_quantity or item.quantity is None:
            return name
        return f"{name}{TIMES}{_number(item.quantity)}"

    def _compare(self, expect: Expectation, reply: _Reply) -> list[Failure]:
        if reply.status != expect.status:
            got = str(reply.status)
            if reply.message and reply.status is not None and not is_success(reply.status):
                got += f" ({self._clean(reply.message)})"
            return [Failure("status", str(expect.status), got)]
        if not is_success(expect.status):
            message = reply.message or ""
            if expect.message is not None and expect.message.casefold() not in message.casefold():
                return [Failure("message", f"…{expect.message}…", self._clean(message))]
            return []
        failures: list[Failure] = []
        order = reply.order or Order()
        if expect.items is not None:
            failures += self._compare_items(expect, order.orderItems)
        if expect.total is not None:
            actual = order.total_amount
            if actual is None or actual != Decimal(expect.total):
                failures.append(
                    Failure("total", expect.total, "none" if actual is None else str(actual))
                )
        for key, actual_text in (
            ("currency", order.total_currency),
            ("country", order.country),
        ):
            wanted = getattr(expect, key)
            if wanted is not None and (actual_text or "").upper() != wanted.upper():
                failures.append(Failure(key, wanted, actual_text or "none"))
        if reply.validation is not None:
            failures += self._compare_validation(expect, reply.validation)
        return failures

    def _compare_items(self, expect: Expectation, items: list[BasketItem]) -> list[Failure]:
        wanted = expect.items or []
        unused = list(range(len(items)))
        actual_text: dict[int, str] = {}
        missing = False
        # Expectations with a quantity claim their item first, so one without
        # a quantity never takes the item a more precise one needs.
        for expectation in sorted(wanted, key=lambda e: e.quantity is None):
            match = next(
                (
                    i for i in unused
                    if _offer_matches(items[i], expectation.offer, self.offers)
                    and (expectation.quantity is None or items[i].quantity == expectation.quantity)
                ),
                None,
            )
            if match is None:
                missing = True
                continue
            unused.remove(match)
            actual_text[match] = _expected_item(expectation)  # as asked for: a diff lines up
        if not missing and not unused:
            return []
        for i in unused:
            actual_text[i] = self._item_text(items[i])
        return [
            Failure(
                "items",
                [_expected_item(e) for e in wanted],
                [actual_text[i] for i in range(len(items))],
            )
        ]

    def _compare_validation(self, expect: Expectation, verdict: ValidateResponse) -> list[Failure]:
        failures: list[Failure] = []
        problems = verdict.invalid.validationErrors
        if expect.valid is not None and expect.valid != verdict.is_valid:
            detail = "; ".join(p.message or p.code or "?" for p in problems[:3])
            actual = "true" if verdict.is_valid else "false" + (f" ({detail})" if detail else "")
            failures.append(Failure("valid", str(expect.valid).lower(), actual))
        if expect.blocked is not None:
            names = {
                item.offer.id: _offer_name(item, self.offers)
                for item in verdict.checkout.orderItems
                if item.offer and item.offer.id
            }
            blocked = [(key, names.get(key) or self.offers.name_of(key) or key)
                       for key in verdict.invalid.blockedProducts]
            failures += _compare_set(
                "blocked",
                expect.blocked,
                [name for _, name in blocked],
                lambda wanted, i: wanted.casefold() in (blocked[i][0].casefold(),
                                                        blocked[i][1].casefold()),
            )
        if expect.errors is not None:
            shown = [
                f"{p.code}: {p.message}" if p.code and p.message else (p.code or p.message or "?")
                for p in problems
            ]
            failures += _compare_set(
                "errors",
                expect.errors,
                shown,
                lambda wanted, i: wanted == (problems[i].code or "")
                or wanted.casefold() in (problems[i].message or "").casefold(),
                many=True,
            )
        return failures


def _compare_set(
    name: str,
    wanted: Sequence[str],
    actual: Sequence[str],
    matches: Callable[[str, int], bool],
    *,
    many: bool = False,
) -> list[Failure]:
    """Every wanted entry matches an actual one and every actual one is matched.
    With ``many``, one actual entry may satisfy several wanted ones (a code and
    a piece of its message) and the other way round."""
    shown = list(actual)
    claimed: set[int] = set()
    missing = False
    for entry in wanted:
        hits = [i for i in range(len(actual)) if matches(entry, i)]
        if not many:
            hits = [i for i in hits if i not in claimed][:1]
        if not hits:
            missing = True
            continue
        for i in hits:
            if i not in claimed:
                shown[i] = entry  # shown as it was asked for, so a diff lines up
            claimed.add(i)
    if not missing and len(claimed) == len(actual):
        return []
    return [Failure(name, list(wanted), shown)]


def _resolved_copy(value: Any, change: Callable[[str], Any]) -> Any:
    """``map_strings(copy.deepcopy(value), change)`` in one pass: dicts and
    lists are made anew with every string changed, numbers, booleans and None
    are kept (nothing to copy), anything else is deep-copied."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: _resolved_copy(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved_copy(item, change) for item in value]
    if value is None or type(value) in (int, float, bool):
        return value
    return copy.deepcopy(value)


def _collect_offer_refs(text: str, names: list[str]) -> None:
    """Add the offers ``text`` refers to by name (``${offer:NAME}``) to ``names``."""
    def note(ref: Reference) -> str:
        if ref.kind == "offer" and ref.name and ref.name not in names:
            names.append(ref.name)
        return ""

    substitute(text, note)


def _offer_name(item: BasketItem, offers: OfferIndex) -> str:
    offer = item.offer
    if offer is None:
        return item.id or "?"
    return offer.name or offers.name_of(offer.id) or offer.id or "?"


def _offer_matches(item: BasketItem, wanted: str, offers: OfferIndex) -> bool:
    offer = item.offer
    if offer is None:
        return False
    if wanted == offer.id:
        return True
    return _offer_name(item, offers).casefold() == wanted.casefold()


def _number(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _expected_item(expectation: ItemExpectation) -> str:
    if expectation.quantity is None:
        return expectation.offer
    return f"{expectation.offer}{TIMES}{expectation.quantity}"
