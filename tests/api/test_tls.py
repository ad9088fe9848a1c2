"""TLS against a real local HTTPS server with its own certificate authority:
trusted with the profile's CA bundle, refused clearly without it."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tui_app.services.api import errors
from tui_app.services.api.auth import BearerAuth
from tui_app.services.api.client import CheckoutClient
from tui_app.services.api.endpoints import Endpoint

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
# Loopback is never proxied, so the proxy tests name the server by a host only
# the proxy can reach (.test never resolves); the proxy maps it to loopback.
PROXIED_HOST = "tenant.proxied.test"


class _Offers(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"hits": 0, "items": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def https_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", f"subjectAltName=DNS:localhost,DNS:{PROXIED_HOST},IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Offers)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://localhost:{server.server_address[1]}/api", cert
    server.shutdown()
    server.server_close()


async def test_a_private_ca_is_trusted_through_the_ca_bundle(https_server):
    url, cert = https_server
    async with CheckoutClient(Endpoint.from_base_url(url), BearerAuth("t0ken"),
                              ca_bundle=str(cert)) as client:
        assert (await client.list_offers()).data.items == []


async def test_without_the_ca_bundle_the_failure_says_tls_and_what_to_do(https_server):
    url, _ = https_server
    async with CheckoutClient(Endpoint.from_base_url(url), BearerAuth("t0ken"),
                              retries=0) as client:
        with pytest.raises(errors.TLSError) as caught:
            await client.list_offers()
    assert "trusted TLS connection" in caught.value.message
    assert "CA bundle" in caught.value.hint


async def test_a_missing_ca_bundle_file_is_named(https_server, tmp_path):
    url, _ = https_server
    missing = tmp_path / "nope.pem"
    async with CheckoutClient(Endpoint.from_base_url(url), BearerAuth("t0ken"),
                              ca_bundle=str(missing)) as client:
        with pytest.raises(errors.TLSError) as caught:
            await client.list_offers()
    assert str(missing) in caught.value.message


class _ConnectProxy(threading.Thread):
    """A tiny forward proxy that understands CONNECT, as a corporate one would."""

    def __init__(self):
        super().__init__(daemon=True)
        import socket

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.seen: list[str] = []

    def run(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn):
        import socket

        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        line = request.split(b"\r\n", 1)[0].decode()
        self.seen.append(line)
        host, port = line.split()[1].rsplit(":", 1)
        upstream = socket.create_connection(
            ("127.0.0.1" if host == PROXIED_HOST else host, int(port))
        )
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(source, target):
            try:
                while data := source.recv(65536):
                    target.sendall(data)
            except OSError:
                pass
            finally:
                target.close()

        threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()
        pipe(conn, upstream)

    def close(self):
        self.listener.close()


async def test_https_proxy_from_the_environment_is_used(https_server, monkeypatch):
    url, cert = https_server
    proxy = _ConnectProxy()
    proxy.start()
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    url = url.replace("localhost", PROXIED_HOST)
    try:
        async with CheckoutClient(Endpoint.from_base_url(url), BearerAuth("t0ken"),
                                  ca_bundle=str(cert)) as client:
            assert (await client.list_offers()).data.items == []
    finally:
        proxy.close()
    assert proxy.seen and proxy.seen[0].startswith(f"CONNECT {PROXIED_HOST}:")


async def test_a_dead_proxy_is_reported_as_such(https_server, monkeypatch):
    url, cert = https_server
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead_port = probe.getsockname()[1]
    probe.close()
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{dead_port}")
    url = url.replace("localhost", PROXIED_HOST)
    async with CheckoutClient(Endpoint.from_base_url(url), BearerAuth("t0ken"),
                              ca_bundle=str(cert), retries=0) as client:
        with pytest.raises(errors.TransportError) as caught:
            await client.list_offers()
    assert f"through the proxy http://127.0.0.1:{dead_port}" in caught.value.message
    assert "HTTPS_PROXY" in caught.value.hint
