"""Record a session as a scenario: what the user did, as a file to replay.

The exchange log of a workspace holds every call the session made. Its
initiate, update and validate calls become steps (catalogue reads and token
requests are left out); bodies are taken as they were sent and expectations
from what the server answered:

- initiate and update: the status, the items (offer name and quantity), the
  total and currency;
- validate: valid, the blocked products (by name) and the validation errors
  (by code);
- a call the server refused with 502 is kept as a step expecting 502 (and the
  start of the server's message, up to the first id in it). 401 and 404 replies
  are left out: they depend on credentials and time, not on the journey, and a
  successful retry follows a 401 anyway.

So the file replays anywhere: the external_id becomes ``${uuid}`` (a second
initiate with the same one refers back to the first), item ids become
references to the step whose reply first held them, and steps on baskets the
session did not create here (resumed from an earlier session) are left out.
Offers stay ``{ id, version }`` with the offer's name in a comment.

Nothing secret is written: only bodies go into the file, never headers, and
any token, client secret or cookie value the log saw is masked should it turn
up in a body anyway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import tomli_w
from pydantic import ValidationError

from tui_app.services.api.exchange import SECRET_KEYS, Exchange, ExchangeLog, scrub
from tui_app.services.api.models import (
    BasketItem,
    InitiateResponse,
    OffersPage,
    Order,
    UpdateResponse,
    ValidateResponse,
)
from tui_app.services.scenarios.format import FORMAT_VERSION
from tui_app.services.store.files import atomic_write

HEADER = """\
# basket-builder scenario, recorded from a session.
# Replay it with: basket-builder run THIS-FILE
# Item ids are references to the step that created them and the external_id
# is fresh on every run, so it replays on any server with the same catalogue.
"""

# A part of a server message that changes from run to run: ids of any kind.
_VOLATILE = re.compile(
    r"['\"]?(?:basket-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-|['\"]?[0-9a-fA-F]{32,}|['\"]?basket-"
)


class NothingToRecord(ValueError):
    """The log holds no initiate, update or validate call that can be replayed."""


@dataclass(frozen=True)
class _Ref:
    """A reference to an earlier step, written once the steps have names."""

    step: int
    attribute: str  # "external_id", "items[N].id" or "item:NAME"


@dataclass
class _Step:
    action: str
    body: Any = None
    expect: dict[str, Any] = field(default_factory=dict)
    basket: int | None = None  # the initiate step whose basket it acts on
    items: list[BasketItem] = field(default_factory=list)
    name: str | None = None
    referenced: bool = False


def record_scenario(
    workspace_log: ExchangeLog, name: str, *, description: str | None = None
) -> str:
    """The session's journey as scenario TOML; NothingToRecord if there is none."""
    exchanges = list(workspace_log)
    recorder = _Recorder(_offer_names(workspace_log, exchanges))
    for exchange in exchanges:
        operation = _operation(exchange)
        if operation is not None:
            recorder.add(operation, workspace_log.raw(exchange.id) or exchange)
    if not recorder.steps:
        raise NothingToRecord(
            "nothing to record: the session has made no initiate, update or validate call "
            "on a basket it created"
        )
    document = recorder.document(name, description)
    text = HEADER + "\n" + tomli_w.dumps(document)
    text = _annotate(text, recorder.names)
    return scrub(text, _secrets_seen(workspace_log, exchanges))


def save_recording(path: str | Path, text: str) -> None:
    """Write a recording atomically; StoreError names the file if the disk refuses."""
    atomic_write(Path(path), text.encode("utf-8"))


# --------------------------------------------------------------------------- reading the log


def _operation(exchange: Exchange) -> str | None:
    path = urlsplit(exchange.url).path.rstrip("/")
    if exchange.method == "POST" and path.endswith("/partner/checkout/initiate"):
        return "initiate"
    if exchange.method == "PUT" and path.endswith("/partner/checkout/update"):
        return "update"
    if exchange.method == "POST" and "/partner/checkout/validate/" in path:
        return "validate"
    return None


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _offer_names(log: ExchangeLog, exchanges: Iterable[Exchange]) -> dict[str, str]:
    """Offer id -> name, from the catalogue pages and basket replies of the session."""
    names: dict[str, str] = {}
    for exchange in exchanges:
        if exchange.status is None or not 200 <= exchange.status < 300:
            continue
        reply = _json((log.raw(exchange.id) or exchange).response_body)
        if not isinstance(reply, dict):
            continue
        if urlsplit(exchange.url).path.endswith("/offers/v2"):
            try:
                for offer in OffersPage.model_validate(reply).items:
                    names.setdefault(offer.id, offer.display_name)
            except ValidationError:
                continue
        for order in (reply.get("order"), reply.get("checkout")):
            if not isinstance(order, dict):
                continue
            try:
                items = Order.model_validate(order).orderItems
            except ValidationError:
                continue
            for item in items:
                if item.offer and item.offer.id and item.offer.name:
                    names[item.offer.id] = item.offer.name
    return names


def _secrets_seen(log: ExchangeLog, exchanges: Iterable[Exchange]) -> set[str]:
    """Every credential the raw exchanges carried: tokens, secrets, cookie values."""
    found: set[str] = set()
    for exchange in exchanges:
        raw = log.raw(exchange.id) or exchange
        for name, value in [*raw.request_headers, *raw.response_headers]:
            lower = name.lower()
            if lower in ("authorization", "proxy-authorization"):
                found.add(value.partition(" ")[2] or value)
            elif lower == "cookie":
                found.update(part.partition("=")[2].strip() for part in value.split(";"))
            elif lower == "set-cookie":
                found.add(value.partition("=")[2].partition(";")[0].strip())
        for body in (raw.request_body, raw.response_body):
            found.update(_secret_values(_json(body)))
            if "=" in body and not body.lstrip().startswith(("{", "[")):
                found.update(v for k, v in parse_qsl(body) if k.lower() in SECRET_KEYS)
    return {value for value in found if len(value) >= 4 and value != "***"}


def _secret_values(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() in SECRET_KEYS and isinstance(item, str):
                yield item
            else:
                yield from _secret_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_values(item)


# --------------------------------------------------------------------------- building steps


class _Recorder:
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.steps: list[_Step] = []
        self.basket_steps: dict[str, int] = {}  # basket id -> its latest initiate step
        self.item_origin: dict[str, tuple[int, int]] = {}  # item id -> (step, position)
        self.external_ids: dict[str, int] = {}  # external id -> first initiate step
        self.current_basket: str | None = None

    def add(self, operation: str, exchange: Exchange) -> None:
        status = exchange.status
        if status is None or not (200 <= status < 300 or status == 502):
            return
        if operation == "initiate":
            self._initiate(exchange, status)
        elif operation == "update":
            self._update(exchange, status)
        else:
            self._validate(exchange, status)

    # ------------------------------------------------------------------ operations

    def _initiate(self, exchange: Exchange, status: int) -> None:
        body = _json(exchange.request_body)
        order = body.get("order") if isinstance(body, dict) else None
        if not isinstance(order, dict):
            return
        index = len(self.steps)
        external_id = order.get("external_id")
        if isinstance(external_id, str):
            if external_id in self.external_ids:
                order["external_id"] = self._ref(self.external_ids[external_id], "external_id")
            else:
                order["external_id"] = "${uuid}"
                if 200 <= status < 300:
                    self.external_ids[external_id] = index
        step = _Step("initiate", body=_escape(body))
        if 200 <= status < 300:
            try:
                reply = InitiateResponse.model_validate(_json(exchange.response_body))
            except ValidationError:
                return
            step.items = reply.order.orderItems
            step.expect = self._basket_expectations(reply.order)
            self.basket_steps[reply.id] = index
            self.current_basket = reply.id
            self._remember_items(index, step.items)
        else:
            step.expect = _refusal(status, exchange.response_body)
        self.steps.append(step)

    def _update(self, exchange: Exchange, status: int) -> None:
        body = _json(exchange.request_body)
        if not isinstance(body, dict):
            return
        reply = None
        if 200 <= status < 300:
            try:
                reply = UpdateResponse.model_validate(_json(exchange.response_body))
            except ValidationError:
                return
        basket_id = reply.id if reply is not None else self.current_basket
        if basket_id not in self.basket_steps:
            return  # a basket from another session: nothing here to replay it on
        index = len(self.steps)
        actions = body.get("orderActions")
        for action in actions if isinstance(actions, list) else []:
            item_id = action.get("orderItemId") if isinstance(action, dict) else None
            if isinstance(item_id, str) and item_id in self.item_origin:
                action["orderItemId"] = self._item_ref(item_id)
        step = _Step("update", body=_escape(body), basket=self.basket_steps[basket_id])
        if reply is not None:
            step.items = reply.order.orderItems
            step.expect = self._basket_expectations(reply.order)
            self._remember_items(index, step.items)
            self.current_basket = basket_id
        else:
            step.expect = _refusal(status, exchange.response_body)
        self.steps.append(step)

    def _validate(self, exchange: Exchange, status: int) -> None:
        basket_id = urlsplit(exchange.url).path.rstrip("/").rsplit("/", 1)[-1]
        if basket_id not in self.basket_steps:
            return
        step = _Step("validate", basket=self.basket_steps[basket_id])
        if 200 <= status < 300:
            try:
                reply = ValidateResponse.model_validate(_json(exchange.response_body))
            except ValidationError:
                return
            names = {
                item.offer.id: self._offer_name(item)
                for item in reply.checkout.orderItems
                if item.offer and item.offer.id
            }
            codes: list[str] = []
            for problem in reply.invalid.validationErrors:
                code = problem.code or problem.message
                if code and code not in codes:
                    codes.append(code)
            step.expect = {
                "status": status,
                "valid": reply.is_valid,
                "blocked": [names.get(key) or self.names.get(key, key)
                            for key in reply.invalid.blockedProducts],
                "errors": codes,
            }
            self.current_basket = basket_id
        else:
            step.expect = _refusal(status, exchange.response_body)
        self.steps.append(step)

    # ------------------------------------------------------------------ helpers

    def _offer_name(self, item: BasketItem) -> str:
        offer = item.offer
        if offer is None:
            return item.id or "?"
        return offer.name or self.names.get(offer.id or "") or offer.id or "?"

    def _basket_expectations(self, order: Order) -> dict[str, Any]:
        expect: dict[str, Any] = {
            "status": 200,
            "items": [
                {"offer": self._offer_name(item), "quantity": int(item.quantity)}
                if item.quantity is not None
                else {"offer": self._offer_name(item)}
                for item in order.orderItems
            ],
        }
        if order.total_amount is not None:
            expect["total"] = str(order.total_amount)
        if order.total_currency:
            expect["currency"] = order.total_currency
        return expect

    def _remember_items(self, index: int, items: list[BasketItem]) -> None:
        for position, item in enumerate(items):
            if item.id:
                self.item_origin.setdefault(item.id, (index, position))

    def _ref(self, step: int, attribute: str) -> _Ref:
        self.steps[step].referenced = True
        return _Ref(step, attribute)

    def _item_ref(self, item_id: str) -> _Ref:
        step, position = self.item_origin[item_id]
        items = self.steps[step].items
        name = self._offer_name(items[position])
        same = [i for i in items if self._offer_name(i) == name]
        if len(same) == 1 and "}" not in name and name.strip() == name:
            return self._ref(step, f"item:{name}")
        return self._ref(step, f"items[{position}].id")

    # ------------------------------------------------------------------ the document

    def document(self, name: str, description: str | None) -> dict[str, Any]:
        self._name_steps()
        document: dict[str, Any] = {"version": FORMAT_VERSION, "name": name}
        if description:
            document["description"] = description
        document["steps"] = [self._step_table(i, step) for i, step in enumerate(self.steps)]
        return document

    def _name_steps(self) -> None:
        initiates = 0
        for index, step in enumerate(self.steps):
            if step.action == "initiate" and 200 <= step.expect.get("status", 200) < 300:
                initiates += 1
                step.name = "create" if initiates == 1 else f"create-{initiates}"
            elif step.referenced:
                step.name = f"{step.action}-{index + 1}"

    def _step_table(self, index: int, step: _Step) -> dict[str, Any]:
        table: dict[str, Any] = {}
        if step.name:
            table["name"] = step.name
        table["action"] = step.action
        if step.basket is not None and step.basket != self._default_basket(index):
            table["basket"] = self.steps[step.basket].name
        if step.body is not None:
            table["body"] = _render(step.body, self.steps)
        table["expect"] = step.expect
        return table

    def _default_basket(self, index: int) -> int | None:
        for earlier in range(index - 1, -1, -1):
            step = self.steps[earlier]
            if step.action == "initiate" and 200 <= step.expect.get("status", 200) < 300:
                return earlier
        return None


def _refusal(status: int, body: str) -> dict[str, Any]:
    expect: dict[str, Any] = {"status": status}
    reply = _json(body)
    message = reply.get("message") if isinstance(reply, dict) else None
    if isinstance(message, str):
        stable = _VOLATILE.split(message, maxsplit=1)[0].rstrip(" :;,.'\"(")
        if len(stable) >= 8:
            expect["message"] = stable
    return expect


def _escape(value: Any) -> Any:
    """Bodies are sent as written, except ``$``, which starts a reference in a
    scenario: a literal one is written ``$$``."""
    if isinstance(value, str):
        return value if value == "${uuid}" else value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value


def _render(value: Any, steps: list[_Step]) -> Any:
    if isinstance(value, _Ref):
        return f"${{{steps[value.step].name}.{value.attribute}}}"
    if isinstance(value, dict):
        return {k: _render(v, steps) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, steps) for v in value]
    return value


def _annotate(text: str, names: dict[str, str]) -> str:
    """Name the offer of every line that holds an offer id, in a comment."""
    quoted = {f'"{offer_id}"': name for offer_id, name in names.items() if offer_id}
    lines = []
    for line in text.splitlines():
        found = [name for key, name in quoted.items() if key in line]
        if found and "#" not in line:
            line = f"{line}  # {', '.join(dict.fromkeys(found))}"
        lines.append(line)
    return "\n".join(lines) + "\n"
