"""Scenarios: a basket journey as a TOML file that QA can read, edit and replay.

A scenario is a list of steps, each one call of the partner checkout API
(``initiate``, ``update`` or ``validate``) with the body to send and what the
reply must show. ``basket-builder run FILE`` replays it (see ``replay``); the
app can record one from a session (see ``record``).

Format (version 1)::

    # basket-builder scenario
    version = 1
    name = "A valid basket in GB"
    description = "optional"

    [[steps]]
    name = "create"                  # optional; lets later steps refer to this one
    action = "initiate"              # initiate | update | validate
    [steps.body.order]               # the request body, exactly as the API takes it
    external_id = "${uuid}"
    country = "GB"
    source = "scenario"
    order_type = "new"
    [[steps.body.order.orderItems]]
    offer = { name = "Digital Monthly" }   # or { id = "..." } or { id = "...", version = "..." }
    quantity = 2
    [steps.expect]
    status = 200                     # the default; 401, 404 or 502 for a refused call
    items = [{ offer = "Digital Monthly", quantity = 2 }]
    total = "19.98"
    currency = "GBP"

    [[steps]]
    action = "update"                # acts on the basket of the latest initiate
    [[steps.body.orderActions]]
    orderItemActionType = "change_quantity"
    orderItemId = "${create.item:Digital Monthly}"
    quantity = 3

    [[steps]]
    action = "validate"              # sends no body
    [steps.expect]
    valid = false
    blocked = ["Print + Digital Bundle"]
    errors = ["country_not_allowed"]

Offers in ``orderItems``: ``{ name = ... }`` is looked up in the published
catalogue (``GET /offers/v2``) at run time and becomes its id and current
version; ``{ id = ... }`` gets the current version; ``{ id, version }`` is sent
as written (use it to pin an outdated version). When ``type`` is left out of an
item whose offer was looked up, the catalogue's type (offer or add_on) is sent.

References, written ``${...}`` anywhere in a body (a string that is only a
reference takes the value's own type, e.g. a quantity):

    ${uuid}                     a fresh UUID wherever it appears
    ${offer:NAME}               the id of the published offer named NAME
    ${STEP.basket_id}           the basket an earlier step made or acted on
    ${STEP.external_id}         that basket's external_id
    ${STEP.items[N].id}         the N-th item (from 0) of that step's reply;
                                also .quantity, .offer.id, .offer.version
    ${STEP.item:NAME}           the id of the item of that step's reply whose
                                offer is NAME (or has that offer id)
    $$                          a literal dollar sign

``STEP`` is an earlier step's ``name``. ``update`` and ``validate`` act on the
basket of the most recent ``initiate`` that expects success, or on the one
named by ``basket = "STEP"``.

Expectations (all optional; only what is written is checked):

    status    HTTP status, default 200
    message   with a refused status: a substring of the server's message
    items     [{ offer = NAME or id, quantity = N }]: exactly these items, in
              any order (leave quantity out to accept any)
    total     the order total, e.g. "19.98"; currency, country likewise
    valid     (validate) true when nothing is blocked and nothing reported
    blocked   (validate) exactly these blocked products, by name or id
    errors    (validate) every validation error, each matched by its code
              (e.g. "quantity_out_of_range") or a substring of its message

Everything wrong with a file is found before anything is sent and reported as
``path:line: step N (action name): where: reason`` (``ScenarioError``, see ``loading``).

Version 2 (``version = 2``; the same file with version 1 refuses these keys,
each with its line) adds, per step:

    [steps.capture]             name = "$.jsonpath" (the reply body),
                                { header = "X-Name" } or { cookie = "name" };
                                later steps use ${name}
    [[steps.check]]             path = "$.jsonpath", optional filter (count,
                                first, nth:N, number, lower) and one operator:
                                equals, not_equals, contains, matches, exists,
                                count, less_than, greater_than, one_of
    retry = N                   try the step up to N more times until its
    retry_interval = "300ms"    checks pass (not for update: not idempotent)

and at the top ``[[data]]`` rows (name = value): the scenario runs once per
row. ``${name}`` is a variable: a capture, a data column, ``--var``/``--secret``/
``--vars`` or ``LIMIO_NAME`` (see ``variables``); in bodies and check operands.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
)

from tui_app.services.scenarios.checks import MAX_RETRY, Check, parse_duration

FORMAT_VERSION = 1
LATEST_VERSION = 2  # adds captures, checks, retry, variables and data tables
VERSIONS = (1, 2)
VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
ACTIONS = ("initiate", "update", "validate")
V2_STEP_KEYS = ("capture", "check", "retry", "retry_interval")
STEP_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"

StepName = Annotated[str, StringConstraints(pattern=STEP_NAME_PATTERN)]
Loc = tuple[str | int, ...]


def is_success(status: int) -> bool:
    return 200 <= status < 300


# --------------------------------------------------------------------------- references

_PLACEHOLDER = re.compile(r"\$\$|\$\{([^{}]*)\}")
_STEP_ATTRIBUTE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\.(.+)$")
_VARIABLE = re.compile(VARIABLE_PATTERN)
_ITEM_FIELD = re.compile(r"^items\[(\d+)\]\.(id|quantity|offer\.id|offer\.version)$")
REFERENCE_FORMS = (
    "${uuid}, ${offer:NAME}, ${STEP.basket_id}, ${STEP.external_id}, "
    "${STEP.items[N].id} or ${STEP.item:NAME}"
)


@dataclass(frozen=True)
class Reference:
    """One ``${...}`` of a body, parsed."""

    text: str
    kind: Literal["uuid", "offer", "basket_id", "external_id", "item", "item_named", "var"]
    step: str | None = None
    index: int | None = None
    attribute: str | None = None  # for "item": id | quantity | offer.id | offer.version
    name: str | None = None  # for "offer", "item_named" and "var" (version 2)

    @property
    def is_number(self) -> bool:
        return self.kind == "item" and self.attribute == "quantity"


@functools.lru_cache(maxsize=4096)
def parse_reference(inner: str) -> Reference:
    """``create.items[0].id`` -> Reference; ValueError says what is wrong.

    Kept for the texts seen last (a Reference is frozen): a replay resolves
    the same few references in step after step."""
    text = inner.strip()
    if text == "uuid":
        return Reference(text, "uuid")
    if text.startswith("offer:"):
        name = text.removeprefix("offer:").strip()
        if not name:
            raise ValueError("${offer:NAME} needs the name of an offer")
        return Reference(text, "offer", name=name)
    if _VARIABLE.match(text):
        return Reference(text, "var", name=text)
    match = _STEP_ATTRIBUTE.match(text)
    if match:
        step, attribute = match.groups()
        if attribute in ("basket_id", "external_id"):
            return Reference(text, attribute, step=step)  # type: ignore[arg-type]
        item = _ITEM_FIELD.match(attribute)
        if item:
            return Reference(text, "item", step=step, index=int(item[1]), attribute=item[2])
        if attribute.startswith("item:") and attribute.removeprefix("item:").strip():
            return Reference(text, "item_named", step=step, name=attribute[5:].strip())
    raise ValueError(f"unknown reference ${{{inner}}}: use {REFERENCE_FORMS}")


def references_in(text: str) -> list[Reference]:
    """Every reference of a string; ValueError for a malformed one."""
    if "$" not in text:
        return []  # nothing to find, nothing malformed
    found = []
    for match in _PLACEHOLDER.finditer(text):
        if match.group(0) != "$$":
            found.append(parse_reference(match.group(1)))
    leftover = _PLACEHOLDER.sub("", text)
    if "${" in leftover:
        raise ValueError("a reference opened with ${ is not closed with }")
    return found


def substitute(text: str, value_of) -> Any:
    """Replace every reference with ``value_of(reference)``. A string that is a
    single reference and nothing else takes the value as it is (an int stays an int)."""
    if "$" not in text:
        return text  # no reference and no $$: nothing to replace
    whole = _PLACEHOLDER.fullmatch(text)
    if whole and whole.group(0) != "$$":
        return value_of(parse_reference(whole.group(1)))

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return str(value_of(parse_reference(match.group(1))))

    return _PLACEHOLDER.sub(replace, text)


def walk_strings(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Every string inside nested dicts and lists, with where it is."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk_strings(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_strings(item, (*loc, index))


def map_strings(value: Any, change) -> Any:
    """A copy of ``value`` with every string passed through ``change``."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: map_strings(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [map_strings(item, change) for item in value]
    return value


# --------------------------------------------------------------------------- model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ItemExpectation(_Strict):
    offer: Annotated[str, StringConstraints(min_length=1)]
    quantity: Annotated[int, Field(ge=0)] | None = None


class Expectation(_Strict):
    status: Annotated[int, Field(ge=100, le=599)] = 200
    message: str | None = None
    items: list[ItemExpectation] | None = None
    total: str | None = None
    currency: str | None = None
    country: str | None = None
    valid: bool | None = None
    blocked: list[str] | None = None
    errors: list[str] | None = None

    @field_validator("total", mode="before")
    @classmethod
    def _total_as_text(cls, value: Any) -> Any:
        # `total = 19.98` is as natural to type as `total = "19.98"`.
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            try:
                Decimal(value)
            except InvalidOperation:
                raise ValueError(f"{value!r} is not an amount such as \"19.98\"") from None
        return value

    @property
    def checks_reply(self) -> list[str]:
        """The keys set that look inside a successful reply."""
        keys = ("items", "total", "currency", "country", "valid", "blocked", "errors")
        return [key for key in keys if getattr(self, key) is not None]


class Step(_Strict):
    name: StepName | None = None
    action: Literal["initiate", "update", "validate"]
    basket: StepName | None = None
    body: dict[str, Any] | None = None
    expect: Expectation = Field(default_factory=Expectation)
    # Version 2 (see ``checks``):
    # name -> "$.jsonpath" or { header = ... } / { cookie = ... } (a CaptureSource
    # once the loader has checked it).
    capture: dict[str, Any] | None = None
    check: list[Check] | None = None
    retry: Annotated[int, Field(ge=0, le=MAX_RETRY)] | None = None
    retry_interval: str | None = None

    _line: int = PrivateAttr(0)
    _basket_step: int | None = PrivateAttr(None)

    @property
    def line(self) -> int:
        """The line of the step's ``[[steps]]`` header in its file."""
        return self._line

    @property
    def basket_step(self) -> int | None:
        """For update and validate: the index of the initiate step whose basket it uses."""
        return self._basket_step

    @property
    def retry_seconds(self) -> float:
        """The wait between two tries of a step with ``retry`` (default 500 ms)."""
        return parse_duration(self.retry_interval) if self.retry_interval else 0.5

    @property
    def captured(self) -> list[str]:
        return list(self.capture or ())

    def label(self, index: int) -> str:
        """Like "step 3 (update)" or "step 1 (initiate create)"; ``index`` counts from 0."""
        return f"step {index + 1} ({self.action}{f' {self.name}' if self.name else ''})"


class Scenario(_Strict):
    version: int
    name: Annotated[str, StringConstraints(min_length=1)]
    description: str | None = None
    steps: list[Step]
    data: list[dict[str, Any]] | None = None  # version 2: one run per row

    _path: str = PrivateAttr("<scenario>")
    # name -> index of the first step so named, and the step list it was built from.
    _names: dict[str, int] = PrivateAttr(default_factory=dict)
    _names_of: tuple[int, int] = PrivateAttr((0, -1))

    @property
    def path(self) -> str:
        return self._path

    def index_of(self, name: str) -> int | None:
        """The index of the first step named ``name``: a dictionary look-up
        (replay resolves every reference with it), rebuilt when the step list
        is replaced or changes length."""
        # Read straight from pydantic's store of private attributes: through
        # the model's __getattr__ each read costs more than the look-up.
        private = self.__pydantic_private__
        if private.get("_names_of") != (id(self.steps), len(self.steps)):
            names: dict[str, int] = {}
            for index, step in enumerate(self.steps):
                if step.name is not None:
                    names.setdefault(step.name, index)
            self._names, self._names_of = names, (id(self.steps), len(self.steps))
        index = private["_names"].get(name)
        if index is not None and self.steps[index].name != name:  # a step renamed in place
            self._names_of = (0, -1)
            return self.index_of(name)
        return index
