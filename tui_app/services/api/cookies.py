"""Landing-state cookies, kept per basket.

Update identifies its basket only by "a landing state cookie containing the
basketId", whose name and encoding Limio does not publish. So the client never
assumes a name: it keeps whatever cookies the server set on initiate (and on
later replies) for that basket and sends them back on update. The jar is plain
data, saved with the session so a basket can be updated after a restart.

Only for a basket the server set no cookie for may the client build one from
a configurable template such as ``basketId={basket_id}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from http.cookiejar import CookieJar

# http.cookiejar and email.utils (urllib.request and most of email under
# them) are imported where they are used, not by the screens that import
# this module: ~30 ms before the app's first frame. httpx needs them anyway,
# and is loaded after it.

DEFAULT_COOKIE_TEMPLATE = "basketId={basket_id}"


class CookieTemplateError(ValueError):
    pass


def parse_set_cookie(header: str) -> tuple[str, str, bool] | None:
    """``name=value; Path=/; Max-Age=0`` -> (name, value, deleted)."""
    pair, _, attributes = header.partition(";")
    name, sep, value = pair.partition("=")
    name = name.strip()
    if not sep or not name:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    deleted = False
    for attribute in attributes.split(";"):
        key, _, arg = attribute.strip().partition("=")
        key, arg = key.lower(), arg.strip()
        if key == "max-age" and arg.lstrip("-").isdigit():
            deleted = int(arg) <= 0
        elif key == "expires":
            deleted = _in_the_past(arg)
    return name, value, deleted


def _in_the_past(http_date: str) -> bool:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(http_date) <= datetime.now(UTC)
    except (TypeError, ValueError, IndexError):
        return False


def render_template(template: str, basket_id: str) -> dict[str, str]:
    """Build the fallback cookie from a template like ``name={basket_id}``."""
    if "{basket_id}" not in template:
        raise CookieTemplateError("the cookie template must contain {basket_id}")
    name, sep, value = template.partition("=")
    if not sep or not name.strip():
        raise CookieTemplateError("the cookie template must look like name=value")
    return {name.strip(): value.replace("{basket_id}", basket_id)}


class BasketCookies:
    """Cookies per basket id: {basket_id: {name: value}}."""

    def __init__(self, initial: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._jar: dict[str, dict[str, str]] = {
            basket: dict(cookies) for basket, cookies in (initial or {}).items()
        }

    def absorb(self, basket_id: str, set_cookie_headers: Iterable[str]) -> bool:
        """Store the cookies a reply set for this basket. True if any were set."""
        changed = False
        for header in set_cookie_headers:
            parsed = parse_set_cookie(header)
            if parsed is None:
                continue
            name, value, deleted = parsed
            cookies = self._jar.setdefault(basket_id, {})
            if deleted:
                cookies.pop(name, None)
            else:
                cookies[name] = value
            changed = True
        return changed

    def set(self, basket_id: str, cookies: Mapping[str, str]) -> None:
        self._jar[basket_id] = dict(cookies)

    def get(self, basket_id: str) -> dict[str, str]:
        return dict(self._jar.get(basket_id, {}))

    def header_for(self, basket_id: str, template: str | None) -> str | None:
        """The Cookie header to send on update, or None if nothing is known."""
        cookies = self._jar.get(basket_id) or (
            render_template(template, basket_id) if template else {}
        )
        if not cookies:
            return None
        return "; ".join(f"{name}={value}" for name, value in cookies.items())

    def values(self) -> list[str]:
        """Every cookie value (to mask them in logs)."""
        return [value for cookies in self._jar.values() for value in cookies.values()]

    def forget(self, basket_id: str) -> None:
        self._jar.pop(basket_id, None)

    def to_dict(self) -> dict[str, dict[str, str]]:
        return {basket: dict(cookies) for basket, cookies in self._jar.items()}


def refusing_jar() -> CookieJar:
    """A jar for httpx that keeps nothing: cookies are managed per basket above,
    so one basket's cookie can never leak into another's update."""
    from http.cookiejar import CookieJar, DefaultCookiePolicy

    class RefuseAll(DefaultCookiePolicy):
        def set_ok(self, cookie, request) -> bool:
            return False

        def return_ok(self, cookie, request) -> bool:
            return False

    return CookieJar(policy=RefuseAll())
