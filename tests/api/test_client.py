"""The client against the real sandbox on loopback (and, for faults the
sandbox cannot produce, httpx.MockTransport)."""

from __future__ import annotations

import json
import socket
import ssl
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tui_app.services.api import errors
from tui_app.services.api.auth import AccessToken, BearerAuth, ClientCredentialsAuth
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.cookies import BasketCookies
from tui_app.services.api.endpoints import Endpoint
from tui_app.services.api.exchange import ExchangeLog
from tui_app.services.api.models import OrderAction
from tui_app.services.store.paths import AppPaths
from tui_app.services.store.session import BasketRecord, SessionStore

from contract import request_errors, response_errors


def client_for(sandbox, org_index=0, **kwargs) -> CheckoutClient:
    org = sandbox.orgs[org_index]
    return CheckoutClient(
        Endpoint.from_base_url(sandbox.base_url),
        ClientCredentialsAuth(org.client_id, org.client_secret),
        **kwargs,
    )


async def catalogue(client):
    offers = await client.all_offers()
    plain = [o for o in offers if not o.is_add_on]
    return offers, plain


def order_body(offers, country="GB", external_id=None, **extra):
    return {
        "order": {
            "orderItems": [
                {"offer": {"id": o.id, "version": o.version}, "quantity": 1} for o in offers
            ],
            "external_id": external_id or f"test-{uuid.uuid4()}",
            "country": country,
            "source": "pytest",
            "order_type": "new",
            **extra,
        }
    }


def sold_in(offer, country):
    return not offer.countries or country in offer.countries


@pytest.fixture
async def client(sandbox):
    async with client_for(sandbox) as client:
        yield client


async def test_a_body_goes_out_as_httpx_json_would_send_it(client):
    """One pass of pydantic-core writes the body: byte for byte what
    httpx's json= made of the model's dump, with the same content type."""
    from tui_app.services.api.models import InitiateCheckout

    _offers, plain = await catalogue(client)
    body = order_body(plain[:3], external_id="naïve-£-ext", tracking={"accountId": "£ é"})
    await client.initiate(body)
    exchange = list(client.log)[-1]
    model = InitiateCheckout.model_validate(body)
    expected = httpx.Request(
        "POST", "http://x/", json=model.model_dump(mode="json", exclude_none=True))
    assert exchange.request_body.encode() == expected.content
    assert ("content-type", "application/json") in [
        (name.lower(), value) for name, value in exchange.request_headers]


async def test_the_whole_basket_journey_works_and_every_body_matches_the_spec(client):
    offers, plain = await catalogue(client)
    assert len(offers) >= 10
    gb = [o for o in plain if sold_in(o, "GB")][:3]
    basket = (await client.initiate(order_body(gb))).data
    assert basket.id.startswith("basket-")
    assert [i.offer.id for i in basket.order.orderItems] == [o.id for o in gb]
    assert basket.order.total_amount == sum(i.line_total for i in basket.order.orderItems)
    # The server's cookie, whatever its name, is what identifies the basket on update.
    assert client.cookies.get(basket.id)

    first, second = basket.order.orderItems[0], basket.order.orderItems[1]
    updated = (
        await client.update(
            basket.id,
            [
                OrderAction.change_quantity(first.id, 2),
                OrderAction.remove(second.id),
                OrderAction.add(gb[1].id),
            ],
        )
    ).data
    assert [r.actionType for r in updated.orderActionResults] == [
        "change_quantity",
        "remove",
        "add",
    ]
    assert updated.orderActionResults[0].id == first.id
    by_id = {i.id: i for i in updated.order.orderItems}
    assert by_id[first.id].quantity == 2 and second.id not in by_id
    assert len(updated.order.orderItems) == 3

    verdict = (await client.validate(basket.id)).data
    assert verdict.id == basket.id
    assert len(verdict.checkout.orderItems) == 3

    operations = {"/api/partner/checkout/initiate": "initiate",
                  "/api/partner/checkout/update": "update"}
    checked = 0
    for exchange in client.log:
        name = operations.get(exchange.path)
        if exchange.path.startswith("/api/partner/checkout/validate/"):
            name = "validate"
        if name is None:
            continue
        if exchange.request_body:
            assert request_errors(name, json.loads(exchange.request_body)) == []
        assert response_errors(name, exchange.status, json.loads(exchange.response_body)) == []
        checked += 1
    assert checked == 3


async def test_offers_are_paged_until_the_catalogue_runs_out(client):
    first = (await client.list_offers(page_size=3)).data
    assert len(first.items) == 3 and first.hits > 3
    assert first.queryMore is not None
    everything = await client.all_offers(page_size=3)
    assert len(everything) == first.hits
    assert len({o.id for o in everything}) == first.hits


async def test_initiate_with_the_same_external_id_updates_the_same_basket(client):
    _, plain = await catalogue(client)
    gb = [o for o in plain if sold_in(o, "GB")]
    body = order_body(gb[:1], external_id=f"same-{uuid.uuid4()}")
    first = (await client.initiate(body)).data
    body["order"]["orderItems"] = order_body(gb[:2])["order"]["orderItems"]
    second = (await client.initiate(body)).data
    assert second.id == first.id and len(second.order.orderItems) == 2


async def test_tracking_account_adds_an_assisted_checkout_link(client):
    _, plain = await catalogue(client)
    body = order_body([o for o in plain if sold_in(o, "GB")][:1])
    body["order"]["tracking"] = {"accountId": "001Sandbox"}
    basket = (await client.initiate(body)).data
    assert basket.assistedCheckoutLink and basket.id in basket.assistedCheckoutLink


async def test_a_bad_body_is_refused_before_anything_is_sent(client):
    with pytest.raises(errors.RequestInvalid) as caught:
        await client.initiate({"order": {"orderItems": [], "country": "GB"}})
    assert "order.external_id: Field required" in caught.value.problems
    with pytest.raises(errors.RequestInvalid):
        await client.validate("basket-too-short")
    assert len(client.log) == 0


async def test_the_server_names_the_field_it_rejects(client):
    body = order_body([])
    body["order"]["orderItems"] = [{"offer": {"id": "f" * 40, "version": "0" * 40}}]
    with pytest.raises(errors.UpstreamError) as caught:
        await client.initiate(body)
    assert caught.value.status == 502
    assert "orderItems[0].offer.id" in caught.value.message
    assert caught.value.exchange.status == 502


async def test_wrong_secret_is_unauthorized_with_the_servers_words(sandbox):
    org = sandbox.orgs[0]
    async with CheckoutClient(
        Endpoint.from_base_url(sandbox.base_url),
        ClientCredentialsAuth(org.client_id, "not-the-secret"),
    ) as client:
        with pytest.raises(errors.Unauthorized) as caught:
            await client.list_offers()
    assert "refused the client credentials" in caught.value.message
    assert "not-the-secret" not in caught.value.message + caught.value.exchange.request_body


async def test_a_garbage_bearer_token_gets_401(sandbox):
    async with CheckoutClient(
        Endpoint.from_base_url(sandbox.base_url), BearerAuth("not-a-jwt")
    ) as client:
        with pytest.raises(errors.Unauthorized) as caught:
            await client.list_offers()
    assert caught.value.status == 401 and caught.value.message


async def test_the_demo_bearer_token_works(sandbox):
    async with CheckoutClient(
        Endpoint.from_base_url(sandbox.base_url), BearerAuth(sandbox.orgs[1].demo_token)
    ) as client:
        assert (await client.list_offers(page_size=1)).data.items


async def test_a_token_refused_early_is_reminted_once(client):
    await client.list_offers(page_size=1)
    # Pretend the cached token died early on the server's side.
    client.auth._token = AccessToken("revoked.token.value", 10**12, None)
    page = (await client.list_offers(page_size=1)).data
    assert page.items
    statuses = [(e.path.split("?")[0], e.status) for e in client.log]
    assert statuses[-3:] == [("/api/offers/v2", 401), ("/oauth2/token", 200),
                             ("/api/offers/v2", 200)]


async def test_a_token_is_reminted_before_it_expires(fresh_sandbox_factory):
    sandbox = fresh_sandbox_factory(token_ttl=2)
    async with client_for(sandbox) as client:
        await client.list_offers(page_size=1)
        token = client.auth.current
        assert token.lifetime == 2
        assert token.info.organisation  # the JWT says which partner organisation
        client.auth._token = AccessToken(token.value, token.obtained_at - 1.5, 2)
        await client.list_offers(page_size=1)
        mints = [e for e in client.log if e.path == "/oauth2/token"]
        assert len(mints) == 2


async def test_cookies_survive_a_restart_through_the_saved_session(sandbox, tmp_path):
    paths = AppPaths.resolve(tmp_path)
    paths.ensure()
    async with client_for(sandbox) as client:
        _, plain = await catalogue(client)
        basket = (await client.initiate(order_body([o for o in plain
                                                    if sold_in(o, "GB")][:1]))).data
        store = SessionStore(paths)
        store.load()
        store.remember(
            BasketRecord(
                profile="sandbox",
                endpoint="sandbox:test",
                basket_id=basket.id,
                cookies=client.cookies.get(basket.id),
                items=len(basket.order.orderItems),
                updated_at="2026-01-01T00:00:00Z",
            )
        )
        store.save()

    # A new process: nothing in memory but what the session file holds.
    restored = SessionStore(paths)
    assert restored.load() == []
    record = restored.state.current
    cookies = BasketCookies({record.basket_id: record.cookies})
    async with client_for(sandbox, cookies=cookies, cookie_template=None) as client:
        offer = plain[0]
        result = (await client.update(record.basket_id, [OrderAction.add(offer.id)])).data
        assert len(result.order.orderItems) == 2


async def test_without_the_landing_cookie_the_basket_is_not_found(client):
    _, plain = await catalogue(client)
    basket = (await client.initiate(order_body(plain[:1], country="GB"))).data
    client.cookies.forget(basket.id)
    # Falls back to the template cookie, which this server does not accept.
    with pytest.raises(errors.BasketNotFound) as caught:
        await client.update(basket.id, [OrderAction.add(plain[0].id)])
    assert caught.value.message == "Basket not found."
    client.cookie_template = None
    with pytest.raises(errors.RequestInvalid, match="no landing-state cookie"):
        await client.update(basket.id, [OrderAction.add(plain[0].id)])


async def test_partner_organisations_cannot_see_each_others_baskets(sandbox):
    async with client_for(sandbox, 0) as north, client_for(sandbox, 1) as south:
        _, plain = await catalogue(north)
        basket = (await north.initiate(order_body(plain[:1]))).data
        with pytest.raises(errors.BasketNotFound):
            await south.validate(basket.id)
        south.cookies.set(basket.id, north.cookies.get(basket.id))
        with pytest.raises(errors.BasketNotFound):
            await south.update(basket.id, [OrderAction.add(plain[0].id)])
        assert (await north.validate(basket.id)).data.id == basket.id


async def test_a_wrong_base_url_says_to_check_the_address(sandbox):
    org = sandbox.orgs[0]
    async with CheckoutClient(
        Endpoint.from_base_url(sandbox.base_url + "/v9"), BearerAuth(org.demo_token)
    ) as client:
        with pytest.raises(errors.UnexpectedReply) as caught:
            await client.list_offers()
    assert "no such endpoint" in caught.value.message
    assert "base URL" in caught.value.hint


async def test_a_closed_port_is_connection_refused():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with CheckoutClient(
        Endpoint.from_base_url(f"http://127.0.0.1:{port}/api"), BearerAuth("t0ken")
    ) as client:
        with pytest.raises(errors.ConnectionRefused) as caught:
            await client.list_offers()
    assert caught.value.exchange.status is None and caught.value.exchange.error


async def test_no_secret_reaches_the_exchange_log(sandbox):
    org = sandbox.orgs[0]
    async with client_for(sandbox) as client:
        _, plain = await catalogue(client)
        basket = (await client.initiate(order_body(plain[:1]))).data
        await client.update(basket.id, [OrderAction.add(plain[0].id)])
        await client.validate(basket.id)
        token = client.auth.current.value
        cookie_values = client.cookies.get(basket.id).values()
    dump = repr(list(client.log))
    assert org.client_secret not in dump
    assert token not in dump
    for value in cookie_values:
        assert value not in dump


# --------------------------------------------------------------------------- faults


def mock_client(handler, **kwargs) -> CheckoutClient:
    return CheckoutClient(
        Endpoint.from_tenant("acme.prod.limio.com"),
        BearerAuth("mock-token"),
        transport=httpx.MockTransport(handler),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("reply", "error", "words"),
    [
        (httpx.Response(200, text="<html><title>Oops</title></html>"), errors.UnexpectedReply,
         "not JSON"),
        (httpx.Response(200, json={"nope": 1}), errors.UnexpectedReply, "id: Field required"),
        (httpx.Response(200, json={"id": "b", "checkout": {"orderItems": "x"}}),
         errors.UnexpectedReply, "checkout.orderItems"),
        (httpx.Response(503, text="Service Unavailable"), errors.UpstreamError,
         "Service Unavailable"),
        (httpx.Response(418, json={"message": "teapot"}), errors.UnexpectedReply, "418"),
        (httpx.Response(404, json={"message": "Basket not found."}), errors.BasketNotFound,
         "Basket not found."),
        (httpx.Response(500, text="<!DOCTYPE html><html><title>Internal</title>"),
         errors.UnexpectedReply, "an HTML page titled 'Internal'"),
    ],
)
async def test_unexpected_replies_become_clear_errors(reply, error, words):
    async with mock_client(lambda request: reply) as client:
        with pytest.raises(error) as caught:
            await client.validate("basket-" + "a" * 36)
    assert words in caught.value.message
    assert caught.value.exchange is not None


@pytest.mark.parametrize(
    ("exception", "error"),
    [
        (httpx.ReadTimeout("timed out"), errors.TimeoutError_),
        (httpx.ConnectError("[Errno -2] Name or service not known"),
         errors.NameResolutionError),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
         errors.TLSError),
        (httpx.RemoteProtocolError("Server disconnected"), errors.TransportError),
    ],
)
async def test_transport_failures_are_named(exception, error):
    def fail(request):
        raise exception

    async with mock_client(fail) as client:
        with pytest.raises(error) as caught:
            await client.list_offers()
    assert caught.value.message and caught.value.hint
    assert caught.value.exchange.error


async def test_an_ssl_error_in_the_cause_chain_is_a_tls_failure():
    def fail(request):
        try:
            raise ssl.SSLCertVerificationError("self signed certificate")
        except ssl.SSLError as exc:
            raise httpx.ConnectError("handshake failed") from exc

    async with mock_client(fail) as client:
        with pytest.raises(errors.TLSError):
            await client.list_offers()


async def test_replies_with_more_than_the_spec_shows_are_accepted():
    def reply(request):
        return httpx.Response(
            200,
            json={
                "id": "basket-" + "a" * 36,
                "order": {"orderItems": [{"id": "i1", "quantity": 1, "giftWrap": True}]},
                "orderActionResults": [{"id": "i1", "actionType": "add", "status": "ok"}],
                "requestId": "r-1",
            },
            headers={"Set-Cookie": "whatever_name=v1; Path=/"},
        )

    cookies = BasketCookies({"basket-" + "a" * 36: {"x": "y"}})
    async with mock_client(reply, cookies=cookies) as client:
        result = (await client.update("basket-" + "a" * 36, [OrderAction.add("o")])).data
    assert result.model_extra == {"requestId": "r-1"}
    assert cookies.get("basket-" + "a" * 36) == {"x": "y", "whatever_name": "v1"}


async def test_the_timeout_is_explicit_and_configurable():
    seen = {}

    def reply(request):
        seen.update(request.extensions["timeout"])
        return httpx.Response(200, json={"items": []})

    async with mock_client(reply, timeout=7.5) as client:
        await client.list_offers()
    assert seen["read"] == 7.5 and seen["connect"] == 7.5


async def test_the_log_can_reveal_one_exchange_only_when_asked(sandbox):
    log = ExchangeLog(keep_raw=True)
    async with client_for(sandbox, log=log) as client:
        await client.list_offers(page_size=1)
        token = client.auth.current.value
    last = log.last
    assert last.header("authorization", response=False) == "Bearer ***"
    assert log.raw(last.id).header("authorization", response=False) == f"Bearer {token}"


# --------------------------------------------------------------------------- retries


async def test_safe_reads_are_retried_after_a_transient_failure():
    gateway_page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    replies = iter([httpx.Response(503, text="busy"),
                    httpx.Response(502, text=gateway_page),
                    httpx.Response(200, json={"items": []})])
    async with mock_client(lambda request: next(replies), backoff=0) as client:
        page = (await client.list_offers()).data
    assert page.items == [] and [e.status for e in client.log] == [503, 502, 200]


@pytest.mark.parametrize(
    "message",
    [
        "order.country: 'XX' is not a country",  # the sandbox's shape
        "Invalid payload: unknown offer or version",  # a real tenant's
        "Bad Gateway",  # any JSON message is the API's own answer
    ],
)
async def test_a_502_with_a_json_message_is_a_refusal_and_never_retried(message):
    calls = []

    def reply(request):
        calls.append(request)
        return httpx.Response(502, json={"message": message})

    async with mock_client(reply, backoff=0) as client:
        for call in (client.list_offers, lambda: client.validate("basket-" + "a" * 36)):
            calls.clear()
            with pytest.raises(errors.UpstreamError) as caught:
                await call()
            assert len(calls) == 1
            assert caught.value.message == message and caught.value.refused


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(502, text="<html><title>502 Bad Gateway</title></html>"),
        httpx.Response(502),
        httpx.Response(502, json={"detail": "no message key"}),
        httpx.Response(504, json={"message": "Endpoint request timed out"}),
    ],
)
async def test_a_failure_on_the_way_to_the_api_is_retried(failure):
    calls = []

    def reply(request):
        calls.append(request)
        return failure if len(calls) == 1 else httpx.Response(200, json={"items": []})

    async with mock_client(reply, backoff=0) as client:
        await client.list_offers()
    assert len(calls) == 2


async def test_an_update_is_never_sent_twice_and_a_lost_reply_is_outcome_unknown():
    calls = []

    def reply(request):
        calls.append(request)
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    cookies = BasketCookies({"basket-" + "a" * 36: {"s": "1"}})
    async with mock_client(reply, backoff=0, cookies=cookies) as client:
        with pytest.raises(errors.OutcomeUnknown) as caught:
            await client.update("basket-" + "a" * 36, [OrderAction.add("o")])
    assert len(calls) == 1
    assert "may or may not have been applied" in caught.value.hint


async def test_a_refused_update_is_not_outcome_unknown():
    def reply(request):
        raise httpx.ConnectError("[Errno 111] Connection refused")

    cookies = BasketCookies({"basket-" + "a" * 36: {"s": "1"}})
    async with mock_client(reply, backoff=0, cookies=cookies) as client:
        with pytest.raises(errors.ConnectionRefused):
            await client.update("basket-" + "a" * 36, [OrderAction.add("o")])


class _DropUpdateReplies(httpx.AsyncHTTPTransport):
    """Delivers every request, then loses the reply of each update."""

    async def handle_async_request(self, request):
        response = await super().handle_async_request(request)
        if request.method == "PUT":
            await response.aread()
            raise httpx.RemoteProtocolError("peer closed connection without a complete reply")
        return response


async def test_after_a_lost_update_reply_the_basket_is_reread_not_resent(tmp_path, sandbox):
    from tui_app.services.connection import SANDBOX_PROFILE_NAME, build_client

    from sandboxed import named, open_workspace, order

    workspace = open_workspace(tmp_path, sandbox)
    workspace.client_factory = lambda profile, secrets, **kw: build_client(
        profile, secrets, transport=_DropUpdateReplies(), **kw
    )
    await workspace.activate(SANDBOX_PROFILE_NAME)
    await workspace.load_catalogue()
    await workspace.initiate(order(named(workspace, "Digital Monthly")))
    annual = named(workspace, "Digital Annual")[0]
    with pytest.raises(errors.OutcomeUnknown):
        await workspace.update([OrderAction.add(annual.id)])
    # The add did reach the server: the re-read basket shows it, exactly once.
    assert [i.offer.name for i in workspace.basket.items] == ["Digital Monthly", "Digital Annual"]
    assert sum(1 for e in workspace.log if e.method == "PUT") == 1
    await workspace.aclose()


@pytest.mark.parametrize("declared", [True, False])
async def test_a_huge_reply_is_refused_without_reading_it_all(declared):
    body = b'{"items": [' + b'"x",' * 400_000 + b'"x"]}'

    def reply(request):
        if declared:
            return httpx.Response(200, content=body)
        async def chunks():  # streamed, with no Content-Length to go by
            for start in range(0, len(body), 65536):
                yield body[start:start + 65536]

        return httpx.Response(200, content=chunks())

    async with mock_client(reply, max_reply_bytes=1024 * 1024, retries=0) as client:
        with pytest.raises(errors.UnexpectedReply) as caught:
            await client.list_offers()
    assert "larger than 1 MiB" in caught.value.message
    assert 0 < len(caught.value.exchange.response_body) <= 65536


# --------------------------------------------------------------------------- token expiry


@pytest.mark.parametrize("expires_in", [3600, "1800"])
async def test_an_opaque_token_expires_when_expires_in_says(expires_in):
    def reply(request):
        return httpx.Response(
            200, json={"access_token": "opaque-not-a-jwt", "expires_in": expires_in}
        )

    client = CheckoutClient(
        Endpoint.from_tenant("acme.prod.limio.com"),
        ClientCredentialsAuth("id", "secret"),
        transport=httpx.MockTransport(reply),
    )
    async with client:
        token = await client.mint_token()
    assert token.info is None  # opaque: nothing to decode
    left = (token.expires_at - datetime.now(UTC)).total_seconds()
    assert int(expires_in) - 5 < left <= int(expires_in)


async def test_a_jwt_expires_when_its_exp_says(sandbox):
    async with client_for(sandbox) as client:
        token = await client.mint_token()
    assert token.expires_at == token.info.expires_at
