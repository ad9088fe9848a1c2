"""``GET /offers/v2`` on the sandbox: the seed catalogue, paging and filters."""

from __future__ import annotations

import re

import httpx
import pytest

from tui_app.services.api.models import OffersPage

HEX40 = re.compile(r"^[0-9a-f]{40}$")


@pytest.fixture(scope="module")
def api(sandbox):
    headers = {"Authorization": f"Bearer {sandbox.orgs[0].demo_token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers) as client:
        yield client


def get_offers(api, **params) -> httpx.Response:
    return api.get("/offers/v2", params=params)


def all_items(api) -> list[dict]:
    return get_offers(api, **{"opt.pageSize": 200}).json()["items"]


def test_the_catalogue_is_shaped_like_a_tenants(api):
    page = get_offers(api).json()
    parsed = OffersPage.model_validate(page)
    assert parsed.hits == len(parsed.items) >= 12
    assert HEX40.match(page["header"]["commitId"])
    assert "queryMore" not in page  # everything fits the default page of 50
    for item in page["items"]:
        assert HEX40.match(item["id"]) and HEX40.match(item["version"])
        assert "previous_versions" not in item and "published" not in item
        kind = "/add_ons/" if item["record_type"] == "add_on" else "/offers2/"
        assert item["path"] == f"{kind}{item['name']}"
        attributes = item["data"]["attributes"]
        assert attributes["price__limio"] and attributes["allowed_countries__limio"]
        for price in attributes["price__limio"]:
            assert re.match(r"^\d+\.\d\d$", price["value"])
            assert price["type"] in ("recurring", "onetime")
        for product in item["data"]["products"]:
            assert product["attributes"]["display_name__limio"]
            assert product["attributes"]["product_code__limio"]
    assert len({item["id"] for item in page["items"]}) == len(page["items"])


def test_the_catalogue_covers_the_cases_a_tester_needs(api):
    items = {item["name"]: item for item in all_items(api)}
    attributes = {name: item["data"]["attributes"] for name, item in items.items()}
    currencies = {
        price["currencyCode"] for attrs in attributes.values() for price in attrs["price__limio"]
    }
    assert {"GBP", "EUR", "USD"} <= currencies
    assert {a["term__limio"] for a in attributes.values()} >= {"monthly", "annual"}
    assert attributes["Print + Digital Bundle"]["allowed_countries__limio"] == ["GB", "IE"]
    assert attributes["US Digital Annual"]["allowed_countries__limio"] == ["US"]
    assert attributes["Student Digital"]["default_quantity_options__limio"]["maximum_quantity"] == 1
    assert attributes["Team Digital"]["default_quantity_options__limio"] == {
        "quantity": 5,
        "minimum_quantity": 5,
        "maximum_quantity": 250,
        "increment": 5,
    }
    add_ons = [item for item in items.values() if item["record_type"] == "add_on"]
    assert len(add_ons) >= 3
    parents = {
        link["id"]
        for attrs in attributes.values()
        for link in (attrs.get("cross_sell_addons__limio") or {}).get("items", [])
    }
    assert all(add_on["id"] in parents for add_on in add_ons)
    assert attributes["Sunday Magazine Delivery"]["allowed_countries__limio"] == ["GB"]
    assert attributes["Welcome Tote Bag"]["price__limio"][0]["type"] == "onetime"


def test_paging_walks_every_item_exactly_once(api):
    everything = [item["id"] for item in all_items(api)]
    seen: list[str] = []
    first = get_offers(api, **{"opt.pageSize": 5}).json()
    assert first["hits"] == len(everything) and len(first["items"]) == 5
    page = first
    pages = 1
    while page.get("queryMore"):
        seen += [item["id"] for item in page["items"]]
        more = page["queryMore"]
        page = get_offers(
            api,
            **{
                "opt.pageSize": 5,
                "opt.queryMoreFrom": more["from"],
                "opt.queryMoreAlias": more["alias"],
            },
        ).json()
        pages += 1
        assert page["hits"] == len(everything)
    seen += [item["id"] for item in page["items"]]
    assert seen == everything
    assert pages == -(-len(everything) // 5)


def test_paging_keeps_the_filters_the_alias_was_issued_for(api):
    first = get_offers(api, tags="digital", **{"opt.pageSize": 2}).json()
    more = first["queryMore"]
    reply = get_offers(
        api,
        tags="print",
        **{
            "opt.pageSize": 2,
            "opt.queryMoreFrom": more["from"],
            "opt.queryMoreAlias": more["alias"],
        },
    )
    assert reply.status_code == 502
    assert "opt.queryMoreAlias" in reply.json()["message"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"opt.pageSize": 0}, "opt.pageSize"),
        ({"opt.pageSize": 201}, "opt.pageSize"),
        ({"opt.pageSize": "ten"}, "opt.pageSize"),
        ({"opt.queryMoreFrom": 5, "opt.queryMoreAlias": "not-an-alias"}, "opt.queryMoreAlias"),
        ({"opt.queryMoreFrom": 5}, "opt.queryMoreFrom"),
        ({"offersSource": "draft"}, "offersSource"),
    ],
)
def test_bad_query_options_are_502_naming_the_option(api, params, named):
    reply = get_offers(api, **params)
    assert reply.status_code == 502
    assert reply.headers["content-type"] == "application/json"
    assert named in reply.json()["message"]


def test_a_from_past_the_end_is_refused(api):
    more = get_offers(api, **{"opt.pageSize": 5}).json()["queryMore"]
    reply = get_offers(
        api, **{"opt.pageSize": 5, "opt.queryMoreFrom": 999, "opt.queryMoreAlias": more["alias"]}
    )
    assert reply.status_code == 502 and "opt.queryMoreFrom" in reply.json()["message"]


def test_path_filters_by_prefix(api):
    add_ons = get_offers(api, path="/add_ons/").json()
    assert add_ons["hits"] >= 3
    assert all(item["record_type"] == "add_on" for item in add_ons["items"])
    digital = get_offers(api, path="/offers2/Digital").json()["items"]
    assert {item["name"] for item in digital} == {"Digital Monthly", "Digital Annual"}


def test_tags_match_any_of_the_list(api):
    items = get_offers(api, tags="b2b,student").json()["items"]
    assert {item["name"] for item in items} == {
        "Team Digital",
        "Business Briefing",
        "Student Digital",
    }


def test_attributes_filter_on_offer_attributes(api):
    items = get_offers(api, **{"attributes.group__limio": "Print"}).json()["items"]
    assert {item["name"] for item in items} == {"Print + Digital Bundle", "Weekend Print + Digital"}
    sold_in_ie = get_offers(api, **{"attributes.allowed_countries__limio": "IE"}).json()["items"]
    assert "Print + Digital Bundle" in {item["name"] for item in sold_in_ie}
    assert "US Digital Annual" not in {item["name"] for item in sold_in_ie}


def test_reduced_data_drops_the_products(api):
    items = get_offers(api, reducedData="true").json()["items"]
    assert items and all("products" not in item["data"] for item in items)
    assert all("attributes" in item["data"] for item in items)


def test_catalog_source_also_lists_outdated_versions(api):
    published = get_offers(api).json()
    catalog = get_offers(api, offersSource="catalog", **{"opt.pageSize": 200}).json()
    outdated = [item for item in catalog["items"] if item["published"] is False]
    assert len(outdated) == 1 and outdated[0]["name"] == "Digital Monthly"
    current = next(item for item in published["items"] if item["id"] == outdated[0]["id"])
    assert outdated[0]["version"] != current["version"]
    assert catalog["hits"] == published["hits"] + 1
    assert all(item["published"] for item in catalog["items"] if item is not outdated[0])
