"""The wire under the client: one pooled ``httpx.AsyncClient`` (created on first
use), replies read with a size limit, every exchange recorded (redacted) in the
log, and what went wrong on the wire named in the words of ``errors``.

What is sent, and what a reply means, is the client's business (``client``).
"""

from __future__ import annotations

import re
import socket
import ssl
import time
import urllib.request
from datetime import UTC, datetime

import httpx

from tui_app import __version__
from tui_app.services.api import errors
from tui_app.services.api.cookies import refusing_jar
from tui_app.services.api.endpoints import is_loopback_host
from tui_app.services.api.exchange import Exchange, ExchangeLog

DEFAULT_TIMEOUT = 30.0
# Always reached directly, never through a proxy: a proxy on another host
# cannot reach this machine's loopback anyway, and sending it the request would
# hand it the token or client secret (the embedded sandbox's included).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def direct_mounts(hosts: tuple[str, ...] = ()) -> dict[str, None]:
    """httpx mounts that take loopback hosts past any proxy the environment
    names (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY); None means "no proxy"."""
    loopback = {host.strip("[]").lower() for host in (*LOOPBACK_HOSTS, *hosts)}
    return {
        f"all://[{host}]" if ":" in host else f"all://{host}": None
        for host in sorted(loopback)
        if is_loopback_host(host)
    }


def proxy_for(url: str) -> str | None:
    """The proxy the environment (HTTPS_PROXY, NO_PROXY, ...) sends ``url`` through."""
    parsed = httpx.URL(url)
    if is_loopback_host(parsed.host):
        return None
    proxy = urllib.request.getproxies().get(parsed.scheme)
    if not proxy or urllib.request.proxy_bypass(parsed.host):
        return None
    return proxy


def _transport_error(exc: Exception, url: str) -> errors.TransportError:
    """Name what went wrong on the wire, and whether the proxy is to blame."""
    failure = _classify_transport_error(exc, url)
    proxy = proxy_for(url)
    if proxy and isinstance(
        failure, errors.ConnectionRefused | errors.NameResolutionError | errors.TimeoutError_
    ):
        failure.message = f"through the proxy {proxy}: {failure.message}"
        failure.hint = (
            "the proxy may be down or wrong — check HTTPS_PROXY / HTTP_PROXY and NO_PROXY"
        )
    return failure


def _classify_transport_error(exc: Exception, url: str) -> errors.TransportError:
    host = httpx.URL(url).host
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        failure = errors.TimeoutError_(f"could not connect to {host} in time")
        failure.before_sending = True
        return failure
    if isinstance(exc, httpx.TimeoutException):
        return errors.TimeoutError_(f"no reply from {host} in time ({type(exc).__name__})")
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    text = " ".join(str(item) for item in chain)
    if any(isinstance(item, ssl.SSLError) for item in chain) or "CERTIFICATE" in text.upper():
        return errors.TLSError(f"could not establish a trusted TLS connection to {host}: {exc}")
    if any(isinstance(item, socket.gaierror) for item in chain) or re.search(
        r"name or service not known|nodename nor servname|getaddrinfo|Temporary failure in name",
        text,
        re.IGNORECASE,
    ):
        return errors.NameResolutionError(f"the host {host} could not be found")
    if any(isinstance(item, ConnectionRefusedError) for item in chain) or re.search(
        r"connection refused|errno 111", text, re.IGNORECASE
    ):
        return errors.ConnectionRefused(f"{host} refused the connection")
    if isinstance(exc, httpx.ProxyError):
        return errors.TransportError(f"the proxy refused the request: {exc}")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return errors.TransportError(
            f"the connection to {host} dropped before a complete reply — "
            "the request may or may not have been applied",
        )
    return errors.TransportError(f"could not talk to {host}: {exc or type(exc).__name__}")


MAX_REPLY_BYTES = 10 * 1024 * 1024


async def _read_limited(response: httpx.Response, limit: int) -> bool:
    """Read the body, keeping at most ``limit`` bytes; True if there was more.
    A tenant (or a proxy) that streams gigabytes must not exhaust memory."""
    declared = response.headers.get("content-length", "")
    chunks: list[bytes] = []
    size = 0
    if declared.isdigit() and int(declared) > limit:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk[: limit - size])
            size += len(chunks[-1])
            if size >= limit:
                break
        response._content = b"".join(chunks)[:65536]  # keep a first part to show
        return True
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            response._content = (b"".join(chunks) + chunk)[:65536]
            return True
        chunks.append(chunk)
    response._content = b"".join(chunks)
    return False


class Wire:
    """Sends requests for one client and records each exchange in its log."""

    def __init__(
        self,
        log: ExchangeLog,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        ca_bundle: str | None = None,
        max_reply_bytes: int = MAX_REPLY_BYTES,
        hosts: tuple[str, ...] = (),
        tls: bool = True,
    ) -> None:
        """``hosts``: the hosts this wire will talk to, so that a loopback one
        among them (e.g. 127.0.0.2) is reached directly too. ``tls=False``:
        every URL it will be given is plain http:// to such a host."""
        if timeout <= 0:
            raise ValueError("the timeout must be a positive number of seconds")
        self.log = log
        self.timeout = timeout
        self.max_reply_bytes = max_reply_bytes
        self._transport = transport
        self._ca_bundle = ca_bundle
        self._hosts = hosts
        self._tls = tls
        self._http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            verify: ssl.SSLContext | bool = True
            if self._ca_bundle:
                try:
                    verify = ssl.create_default_context(cafile=self._ca_bundle)
                except (OSError, ssl.SSLError) as exc:
                    raise errors.TLSError(
                        f"the CA bundle {self._ca_bundle} could not be loaded: {exc}",
                        hint="point the profile's CA bundle at a PEM file of certificates",
                    ) from None
            elif not self._tls:
                # Plain http:// only: no certificate is ever checked, so the
                # system's CA certificates are not loaded (50 ms). A context
                # without them still refuses any certificate, were TLS used.
                verify = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                transport=self._transport,
                verify=verify,
                cookies=refusing_jar(),
                follow_redirects=False,
                headers={"User-Agent": f"basket-builder/{__version__}"},
                trust_env=True,  # HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE
                mounts=direct_mounts(self._hosts),
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def send(self, request: httpx.Request) -> tuple[httpx.Response, Exchange]:
        started = datetime.now(UTC)
        clock = time.perf_counter()
        request_body = request.content.decode("utf-8", "replace")

        def record(response: httpx.Response | None, body: str, error: str | None) -> Exchange:
            return self.log.record(
                method=request.method,
                url=str(request.url),
                request_headers=request.headers.multi_items(),
                request_body=request_body,
                status=response.status_code if response is not None else None,
                response_headers=response.headers.multi_items() if response is not None else [],
                response_body=body,
                duration_ms=(time.perf_counter() - clock) * 1000,
                started_at=started,
                error=error,
            )

        try:
            response = await self.http.send(request, stream=True)
            try:
                too_big = await _read_limited(response, self.max_reply_bytes)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            failure = _transport_error(exc, str(request.url))
            failure.exchange = record(None, "", f"{failure.title}: {failure.message}")
            raise failure from None
        if too_big:
            limit = self.max_reply_bytes // (1024 * 1024)
            failure = errors.UnexpectedReply(
                f"the reply is larger than {limit} MiB — no basket reply is that big; "
                "the first part is in the inspector",
                status=response.status_code,
            )
            failure.exchange = record(response, response.text, failure.message)
            raise failure
        return response, record(response, response.text, None)
