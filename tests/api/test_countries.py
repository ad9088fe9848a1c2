"""Country codes: every ISO 3166-1 alpha-2 code, named, and read from what people type."""

from __future__ import annotations

import pytest

from tui_app.sandbox.rules import COUNTRY_CODES
from tui_app.services.api.countries import (
    COUNTRIES,
    CountryError,
    country_name,
    labelled,
    parse_country,
    suggestions,
)


def test_every_assigned_code_has_a_name_and_nothing_else_is_listed():
    # The sandbox checks orders against the same list, so what the form
    # accepts the server accepts too.
    assert set(COUNTRIES) == COUNTRY_CODES
    assert len(COUNTRIES) == 249
    assert all(len(code) == 2 and code.isupper() and name for code, name in COUNTRIES.items())
    assert country_name("gb") == "United Kingdom" and country_name("XX") is None
    assert labelled("DE") == "DE — Germany"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("GB", "GB"),
        ("gb", "GB"),
        ("  de ", "DE"),
        ("GB — United Kingdom", "GB"),  # an accepted suggestion, by code
        ("Germany — DE", "DE"),  # an accepted suggestion, by name
        ("FR - France", "FR"),
        ("Ireland (IE)", "IE"),
    ],
)
def test_codes_and_accepted_suggestions_read_as_the_code(typed, code):
    assert parse_country(typed) == code


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "required"),
        ("XX", "'XX' is not an ISO 3166-1 alpha-2 country code"),
        ("Germany", "use the two-letter code: DE (Germany)"),
        ("united states", "use the two-letter code: US (United States)"),
        ("UK", "use GB (United Kingdom)"),
        ("Narnia", "not a two-letter country code"),
        ("G", "not a two-letter country code"),
    ],
)
def test_anything_else_is_refused_with_a_reason(typed, reason):
    with pytest.raises(CountryError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        parse_country(typed)


def test_suggestions_find_a_country_by_code_and_by_name():
    offered = suggestions()
    assert "GB — United Kingdom" in offered and "United Kingdom — GB" in offered
    assert len(offered) == 2 * len(COUNTRIES)
    # Codes come first, so typing a code completes to that code.
    assert offered.index("DE — Germany") < offered.index("Germany — DE")
