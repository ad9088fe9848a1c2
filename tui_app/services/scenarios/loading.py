"""Loading a scenario file: TOML read with every line located, each step checked
(keys, bodies against the request models, references to earlier steps), and
every problem reported as ``path:line: step N (action name): where: reason``
before anything is sent. The language itself is in ``format``.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from tui_app.services.api.models import InitiateCheckout, UpdateCheckout, format_location
from tui_app.services.scenarios.format import (
    ACTIONS,
    FORMAT_VERSION,
    STEP_NAME_PATTERN,
    Expectation,
    ItemExpectation,
    Loc,
    Scenario,
    Step,
    is_success,
    map_strings,
    references_in,
    substitute,
    walk_strings,
)

# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ScenarioError(ValueError):
    """A scenario file that cannot be run; every problem has a file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------- locating lines

_STEP_HEADER = re.compile(r"^\s*\[\[\s*steps\s*\]\]\s*(#.*)?$")


class _Lines:
    """Finds the line a (step, key path) is on. tomllib keeps no positions, so
    this reads the text: the N-th ``[[steps]]`` header, then each key of the
    path in turn below it. A key it cannot find leaves the best line so far."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [i for i, line in enumerate(self.lines) if _STEP_HEADER.match(line)]

    def _range(self, step: int | None) -> tuple[int, int]:
        if step is None:
            return 0, self.headers[0] if self.headers else len(self.lines)
        if step >= len(self.headers):
            return (self.headers[-1] if self.headers else 0), len(self.lines)
        end = self.headers[step + 1] if step + 1 < len(self.headers) else len(self.lines)
        return self.headers[step], end

    def find(self, step: int | None, path: Loc = ()) -> int:
        start, end = self._range(step)
        position = start
        previous_key: str | None = None
        for part in path:
            if isinstance(part, int):
                position = self._element(position, end, previous_key, part)
                continue
            key = re.compile(rf"(?:^|[\s{{,.\[])\"?{re.escape(part)}\"?\s*(?:=|\]|\.)")
            found = next(
                (i for i in range(position, end) if key.search(self._code(self.lines[i]))), None
            )
            if found is None:
                break
            position, previous_key = found, part
        return position + 1

    @staticmethod
    def _code(line: str) -> str:
        """The line without its comment (a # inside a string is not one)."""
        quote: str | None = None
        escaped = False
        for position, char in enumerate(line):
            if quote is not None:
                if escaped:
                    escaped = False
                elif char == "\\" and quote == '"':
                    escaped = True
                elif char == quote:
                    quote = None
            elif char in "\"'":
                quote = char
            elif char == "#":
                return line[:position]
        return line

    def _element(self, position: int, end: int, key: str | None, index: int) -> int:
        if key is None:
            return position
        header = re.compile(rf"^\s*\[\[[^\]]*\b{re.escape(key)}\s*\]\]")
        tables = [i for i in range(position, end) if header.match(self.lines[i])]
        if len(tables) > index:
            return tables[index]
        # An inline array written one element per line (as the recorder writes it).
        if self.lines[position].rstrip().endswith("[") and position + 1 + index < end:
            return position + 1 + index
        return position


# --------------------------------------------------------------------------- parsing


_TOML_POSITION = re.compile(r"(?s)(.*?) \(at line (\d+), column (\d+)\)")


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; raises ScenarioError (or OSError)."""
    text = Path(path).read_text("utf-8")
    return parse_scenario(text, str(path))


def parse_scenario(text: str, path: str = "<scenario>") -> Scenario:
    """Check a scenario's text and return its model; ScenarioError lists every
    problem found, each with its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.fullmatch(str(exc))
        line = int(match[2]) if match else 1
        reason = match[1] if match else str(exc)
        column = f" (column {match[3]})" if match else ""
        raise ScenarioError([Problem(path, line, f"not valid TOML: {reason}{column}")]) from None
    return _Checker(text, path).check(data)


_TOP_KEYS = ("version", "name", "description", "steps")


@dataclass
class _Checker:
    text: str
    path: str
    problems: list[Problem] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.where = _Lines(self.text)

    # -------------------------------------------------------------- reporting

    def report(self, step: int | None, loc: Loc, message: str) -> None:
        line = self.where.find(step, loc)
        prefix = ""
        if step is not None:
            prefix = f"{self.labels[step]}: " if step < len(self.labels) else f"step {step + 1}: "
        where = format_location(loc)
        self.problems.append(Problem(self.path, line, f"{prefix}{where + ': ' if where else ''}"
                                                     f"{message}"))

    def report_validation(self, step: int | None, base: Loc, exc: ValidationError,
                          known_keys: dict[Loc, tuple[str, ...]]) -> None:
        for detail in exc.errors(include_url=False):
            loc = (*base, *_clean_loc(detail.get("loc", ())))
            message = str(detail.get("msg", "invalid")).removeprefix("Value error, ")
            kind = detail.get("type")
            if kind == "extra_forbidden":
                parent = tuple(p for p in loc[:-1] if isinstance(p, str))
                options = known_keys.get(parent, ())
                guess = difflib.get_close_matches(str(loc[-1]), options, n=1)
                message = "unknown key" + (f" (did you mean {guess[0]!r}?)" if guess else
                                           f" (known: {', '.join(options)})" if options else "")
            elif kind == "literal_error" and loc[-1] == "action":
                message = f"unknown action {detail.get('input')!r}: use {', '.join(ACTIONS)}"
            elif kind == "missing":
                message = "missing"
            elif kind == "string_pattern_mismatch" and loc[-1] in ("name", "basket"):
                message = (f"{detail.get('input')!r} is not a step name: use letters, digits, "
                           "- and _, starting with a letter (it goes in ${NAME.…} references)")
            self.report(step, loc, message)

    # -------------------------------------------------------------- the checks

    def check(self, data: dict[str, Any]) -> Scenario:
        header_ok = self._check_header(data)
        raw_steps = data.get("steps")
        if isinstance(raw_steps, list):
            self.labels = [
                _stand_in_step(raw).label(i)
                if isinstance(raw, dict) and isinstance(raw.get("action"), str)
                else f"step {i + 1}"
                for i, raw in enumerate(raw_steps)
            ]
        steps: list[Step] = []
        broken: set[int] = set()
        if isinstance(raw_steps, list):
            for index, raw in enumerate(raw_steps):
                step = self._check_step(index, raw)
                if step is None:
                    # Stand in with what can be read, so the other steps are
                    # still checked (and can name this one) in the same pass.
                    step = _stand_in_step(raw)
                    broken.add(index)
                steps.append(step)
        self._check_names(steps)
        for index, step in enumerate(steps):
            if index not in broken:
                self._check_semantics(index, step, steps)
        if self.problems or not header_ok:
            raise ScenarioError(self.problems)
        scenario = Scenario(
            version=data["version"],
            name=data["name"],
            description=data.get("description"),
            steps=steps,
        )
        scenario._path = self.path
        return scenario

    def _check_header(self, data: dict[str, Any]) -> bool:
        before = len(self.problems)
        for key in data:
            if key not in _TOP_KEYS:
                guess = difflib.get_close_matches(key, _TOP_KEYS, n=1)
                self.report(None, (key,), "unknown key"
                            + (f" (did you mean {guess[0]!r}?)" if guess else ""))
        version = data.get("version")
        if "version" not in data:
            self.report(None, (), f"missing version = {FORMAT_VERSION} at the top of the file")
        elif version != FORMAT_VERSION or isinstance(version, bool):
            self.report(None, ("version",), f"{version!r} is not supported (this "
                        f"basket-builder reads version {FORMAT_VERSION})")
        name = data.get("name")
        if "name" not in data:
            self.report(None, (), "missing name = \"...\" at the top of the file")
        elif not isinstance(name, str) or not name.strip():
            self.report(None, ("name",), "must be non-empty text")
        if "description" in data and not isinstance(data["description"], str):
            self.report(None, ("description",), "must be text")
        steps = data.get("steps")
        if isinstance(steps, dict):
            self.report(None, ("steps",), "write each step as [[steps]], with two brackets: "
                        "the steps are a list")
        elif not isinstance(steps, list) or not steps:
            self.report(None, ("steps",) if "steps" in data else (),
                        "the scenario needs at least one [[steps]] table")
        elif not all(isinstance(s, dict) for s in steps):
            self.report(None, ("steps",), "steps must be tables: write each as [[steps]]")
        return len(self.problems) == before

    def _check_step(self, index: int, raw: Any) -> Step | None:
        if not isinstance(raw, dict):
            return None
        try:
            step = Step.model_validate(raw)
        except ValidationError as exc:
            self.report_validation(index, (), exc, _STEP_KEYS)
            if not all(error["loc"][:1] == ("expect",) for error in exc.errors()):
                return None
            # Only the expectations are wrong: the body can still be checked.
            step = Step.model_validate({k: v for k, v in raw.items() if k != "expect"})
        step._line = self.where.find(index)
        return step

    def _check_names(self, steps: list[Step]) -> None:
        seen: dict[str, int] = {}
        for index, step in enumerate(steps):
            if step.name is None:
                continue
            if step.name in seen:
                self.report(index, ("name",), f"the name {step.name!r} is already used by "
                            f"step {seen[step.name] + 1}; names must be unique")
            else:
                seen[step.name] = index

    def _check_semantics(self, index: int, step: Step, steps: list[Step]) -> None:
        self._check_basket(index, step, steps)
        self._check_expect(index, step, steps)
        if step.action == "validate":
            if step.body is not None:
                self.report(index, ("body",), "a validate step sends no body; remove it")
            return
        if step.body is None:
            needed = ("[steps.body.order] with orderItems, external_id, country, source and "
                      "order_type" if step.action == "initiate"
                      else "[[steps.body.orderActions]]")
            self.report(index, (), f"an {step.action} step needs a body: {needed}")
            return
        self._check_references(index, step, steps)
        self._check_body(index, step, steps)

    def _check_basket(self, index: int, step: Step, steps: list[Step]) -> None:
        if step.action == "initiate":
            if step.basket is not None:
                self.report(index, ("basket",), "an initiate step makes its own basket; "
                            "basket = ... is for update and validate steps")
            return
        if step.basket is not None:
            target = next((i for i, s in enumerate(steps) if s.name == step.basket), None)
            if target is None:
                self.report(index, ("basket",), f"no step is named {step.basket!r}")
            elif target >= index:
                self.report(index, ("basket",), f"{steps[target].label(target)} runs "
                            f"{'later' if target > index else 'as this step'}; name an "
                            "earlier initiate step")
            elif steps[target].action != "initiate":
                self.report(index, ("basket",), f"{steps[target].label(target)} is not an "
                            "initiate step; name the initiate step that made the basket")
            elif not is_success(steps[target].expect.status):
                self.report(index, ("basket",), f"{steps[target].label(target)} expects "
                            f"status {steps[target].expect.status}, so it makes no basket")
            else:
                step._basket_step = target
            return
        for earlier in range(index - 1, -1, -1):
            candidate = steps[earlier]
            if candidate.action == "initiate" and is_success(candidate.expect.status):
                step._basket_step = earlier
                return
        self.report(index, ("action",), f"there is no earlier initiate step whose basket "
                    f"this {step.action} could use")

    def _check_expect(self, index: int, step: Step, steps: list[Step]) -> None:
        expect = step.expect
        if not is_success(expect.status):
            for key in expect.checks_reply:
                self.report(index, ("expect", key), f"cannot be checked when the step expects "
                            f"status {expect.status}: a refused call returns no basket")
        elif expect.message is not None:
            self.report(index, ("expect", "message"), "checks the message of a refused call; "
                        "use it with status = 401, 404 or 502")
        if step.action != "validate":
            for key in ("valid", "blocked", "errors"):
                if getattr(expect, key) is not None:
                    self.report(index, ("expect", key), "is checked by validate steps only")
        if expect.valid is True and (expect.blocked or expect.errors):
            self.report(index, ("expect", "valid"), "a valid basket has nothing blocked and no "
                        "errors: drop valid = true or the blocked/errors lists")
        for loc, text in walk_strings(expect.model_dump(exclude_none=True), ("expect",)):
            if "${" in text:
                self.report(index, loc, "references are resolved in bodies only; write the "
                            "offer name or id")

    def _check_references(self, index: int, step: Step, steps: list[Step]) -> None:
        for loc, text in walk_strings(step.body, ("body",)):
            try:
                found = references_in(text)
            except ValueError as exc:
                self.report(index, loc, str(exc))
                continue
            for ref in found:
                if ref.step is None:
                    continue
                target = next((i for i, s in enumerate(steps) if s.name == ref.step), None)
                if target is None:
                    names = [s.name for s in steps[:index] if s.name]
                    guess = difflib.get_close_matches(ref.step, names, n=1)
                    self.report(index, loc, f"${{{ref.text}}} refers to no step: no step is "
                                f"named {ref.step!r}"
                                + (f" (did you mean {guess[0]!r}?)" if guess else ""))
                elif target >= index:
                    when = "later" if target > index else "in this very step"
                    self.report(index, loc, f"${{{ref.text}}} refers to "
                                f"{steps[target].label(target)}, which runs {when}; a step "
                                "can only use what earlier steps returned")
                elif not is_success(steps[target].expect.status):
                    self.report(index, loc, f"${{{ref.text}}} refers to "
                                f"{steps[target].label(target)}, which expects status "
                                f"{steps[target].expect.status} and so returns no basket")

    def _check_body(self, index: int, step: Step, steps: list[Step]) -> None:
        body = copy.deepcopy(step.body)
        if step.action == "initiate":
            self._check_offers(index, body)
            model: type[BaseModel] = InitiateCheckout
        else:
            model = UpdateCheckout
        stand_in = map_strings(body, _stand_in)
        try:
            model.model_validate(stand_in)
        except ValidationError as exc:
            keys = _INITIATE_KEYS if step.action == "initiate" else _UPDATE_KEYS
            self.report_validation(index, ("body",), exc, keys)

    def _check_offers(self, index: int, body: dict[str, Any]) -> None:
        """Offers by name or id are looked up at run time: check their shape,
        then put a stand-in id and version so the request model can check the rest."""
        order = body.get("order")
        items = order.get("orderItems") if isinstance(order, dict) else None
        if not isinstance(items, list):
            return
        for position, item in enumerate(items):
            offer = item.get("offer") if isinstance(item, dict) else None
            if not isinstance(offer, dict):
                continue
            loc: Loc = ("body", "order", "orderItems", position, "offer")
            unknown = [key for key in offer if key not in ("id", "name", "version")]
            for key in unknown:
                self.report(index, (*loc, key), "unknown key (an offer is { name = ... }, "
                            "{ id = ... } or { id = ..., version = ... })")
            if "id" in offer and "name" in offer:
                self.report(index, loc, "give the offer's name or its id, not both")
            elif "id" not in offer and "name" not in offer:
                self.report(index, loc, "an offer needs a name = \"...\" or an id = \"...\"")
            for key in ("id", "name", "version"):
                if key in offer and (not isinstance(offer[key], str) or not offer[key].strip()):
                    self.report(index, (*loc, key), "must be non-empty text")
            # Reported above if wrong: the request model checks the rest.
            item["offer"] = {"id": "stand-in", "version": "stand-in"}


def _stand_in_step(raw: Any) -> Step:
    """A step that failed its checks, as far as it can be read."""
    raw = raw if isinstance(raw, dict) else {}
    name = raw.get("name")
    action = raw.get("action")
    return Step.model_construct(
        name=name if isinstance(name, str) and re.match(STEP_NAME_PATTERN, name) else None,
        action=action if isinstance(action, str) else "?",
        basket=None,
        body=None,
        expect=Expectation.model_construct(status=200),
    )


def _stand_in(text: str) -> Any:
    """What a string with references looks like to the request models."""
    try:
        return substitute(text, lambda ref: 1 if ref.is_number else "stand-in")
    except ValueError:
        return text


def _clean_loc(loc: tuple[Any, ...]) -> Loc:
    return tuple(
        part for part in loc
        if not str(part).startswith(("function-", "json-or-python", "literal[", "nullable["))
    )


def _keys(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(model.model_fields)


_STEP_KEYS: dict[Loc, tuple[str, ...]] = {
    (): _keys(Step),
    ("expect",): _keys(Expectation),
    ("expect", "items"): _keys(ItemExpectation),
}
_INITIATE_KEYS: dict[Loc, tuple[str, ...]] = {
    ("body",): ("order",),
    ("body", "order"): ("orderItems", "external_id", "country", "source", "order_type",
                        "tracking"),
    ("body", "order", "orderItems"): ("offer", "quantity", "type"),
}
_UPDATE_KEYS: dict[Loc, tuple[str, ...]] = {
    ("body",): ("orderActions",),
    ("body", "orderActions"): ("orderItemActionType", "offerId", "orderItemId", "quantity"),
}
