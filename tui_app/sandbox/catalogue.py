"""The sandbox's offer catalogue and the ``GET /offers/v2`` query language.

The seed data (``catalogue.json``) holds current versions of offers and add-ons
as a tenant publishes them; an item may also carry ``previous_versions``, seed
metadata that never appears as such in a reply: those versions are listed
(marked ``"published": false``) only with ``offersSource=catalog``, and a basket
may still be built with them so validation can report the outdated version.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

from tui_app.sandbox.limits import MAX_ALIAS, echo, load_json
from tui_app.services.api.models import CatalogueOffer

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class QueryError(Exception):
    """A catalogue query the sandbox refuses; the message names the option."""


@dataclass(frozen=True)
class Entry:
    """One version of one catalogue item: its public JSON and the parsed model."""

    raw: dict[str, Any]
    offer: CatalogueOffer
    current: bool

    @property
    def id(self) -> str:
        return self.offer.id

    @property
    def version(self) -> str:
        return self.offer.version or ""

    @property
    def name(self) -> str:
        return self.offer.display_name


@dataclass(frozen=True)
class OfferQuery:
    path: str | None = None
    tags: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    reduced: bool = False
    source: str = "published"
    page_size: int = DEFAULT_PAGE_SIZE
    start: int = 0
    alias: str | None = None

    def filters(self) -> dict[str, Any]:
        """What selects the items: an alias stands for exactly this."""
        data = asdict(self)
        for paging in ("page_size", "start", "alias"):
            data.pop(paging)
        data["tags"] = list(self.tags)
        data["attributes"] = [list(pair) for pair in self.attributes]
        return data


@dataclass
class Catalogue:
    entries: list[Entry]
    commit_id: str
    _by_id: dict[str, Entry] = field(init=False, repr=False)
    _versions: dict[tuple[str, str], Entry] = field(init=False, repr=False)
    _previous: dict[str, list[Entry]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {entry.id: entry for entry in self.entries if entry.current}
        self._versions = {(entry.id, entry.version): entry for entry in self.entries}
        self._previous = {}
        for entry in self.entries:
            if not entry.current:
                self._previous.setdefault(entry.id, []).append(entry)

    @classmethod
    def load(cls) -> Catalogue:
        """The catalogue shipped with the package."""
        blob = resources.files("tui_app.sandbox").joinpath("catalogue.json").read_bytes()
        return cls.from_json(blob)

    @classmethod
    def from_json(cls, blob: bytes) -> Catalogue:
        entries: list[Entry] = []
        for seed in json.loads(blob)["items"]:
            public = {key: value for key, value in seed.items() if key != "previous_versions"}
            entries.append(Entry(public, CatalogueOffer.model_validate(public), current=True))
            for old in seed.get("previous_versions", []):
                raw = copy.deepcopy(public)
                raw.update(old)
                raw["published"] = False
                entries.append(Entry(raw, CatalogueOffer.model_validate(raw), current=False))
        # The commit id changes whenever the seed data does, like a tenant's publish.
        return cls(entries, hashlib.sha1(blob, usedforsecurity=False).hexdigest())

    # ---------------------------------------------------------------- lookups

    def current(self, offer_id: str) -> Entry | None:
        return self._by_id.get(offer_id)

    def version(self, offer_id: str, version: str) -> Entry | None:
        return self._versions.get((offer_id, version))

    def previous(self, offer_id: str) -> list[Entry]:
        return self._previous.get(offer_id, [])

    def parents_of(self, add_on_id: str) -> list[Entry]:
        """The current offers that list this add-on among their cross-sells."""
        parents = []
        for entry in self._by_id.values():
            cross_sell = entry.offer.data.attributes.cross_sell_addons__limio
            if cross_sell and any(link.id == add_on_id for link in cross_sell.items):
                parents.append(entry)
        return parents

    # ---------------------------------------------------------------- queries

    def search(self, query: OfferQuery) -> list[Entry]:
        """Every entry the query's filters select, in catalogue order."""
        found = []
        for entry in self.entries:
            if not entry.current and query.source != "catalog":
                continue
            if query.path and not (entry.offer.path or "").startswith(query.path):
                continue
            if query.tags and not set(query.tags) & set(entry.offer.tags):
                continue
            attributes = entry.raw.get("data", {}).get("attributes", {})
            if not all(_attribute_matches(attributes.get(k), v) for k, v in query.attributes):
                continue
            found.append(entry)
        return found

    def page(self, query: OfferQuery) -> dict[str, Any]:
        """The ``GET /offers/v2`` reply for one page of the query."""
        if query.alias is not None:
            self._check_alias(query)
        found = self.search(query)
        if query.start > len(found):
            raise QueryError(
                f"opt.queryMoreFrom: {query.start} is past the end of the results "
                f"({len(found)} hits)"
            )
        end = query.start + query.page_size
        reply: dict[str, Any] = {
            "hits": len(found),
            "header": {"commitId": self.commit_id},
            "items": [self._public(entry, query) for entry in found[query.start : end]],
        }
        if end < len(found):
            reply["queryMore"] = {"from": end, "alias": self._alias(query)}
        return reply

    def _public(self, entry: Entry, query: OfferQuery) -> dict[str, Any]:
        item = copy.deepcopy(entry.raw)
        if query.source == "catalog":
            item["published"] = entry.current
        if query.reduced:
            item.get("data", {}).pop("products", None)
        return item

    def _alias(self, query: OfferQuery) -> str:
        # Opaque to clients, but self-describing: it carries the filters it
        # pages through and the catalogue commit it was issued for.
        payload = {"c": self.commit_id[:12], "q": query.filters()}
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def _check_alias(self, query: OfferQuery) -> None:
        alias = query.alias or ""
        refused = QueryError("opt.queryMoreAlias: not an alias this catalogue issued")
        if len(alias) > MAX_ALIAS:
            raise refused
        try:
            # Depth-limited: the alias is the caller's text, however it was made.
            payload = load_json(base64.urlsafe_b64decode(alias + "=" * (-len(alias) % 4)))
            commit, filters = payload["c"], payload["q"]
        except (ValueError, TypeError, KeyError, binascii.Error) as exc:
            raise refused from exc
        if commit != self.commit_id[:12]:
            raise QueryError("opt.queryMoreAlias: the catalogue changed; start the query again")
        if filters != query.filters():
            raise QueryError(
                "opt.queryMoreAlias: belongs to a different query; repeat the same "
                "filters when paging"
            )


def _attribute_matches(actual: Any, wanted: str) -> bool:
    if isinstance(actual, list):
        return any(_attribute_matches(value, wanted) for value in actual)
    if isinstance(actual, bool):
        return str(actual).lower() == wanted.lower()
    if actual is None or isinstance(actual, dict):
        return False
    return str(actual) == wanted


def parse_query(params: Mapping[str, str] | Sequence[tuple[str, str]]) -> OfferQuery:
    """Read ``GET /offers/v2`` query options; raises QueryError naming a bad one."""
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    options: dict[str, str] = {}
    attributes: list[tuple[str, str]] = []
    for key, value in pairs:
        if key.startswith("attributes."):
            name = key.removeprefix("attributes.")
            if not name:
                raise QueryError(f"{key}: name the attribute, e.g. attributes.group__limio")
            attributes.append((name, value))
        else:
            options[key] = value

    source = options.get("offersSource", "published") or "published"
    if source not in ("published", "catalog"):
        raise QueryError(f"offersSource: must be 'published' or 'catalog', not {echo(source)}")
    reduced_text = options.get("reducedData", "false").lower()
    if reduced_text not in ("true", "false", "1", "0", ""):
        raise QueryError(f"reducedData: must be true or false, not {echo(reduced_text)}")

    page_size = _whole_number(options, "opt.pageSize", DEFAULT_PAGE_SIZE)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise QueryError(f"opt.pageSize: must be from 1 to {MAX_PAGE_SIZE}, not {page_size}")
    start = _whole_number(options, "opt.queryMoreFrom", 0)
    if start < 0:
        raise QueryError(f"opt.queryMoreFrom: must not be negative, not {start}")
    alias = options.get("opt.queryMoreAlias") or None
    if "opt.queryMoreFrom" in options and alias is None:
        raise QueryError("opt.queryMoreFrom: send it with the opt.queryMoreAlias of the last page")
    if alias is not None and "opt.queryMoreFrom" not in options:
        raise QueryError("opt.queryMoreAlias: send it with the opt.queryMoreFrom of the last page")

    tags = tuple(tag.strip() for tag in options.get("tags", "").split(",") if tag.strip())
    return OfferQuery(
        path=options.get("path") or None,
        tags=tags,
        attributes=tuple(sorted(attributes)),
        reduced=reduced_text in ("true", "1"),
        source=source,
        page_size=page_size,
        start=start,
        alias=alias,
    )


def _whole_number(options: Mapping[str, str], name: str, default: int) -> int:
    text = options.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise QueryError(f"{name}: must be a whole number, not {echo(text)}") from None
