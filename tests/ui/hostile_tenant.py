"""A hostile tenant: a real HTTP server on 127.0.0.1 that speaks just enough
of the Partner Checkout API (token, offers, initiate, update, validate) for
the app to work against it, and puts text meant to attack a terminal UI into
every field the app shows: markup (``[/b]``, ``[@click=app.quit]``), ANSI and
OSC escapes, other control characters, bidi overrides, right-to-left text,
emoji and 5,000-character strings.

Only ids the app must send back (offer ids and versions, one item id, the
basket id in the validate path, the order's source) are plain, so a whole
journey can be walked; everything else that comes back is hostile.
``refuse_updates`` (``refuse_offers``) makes the next updates (catalogue
reads) fail with a hostile 502, ``basket_id`` replaces the basket id of the
next initiate, ``refuse_client`` names a client id the token endpoint refuses
(with a hostile reason).
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tui_app.services.store.paths import AppPaths
from tui_app.services.store.profiles import AuthKind, Profile, ProfileStore, Secrets

# --------------------------------------------------------------------------- the text

ESC = "\x1b[31mred\x1b[0m"
OSC52 = "\x1b]52;c;aGFja2Vk\x07"  # "write 'hacked' to the clipboard"
C1_CSI = "\x9b31m"  # an 8-bit CSI: some terminals obey it like ESC [
CONTROLS = "\x00\x07\x08\t\r\n\x0b\x0c\x7f\x85\u2028\u2029"
RLO = "\u202eevil\u202c"
ISOLATE = "\u2066iso\u2069"
RTL = "سلة التسوق"
EMOJI = "🛒👩\u200d💻"
MARKUP = "[/b] [bold red]x[/] [link=http://x]y[/link] [@click=app.quit]q[/] [/]"
# Everything at once: no markup parser, terminal or layout survives this by luck.
HOSTILE = f"{MARKUP} {ESC} {OSC52} {C1_CSI} {CONTROLS} {RLO} {ISOLATE} {RTL} {EMOJI}"
LONG = "L" * 4990 + " [/b] end"  # 5,000 characters

# What must be seen literally on screen (markup is text, not style).
LITERALS = ("[/b]", "[limited]", "[bold red]x[/]", "[@click=app.quit]q[/]")

NAME_B = "Digital Monthly [/b]"
NAME_LIMITED = "Save 20% [limited]"
NAME_TOTE = "[link=http://x]Tote[/link] " + ESC
CURRENCY = "\x1b[31mGBP[/]"
ITEM_ID = "item-00001"
HOSTILE_ITEM_ID = "\x1b[31mitem[/b]\u202e" + EMOJI
GOOD_BASKET_ID = "basket-0123456789abcdef0123456789abcdef"
HOSTILE_BASKET_ID = "basket-[/b]" + ESC + RLO + OSC52 + LONG
COOKIE = "lmo-landing=[bold red]c[/]%1B"
LINK = f"http://127.0.0.1/shop/[/b]?owner={OSC52}{ESC}{RLO}" + LONG
REFUSAL = f"Refused [/b] {HOSTILE}"
TOKEN_REFUSAL = f"no such client [/b] {ESC} {RLO}"
ORGANISATION = f"Acme [/b] {ESC} {RLO} {RTL}"
# UTF-8 in a header (obs-text bytes reach the client): a bidi override, a C1
# CSI and markup. Raw ESC is refused by HTTP itself, so it cannot come this way.
HEADER_VALUE = f"[/b] [bold red]x[/] \u202eevil {C1_CSI} {EMOJI}"

PROFILE = "Hostile [/b] 🛒"
CLIENT_ID = "partner"
CLIENT_SECRET = "partner-secret-0001"


def _hex(n: int) -> str:
    return f"{n:040x}"


def _price(value: str, currency: str, interval: str | None = "month") -> dict[str, Any]:
    price: dict[str, Any] = {
        "name": f"price [/b] {ESC}", "value": value, "currencyCode": currency,
        "type": "recurring" if interval else "onetime", "label": HOSTILE,
    }
    if interval:
        price |= {"repeat_interval": 1, "repeat_interval_type": interval}
    return price


def _offer(n: int, name: str, **attributes: Any) -> dict[str, Any]:
    return {
        "id": _hex(n), "version": _hex(1000 + n), "name": name,
        "path": f"/offers2/{name}", "record_type": "offer", "tags": [MARKUP, ESC],
        "data": {
            "products": [{"path": f"/products/{HOSTILE}",
                          "attributes": {"display_name__limio": HOSTILE}}],
            "attributes": {
                "price__limio": [_price("9.99", "GBP")],
                "allowed_countries__limio": ["GB"],
                "term__limio": "monthly",
                "default_quantity_options__limio": {
                    "quantity": 1, "minimum_quantity": 1, "maximum_quantity": 10,
                },
                **attributes,
            },
        },
    }


def catalogue() -> list[dict[str, Any]]:
    tote = _offer(5, NAME_TOTE, price__limio=[_price("5.00", "GBP", None)])
    tote |= {"record_type": "add_on", "path": f"/add_ons/{NAME_TOTE}"}
    return [
        _offer(
            1, NAME_B,
            price__limio=[_price("9.99", "GBP", f"month [/] {ESC}"), _price("1", CURRENCY)],
            term__limio=f"monthly [/] {ESC}",
            allowed_countries__limio=["GB", "\x1b[31mZZ", "[/]", RLO, LONG],
            cross_sell_addons__limio={"items": [
                {"id": _hex(5), "path": f"/add_ons/{NAME_TOTE}"},
                {"id": "unknown", "path": f"/add_ons/[bold red]ghost[/] {OSC52}"},
            ]},
        ),
        _offer(2, NAME_LIMITED, price__limio=[_price("4.00", "EUR")]),
        _offer(3, HOSTILE, term__limio=HOSTILE),
        _offer(4, LONG, term__limio=LONG, price__limio=[_price("1.00", LONG)]),
        tote,
        # An id the app must refuse to send (it is still listed and shown).
        _offer(6, f"Bad id {RLO}") | {"id": f"\x1b[31mbad[/b]{RLO}"},
    ]


def jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2ln"


# --------------------------------------------------------------------------- the server


class HostileTenant:
    """Start with ``with HostileTenant() as tenant:``; ``tenant.base_url`` is
    the API base URL for a profile."""

    def __init__(self) -> None:
        self.offers = catalogue()
        self.refuse_updates = False
        self.refuse_offers = False
        self.basket_id = GOOD_BASKET_ID
        self.refuse_client = "refused"
        self.items: list[dict[str, Any]] = []
        self.source = ""
        self.seen: list[tuple[str, str]] = []  # (method, path) of each request
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api"

    def __enter__(self) -> HostileTenant:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------- replies

    def offer(self, offer_id: str) -> dict[str, Any] | None:
        return next((o for o in self.offers if o["id"] == offer_id), None)

    def item(self, item_id: str, offer: dict[str, Any] | None, quantity: Any) -> dict[str, Any]:
        offer = offer or {}
        return {
            "id": item_id, "quantity": quantity, "type": offer.get("record_type", "offer"),
            "offer": {key: offer.get(key) for key in ("id", "version", "name", "path")},
            "price": {"currency": CURRENCY, "amount": "9.99", "summary": HOSTILE},
            "lineTotal": {"currency": CURRENCY, "amount": "9.99"},
            "products": [{"path": HOSTILE, "name": HOSTILE}],
        }

    def hostile_item(self) -> dict[str, Any]:
        item = self.item(HOSTILE_ITEM_ID, self.offers[2], 1)
        item |= {
            "type": f"[/]type {ESC}",
            "price": {"currency": LONG, "amount": "1.00"},
            "lineTotal": {"currency": LONG, "amount": "1.00"},
        }
        item["offer"]["version"] = f"[b]v[/b]{ESC}{RLO}"
        return item

    def order(self) -> dict[str, Any]:
        return {
            "checkoutId": HOSTILE, "external_id": HOSTILE, "country": f"\x1b[31mGB[/]{RLO}",
            # The source as sent: moving a basket sends it back, and the app
            # rightly refuses to send control characters.
            "source": self.source, "order_type": HOSTILE, "tracking": {HOSTILE: HOSTILE},
            "currency": CURRENCY, "orderItems": self.items,
            "orderSubtotal": "19.98", "orderTotal": "19.98",
            "total": {"amount": "19.98", "currency": CURRENCY},
            f"[/b]{ESC}key": f"value {HOSTILE}",
        }

    def initiate(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        lines = body["order"]["orderItems"]
        self.source = body["order"]["source"]
        self.items = [
            self.item(f"item-{n + 1:05d}", self.offer(line["offer"]["id"]),
                      line.get("quantity", 1))
            for n, line in enumerate(lines)
        ] + [self.hostile_item()]
        return 200, {
            "id": self.basket_id, "order": self.order(),
            "expiresAt": HOSTILE, "assistedCheckoutLink": LINK,
        }

    def update(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.refuse_updates:
            return 502, {"message": REFUSAL}
        results = []
        for action in body["orderActions"]:
            kind, item_id = action["orderItemActionType"], action.get("orderItemId")
            if kind == "remove":
                self.items = [i for i in self.items if i["id"] != item_id]
            elif kind == "change_quantity":
                for item in self.items:
                    if item["id"] == item_id:
                        item["quantity"] = action["quantity"]
            else:
                item_id = f"item-{90000 + len(self.items):05d}"
                self.items.append(
                    self.item(item_id, self.offer(action["offerId"]), action.get("quantity"))
                )
            results.append({"id": item_id, "actionType": kind})
        results.append({"id": HOSTILE_ITEM_ID, "actionType": f"[bold red]x[/] {ESC}"})
        return 200, {"id": self.basket_id, "order": self.order(),
                     "orderActionResults": results}

    def validate(self, basket_id: str) -> tuple[int, dict[str, Any]]:
        hostile_offer = self.offers[2]["id"]
        return 200, {
            "id": basket_id,
            "checkout": {"id": basket_id, "expiresAt": HOSTILE, **self.order()},
            "invalid": {
                "blockedProducts": [hostile_offer, f"\x1b[31mghost[/b]{RLO}"],
                "validationErrors": [
                    {"code": f"[/b]bad_code {ESC}", "message": f"blocked: {HOSTILE}",
                     "offerId": hostile_offer},
                    {"code": "quantity_out_of_range", "message": f"{NAME_LIMITED} {RLO}",
                     "orderItemId": ITEM_ID},
                    {"code": HOSTILE, "message": LONG},
                    f"a bare problem {MARKUP} {ESC}",
                ],
            },
        }

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") == self.refuse_client:
            return 401, {"error": "invalid_client", "error_description": TOKEN_REFUSAL}
        claims = {"org_name": ORGANISATION, "exp": 4102444800, "sub": HOSTILE}
        return 200, {"access_token": jwt(claims), "token_type": "Bearer", "expires_in": 3600}

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        self.seen.append((method, path))
        if (method, path) == ("POST", "/oauth2/token"):
            return self.token(dict(parse_qsl(body.decode())))
        data = json.loads(body) if body else {}
        if (method, path) == ("GET", "/api/offers/v2"):
            if self.refuse_offers:
                return 502, {"message": REFUSAL}
            return 200, {"hits": len(self.offers), "header": {"commitId": HOSTILE},
                         "items": self.offers}
        if (method, path) == ("POST", "/api/partner/checkout/initiate"):
            return self.initiate(data)
        if (method, path) == ("PUT", "/api/partner/checkout/update"):
            return self.update(data)
        if method == "POST" and path.startswith("/api/partner/checkout/validate/"):
            return self.validate(path.rsplit("/", 1)[1])
        return 404, {"message": f"no route [/b] {ESC}"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        tenant = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                status, data = tenant.answer(self.command, path, body)
                raw = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                # Header values are latin-1 on the wire: these are UTF-8 bytes.
                self.send_header("X-Hostile", HEADER_VALUE.encode().decode("latin-1"))
                if path.endswith("/initiate"):
                    self.send_header("Set-Cookie", f"{COOKIE}; Path=/; HttpOnly")
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = _reply

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def add_profile(config_dir, tenant: HostileTenant, name: str = PROFILE,
                client_id: str = CLIENT_ID) -> str:
    """Store a client-credentials profile for ``tenant``; returns its name."""
    paths = AppPaths.resolve(config_dir)
    paths.ensure()
    store = ProfileStore(paths)
    store.load()
    store.put(
        Profile(name=name, base_url=tenant.base_url, auth=AuthKind.CLIENT_CREDENTIALS,
                client_id=client_id, timeout=5.0),
        Secrets(client_secret=CLIENT_SECRET),
    )
    store.save()
    return name
