import pytest

from tui_app.services.api.endpoints import Endpoint, EndpointError


def test_tenant_becomes_https_api_and_root_token_url():
    endpoint = Endpoint.from_tenant("acme.prod.limio.com")
    assert endpoint.api_base == "https://acme.prod.limio.com/api"
    assert endpoint.token_url == "https://acme.prod.limio.com/oauth2/token"
    assert endpoint.url("/partner/checkout/initiate") == (
        "https://acme.prod.limio.com/api/partner/checkout/initiate"
    )


def test_base_url_keeps_its_path_and_puts_the_token_url_at_the_root():
    endpoint = Endpoint.from_base_url("http://127.0.0.1:8765/api/")
    assert endpoint.api_base == "http://127.0.0.1:8765/api"
    assert endpoint.token_url == "http://127.0.0.1:8765/oauth2/token"
    assert endpoint.is_loopback


@pytest.mark.parametrize(
    ("tenant", "reason"),
    [
        ("https://acme.prod.limio.com", "without https://"),
        ("acme.prod.limio.com/api", "without a path"),
        ("user@acme.prod.limio.com", "'@'"),
        ("acme prod.limio.com", "space"),
        ("acme.prod.limio.com\n", "line break"),
        ("acme\x07.limio.com", "control character"),
        ("", "empty"),
        ("-acme.limio.com", "not a valid hostname"),
        ("acme.limio.com:99999", "port"),
    ],
)
def test_tenant_that_is_not_a_bare_hostname_is_refused_with_a_reason(tenant, reason):
    with pytest.raises(EndpointError, match=reason):
        Endpoint.from_tenant(tenant)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://acme.prod.limio.com/api", "only allowed for loopback"),
        ("ftp://acme.prod.limio.com/api", "must start with https://"),
        ("https://user:pw@acme.prod.limio.com/api", "user name or password"),
        ("https://acme.prod.limio.com/api?x=1", "query"),
        ("https:///api", "no host"),
        ("https://acme.prod.limio.com:abc/api", "port"),
    ],
)
def test_bad_base_urls_are_refused(url, reason):
    with pytest.raises(EndpointError, match=reason):
        Endpoint.from_base_url(url)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.1.2.3"])
def test_plain_http_is_fine_on_loopback(host):
    assert Endpoint.from_base_url(f"http://{host}:9000/api").is_loopback


def test_exactly_one_of_tenant_and_base_url():
    with pytest.raises(EndpointError, match="not both"):
        Endpoint.from_settings("a.limio.com", "https://a.limio.com/api")
    with pytest.raises(EndpointError, match="required"):
        Endpoint.from_settings(None, None)


def test_only_an_endpoint_of_plain_http_urls_needs_no_tls():
    assert not Endpoint.from_base_url("http://127.0.0.1:8080/api").uses_tls
    assert Endpoint.from_base_url("https://127.0.0.1:8443/api").uses_tls
    assert Endpoint.from_tenant("acme.prod.limio.com").uses_tls


def test_a_wire_for_plain_http_loads_no_ca_certificates_but_refuses_any(monkeypatch):
    import ssl

    from tui_app.services.api import transport
    from tui_app.services.api.exchange import ExchangeLog

    made: list[dict] = []
    monkeypatch.setattr(transport.httpx, "AsyncClient", lambda **kwargs: made.append(kwargs))
    transport.Wire(ExchangeLog(), tls=False).http  # noqa: B018 - made on first use
    transport.Wire(ExchangeLog()).http  # noqa: B018
    plain, secure = (kwargs["verify"] for kwargs in made)
    assert isinstance(plain, ssl.SSLContext)
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname
    assert plain.cert_store_stats()["x509_ca"] == 0  # any certificate would be refused
    assert secure is True  # httpx's default: the CA certificates, and SSL_CERT_FILE
