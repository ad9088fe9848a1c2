"""Property tests: whatever bytes or values arrive, every model and every
file the app reads gives either a valid object or a clear message — never an
unhandled exception."""

from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tui_app.services.api.endpoints import Endpoint, EndpointError
from tui_app.services.api.models import (
    CatalogueOffer,
    InitiateCheckout,
    InitiateResponse,
    OffersPage,
    UpdateCheckout,
    UpdateResponse,
    ValidateResponse,
    describe_validation_error,
)
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import ProfileStore
from tui_app.services.store.session import SessionStore
from tui_app.services.store.settings import load_settings
from tui_app.themes import theme_from_toml

PROFILE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)

# Shapes close to the real ones, so the models' inner checks are reached too.
order_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "order": st.fixed_dictionaries(
            {}, optional={"orderItems": st.lists(json_values, max_size=3), "total": json_values}
        ) | json_values,
        "orderActionResults": st.lists(json_values, max_size=3) | json_values,
        "checkout": json_values,
        "invalid": st.fixed_dictionaries(
            {}, optional={"blockedProducts": json_values, "validationErrors": json_values}
        ) | json_values,
        "items": st.lists(json_values, max_size=3) | json_values,
    },
)

RESPONSES = [InitiateResponse, UpdateResponse, ValidateResponse, OffersPage, CatalogueOffer]
REQUESTS = [InitiateCheckout, UpdateCheckout]


@PROFILE
@given(body=order_like | json_values)
def test_any_reply_parses_or_fails_with_field_messages(body):
    for model in RESPONSES + REQUESTS:
        try:
            model.model_validate(body)
        except ValidationError as exc:
            lines = describe_validation_error(exc)
            assert lines and all(isinstance(line, str) and line for line in lines)


@PROFILE
@given(text=st.text(max_size=80))
def test_any_tenant_or_base_url_is_accepted_or_refused_with_a_reason(text):
    for build in (Endpoint.from_tenant, Endpoint.from_base_url):
        try:
            endpoint = build(text)
        except EndpointError as exc:
            assert str(exc)
        else:
            assert endpoint.api_base.startswith(("https://", "http://"))
            assert "\n" not in endpoint.api_base


toml_ish = st.text(alphabet=string.printable + "é€☃\x00\x07", max_size=300)
toml_like = st.lists(
    st.sampled_from([
        "version = 1", "version = 99", "[profiles.a]", '[profiles."b c"]', 'tenant = "x.y"',
        'base_url = "http://127.0.0.1:1/api"', 'auth = "bearer"', 'auth = "magic"',
        "timeout = 0", 'client_id = "id"', "token = 5", 'token = "t"', "theme = 3",
        'theme = "limio"', "[keys]", '"app.help" = "f9"', '"x" = 1', "[[steps]]", "= broken",
    ]),
    max_size=10,
).map("\n".join)


@PROFILE
@given(profiles=toml_like | toml_ish, secrets=toml_like | toml_ish)
def test_any_profiles_and_secrets_files_load_or_are_set_aside(tmp_path_factory, profiles, secrets):
    paths = AppPaths.resolve(tmp_path_factory.mktemp("cfg"))
    paths.ensure()
    paths.profiles_file.write_text(profiles, "utf-8")
    paths.secrets_file.write_text(secrets, "utf-8")
    store = ProfileStore(paths)
    warnings = store.load()
    assert all(isinstance(w, str) and w for w in warnings)
    for profile in store.profiles():
        store.secrets_for(profile.name)
    store.save()  # and what was loaded can always be written back


@PROFILE
@given(text=st.text(max_size=300) | json_values.map(json.dumps))
def test_any_session_file_loads_or_is_set_aside(tmp_path_factory, text):
    paths = AppPaths.resolve(tmp_path_factory.mktemp("cfg"))
    paths.ensure()
    paths.session_file.write_text(text, "utf-8")
    store = SessionStore(paths)
    warnings = store.load()
    assert all(isinstance(w, str) and w for w in warnings)
    assert store.state.version == 1
    store.save()


@PROFILE
@given(text=toml_like | toml_ish)
def test_any_settings_file_gives_settings_and_warnings(tmp_path_factory, text):
    paths = AppPaths.resolve(tmp_path_factory.mktemp("cfg"))
    paths.ensure()
    paths.settings_file.write_text(text, "utf-8")
    settings_, warnings = load_settings(paths)
    assert isinstance(settings_.theme, str) and settings_.theme
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in settings_.keys.items())
    assert all(isinstance(w, str) for w in warnings)


theme_like = st.lists(
    st.sampled_from([
        'name = "t"', "name = 1", 'primary = "#ff0000"', 'primary = "nope"', "dark = false",
        'dark = "yes"', 'background = "#000"', "[variables]", '"block-cursor" = "x"',
        'colour = "red"', "primary = []",
    ]),
    max_size=8,
).map("\n".join)


@PROFILE
@given(text=theme_like | toml_ish)
def test_any_theme_file_is_a_theme_or_a_clear_refusal(text):
    try:
        theme = theme_from_toml(text, "mine.toml")
    except ValueError as exc:
        assert str(exc).startswith("mine.toml")
    else:
        assert theme.name and theme.primary


@PROFILE
@given(st.text(max_size=40) | st.text(alphabet=st.sampled_from(
    "ab…—£\x1b\x07\x7f\x85\u2028\u2029\u202a\u202e\u2066\u2069\t\n 日"), max_size=20))
def test_visible_text_is_the_stand_in_translation_whatever_arrives(text):
    """The fast path (a printable text is returned as it is) gives what the
    stand-in table gives for every text: each character it replaces is
    unprintable."""
    from tui_app.formatting import _TABLE, visible

    assert visible(text) == text.translate(_TABLE)
    assert all(not chr(code).isprintable() for code in _TABLE)

