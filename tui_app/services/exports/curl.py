"""Copy as curl: a POSIX shell command that makes the same request again.

The command is built from the *raw* exchange, because update only works with
the basket's landing-state cookie in the clear. Credentials never appear in
it: the bearer token becomes ``$LIMIO_TOKEN`` and a form secret such as
``client_secret`` becomes ``$LIMIO_CLIENT_SECRET``, written inside double
quotes so the shell expands them when the command runs. Every other word is
quoted with ``shlex.quote``.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qsl

from tui_app.services.api.exchange import MASK, SECRET_KEYS, Exchange
from tui_app.services.store.files import atomic_write

TOKEN_VARIABLE = "LIMIO_TOKEN"  # noqa: S105 - the name of a variable, not a token
SECRET_VARIABLE = "LIMIO_CLIENT_SECRET"  # noqa: S105 - a variable name

# Headers httpx adds that curl sets by itself (or that would be wrong to copy:
# Content-Length must follow the body curl sends, not the recorded one).
SKIPPED_HEADERS = frozenset(
    {"host", "content-length", "accept-encoding", "connection", "user-agent"}
)
# Values curl sends anyway: repeating them only makes the command longer.
CURL_DEFAULTS = {"accept": "*/*"}

_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")
_SAFE_IN_DOUBLE_QUOTES = re.compile(r'^[^"$`\\!\n]*$')
_GLOB_CHARS = frozenset("[]{}")
# Quiet but not silent about failures (-sS), and honest in its exit status: a
# 4xx/5xx reply makes curl exit non-zero, with the body still printed, so a
# saved script run with `set -e` stops where the API refused.
DEFAULT_OPTIONS = ("-sS", "--fail-with-body")

Secrets = dict[str, str]  # secret value -> name of the shell variable holding it


def variable_for(field_name: str) -> str:
    """The shell variable for a secret form field: client_secret -> LIMIO_CLIENT_SECRET."""
    if field_name.lower() == "client_secret":
        return SECRET_VARIABLE
    return "LIMIO_" + re.sub(r"[^A-Za-z0-9]+", "_", field_name).upper()


def quote(text: str, secrets: Secrets | None = None) -> str:
    """Quote ``text`` for a POSIX shell, putting a variable wherever a secret was.

    Without secrets this is ``shlex.quote``. With them, the result is either a
    single double-quoted word (``"Authorization: Bearer $LIMIO_TOKEN"``) when the
    rest of the text is safe inside double quotes, or single-quoted pieces
    glued to ``"$VAR"`` otherwise. Either way the shell sees one word.
    """
    parts = _split_on_secrets(text, secrets or {})
    if len(parts) == 1 and isinstance(parts[0], str):
        return shlex.quote(parts[0])
    literals = [part for part in parts if isinstance(part, str)]
    if all(_SAFE_IN_DOUBLE_QUOTES.match(literal) for literal in literals):
        word = ""
        for index, part in enumerate(parts):
            if isinstance(part, str):
                word += part
                continue
            following = parts[index + 1] if index + 1 < len(parts) else ""
            needs_braces = isinstance(following, str) and bool(_NAME_CHAR.match(following[:1]))
            word += f"${{{part[0]}}}" if needs_braces else f"${part[0]}"
        return f'"{word}"'
    return "".join(
        shlex.quote(part) if isinstance(part, str) else f'"${part[0]}"'
        for part in parts
        if part != ""
    )


def _split_on_secrets(text: str, secrets: Secrets) -> list[str | tuple[str]]:
    """``text`` cut into literal strings and ``(variable,)`` markers."""
    known = sorted((s for s in secrets if s and s != MASK), key=len, reverse=True)
    if not known:
        return [text]
    pattern = re.compile("|".join(re.escape(secret) for secret in known))
    parts: list[str | tuple[str]] = []
    position = 0
    for match in pattern.finditer(text):
        parts.append(text[position : match.start()])
        parts.append((secrets[match.group(0)],))
        position = match.end()
    parts.append(text[position:])
    return parts


def _bearer_token(exchange: Exchange) -> str | None:
    value = exchange.header("authorization", response=False) or ""
    scheme, _, credentials = value.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _is_form(exchange: Exchange) -> bool:
    content_type = exchange.header("content-type", response=False) or ""
    return "x-www-form-urlencoded" in content_type.lower()


def _secret_values(exchange: Exchange, token_variable: str) -> Secrets:
    """Every credential of the raw exchange and the variable that stands for it."""
    secrets: Secrets = {}
    token = _bearer_token(exchange)
    if token and token != MASK:
        secrets[token] = token_variable
    if _is_form(exchange):
        for name, value in parse_qsl(exchange.request_body, keep_blank_values=True):
            if name.lower() in SECRET_KEYS and value and value != MASK:
                secrets[value] = variable_for(name)
    return secrets


def _header_options(exchange: Exchange, token_variable: str, secrets: Secrets) -> list[str]:
    options = []
    for name, value in exchange.request_headers:
        lower = name.lower()
        if lower in SKIPPED_HEADERS or CURL_DEFAULTS.get(lower) == value:
            continue
        if lower in ("authorization", "proxy-authorization"):
            # Always a variable, even when the exchange was the redacted one;
            # credentials of another scheme get a variable of their own.
            scheme, _, credentials = value.partition(" ")
            if scheme.lower() == "bearer" and lower == "authorization":
                options.append(f'-H "{_title(name)}: Bearer ${token_variable}"')
            else:
                variable = variable_for(f"{lower}_credentials")
                plain = credentials and re.fullmatch(r"[A-Za-z0-9._~+-]+", scheme)
                words = f"{scheme} ${variable}" if plain else f"${variable}"
                options.append(f'-H "{_title(name)}: {words}"')
            continue
        options.append("-H " + quote(f"{_title(name)}: {value}", secrets))
    return options


def _title(header_name: str) -> str:
    # httpx records names in lower case; the usual spelling reads better.
    return "-".join(part[:1].upper() + part[1:] for part in header_name.split("-"))


def _body_options(exchange: Exchange, secrets: Secrets) -> list[str]:
    body = exchange.request_body
    if not body:
        return []
    if _is_form(exchange):
        # One option per field: curl encodes each value, so a secret read from
        # the environment is encoded exactly as the original was.
        options = []
        for name, value in parse_qsl(body, keep_blank_values=True):
            if name.lower() in SECRET_KEYS and value:
                options.append(f'--data-urlencode "{name}=${variable_for(name)}"')
            else:
                options.append("--data-urlencode " + quote(f"{name}={value}", secrets))
        return options
    return ["--data-raw " + quote(body, secrets)]


def _method_options(exchange: Exchange, has_body: bool) -> list[str]:
    method = exchange.method.upper()
    if method == "HEAD":
        return ["--head"]
    # curl infers GET without a body and POST with one; say anything else.
    inferred = "POST" if has_body else "GET"
    return [] if method == inferred else ["-X " + shlex.quote(method)]


def to_curl(
    exchange: Exchange,
    *,
    token_variable: str = TOKEN_VARIABLE,
    options: Sequence[str] = DEFAULT_OPTIONS,
) -> str:
    """The curl command for ``exchange`` (pass the raw one so cookies work).

    ``options`` are the curl options put right after ``curl``.
    Lines end with `` \\`` so the command pastes as one.
    """
    secrets = _secret_values(exchange, token_variable)
    body = _body_options(exchange, secrets)
    url = exchange.url
    words = ["curl", *(shlex.quote(option) for option in options)]
    if _GLOB_CHARS & set(url):
        words.append("--globoff")  # [] and {} in a URL are curl's globbing syntax
    words.extend(_method_options(exchange, bool(body)))
    words.append(quote(url, secrets))
    lines = [" ".join(words)]
    lines.extend(_header_options(exchange, token_variable, secrets))
    lines.extend(body)
    return " \\\n  ".join(lines)


def export_line(variable: str, value: str) -> str:
    """``export LIMIO_TOKEN='…'``: a shell line that sets what a command needs,
    for the clipboard (never for the screen: it holds the secret itself)."""
    return f"export {variable}={shlex.quote(value)}"


def variables_needed(command: str) -> list[str]:
    """The shell variables a command reads (``LIMIO_TOKEN``, ...), in order."""
    found = re.findall(r"\$\{?(LIMIO_[A-Z0-9_]+)", command)
    return list(dict.fromkeys(found))


def shell_script(command: str, *, title: str = "") -> str:
    """A ``#!/bin/sh`` script around ``command`` that says what to export first."""
    lines = ["#!/bin/sh"]
    if title:
        lines.append(f"# {title}")
    lines.append("# Written by basket-builder. No credentials are stored here: set them first,")
    for variable in variables_needed(command) or [TOKEN_VARIABLE]:
        lines.append(f"#   export {variable}=...")
    lines.append("set -eu")
    lines.append(command)
    return "\n".join(lines) + "\n"


def write_script(path: Path | str, command: str, *, title: str = "") -> None:
    """Save ``command`` as an executable script (mode 0700: it may hold a
    basket's cookie). Raises ``files.StoreError`` naming the file on failure."""
    path = Path(path)
    atomic_write(path, shell_script(command, title=title).encode(), mode=0o700)
    # The umask may have taken the execute bit away; the file is ours, so set it.
    os.chmod(path, 0o700)
