"""A profile as typed into the form, and the checks that say what is wrong
with each field. Pure logic (no Textual), so the rules are easy to test and
the same messages appear whether the user types, saves or tests.

The real checks live in services: ``Profile`` (pydantic) and
``check_tenant`` / ``check_base_url``; this module only maps their messages
to the field a person would fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import ValidationError

from tui_app.services.api.auth import BearerAuth
from tui_app.services.api.endpoints import EndpointError, check_base_url, check_tenant
from tui_app.services.api.models import describe_validation_error, text_problem
from tui_app.services.connection import SANDBOX_PROFILE_NAME
from tui_app.services.store.profiles import AuthKind, Profile, Secrets

TENANT = "tenant"
BASE_URL = "base_url"

# Form field -> the Profile field(s) whose pydantic messages belong to it.
_PROFILE_FIELDS = {
    "name": ("name",),
    "target": ("tenant", "base_url"),
    "client_id": ("client_id",),
    "timeout": ("timeout",),
    "cookie_template": ("cookie_template",),
    "ca_bundle": ("ca_bundle",),
}
FIELDS = (
    "name", "target", "client_id", "client_secret", "token",
    "timeout", "cookie_template", "ca_bundle",
)
# Fields read as identifiers: no invisible characters at all, not even the
# zero-width joiners an emoji in a name needs (see models.text_problem).
_IDENTIFIERS = ("target", "client_id", "client_secret", "token", "timeout", "cookie_template")
MESSAGE_MAX = 160  # a reason that quotes a long paste is cut in the middle


@dataclass(frozen=True)
class Draft:
    """Exactly what the user typed; nothing is thrown away on a failed save."""

    name: str = ""
    target_kind: str = TENANT
    target: str = ""
    auth: AuthKind = AuthKind.CLIENT_CREDENTIALS
    client_id: str = ""
    client_secret: str = field(default="", repr=False)  # never in a log or traceback
    token: str = field(default="", repr=False)
    timeout: str = "30"
    cookie_template: str = ""
    ca_bundle: str = ""

    @classmethod
    def from_profile(cls, profile: Profile) -> Draft:
        """A stored profile in the form; its secrets stay out (never on screen)."""
        return cls(
            name=profile.name,
            target_kind=BASE_URL if profile.base_url else TENANT,
            target=profile.base_url or profile.tenant or "",
            auth=profile.auth,
            client_id=profile.client_id or "",
            timeout=f"{profile.timeout:g}",
            cookie_template=profile.cookie_template or "",
            ca_bundle=profile.ca_bundle or "",
        )

    def renamed(self, name: str) -> Draft:
        return replace(self, name=name)

    def relevant(self, name: str) -> bool:
        """Whether a field applies with the chosen auth kind."""
        if name in ("client_id", "client_secret"):
            return self.auth == AuthKind.CLIENT_CREDENTIALS
        if name == "token":
            return self.auth == AuthKind.BEARER
        return True


@dataclass
class DraftCheck:
    problems: dict[str, str] = field(default_factory=dict)  # form field -> reason
    general: list[str] = field(default_factory=list)  # problems of no single field
    profile: Profile | None = None
    new_secrets: Secrets | None = None  # None: keep what is stored
    secrets: Secrets | None = None  # what a connection test would use

    @property
    def ok(self) -> bool:
        return self.profile is not None and not self.problems and not self.general

    def summary(self) -> str:
        """One line for the error panel; the reasons themselves sit by the fields."""
        parts = []
        if self.problems:
            count = len(self.problems)
            fields = ", ".join(label(name) for name in self.problems)
            noun = "field needs" if count == 1 else "fields need"
            parts.append(f"{count} {noun} attention (marked ✗): {fields}.")
        parts += self.general
        return " ".join(parts)


LABELS = {
    "name": "Name",
    "target": "Target",
    "client_id": "Client id",
    "client_secret": "Client secret",
    "token": "Bearer token",
    "timeout": "Timeout",
    "cookie_template": "Cookie template",
    "ca_bundle": "CA bundle",
}


def label(name: str) -> str:
    return LABELS.get(name, name)


def check_draft(
    draft: Draft,
    *,
    taken: set[str] | frozenset[str] = frozenset(),
    stored: Secrets | None = None,
    for_test: bool = False,
) -> DraftCheck:
    """Every problem of ``draft``, by field. ``taken``: names of the other
    profiles; ``stored``: the secrets already saved for the profile being
    edited (an empty secret input keeps them). ``for_test``: a connection test
    needs no valid name, so a name problem is not counted."""
    stored = stored or Secrets()
    check = DraftCheck()
    problems = check.problems

    name = draft.name.strip()
    if not name:
        problems["name"] = "a name is required"
    elif name == SANDBOX_PROFILE_NAME:
        problems["name"] = "that is the built-in sandbox's name; choose another"
    elif name in taken:
        problems["name"] = "another profile already has this name"

    target = draft.target.strip()
    if not target:
        problems["target"] = (
            "a tenant hostname is required, such as acme.prod.limio.com"
            if draft.target_kind == TENANT
            else "a base URL is required, such as https://acme.example.com/api"
        )
    else:
        try:
            (check_tenant if draft.target_kind == TENANT else check_base_url)(target)
        except EndpointError as exc:
            problems["target"] = str(exc)

    client_creds = draft.auth == AuthKind.CLIENT_CREDENTIALS
    if client_creds and not draft.client_id.strip():
        problems["client_id"] = "a client id is required for client credentials"
    typed = draft.client_secret if client_creds else draft.token
    secret_field = "client_secret" if client_creds else "token"
    kept = stored.client_secret if client_creds else stored.token
    if not typed.strip() and kept is None:
        problems[secret_field] = (
            "the client secret is required" if client_creds else "a bearer token is required"
        )
    elif typed.strip() and not client_creds:
        try:
            BearerAuth(typed)
        except ValueError as exc:
            problems["token"] = str(exc)

    timeout = _parse_seconds(draft.timeout)
    if timeout is None:
        problems["timeout"] = "a number of seconds is required, such as 30"

    ca_bundle = draft.ca_bundle.strip()
    missing = _no_file(ca_bundle) if ca_bundle else None
    if missing:
        problems["ca_bundle"] = missing

    values = {
        # A connection test needs no name: the form's may still be unfinished.
        "name": "connection test" if for_test else name,
        "tenant": target if draft.target_kind == TENANT else None,
        "base_url": target if draft.target_kind == BASE_URL else None,
        "auth": draft.auth,
        "client_id": draft.client_id if client_creds else None,
        "timeout": timeout if timeout is not None else 30.0,
        "cookie_template": draft.cookie_template,
        "ca_bundle": ca_bundle,
    }
    try:
        check.profile = Profile.model_validate(values)
    except ValidationError as exc:
        _place(describe_validation_error(exc), check)

    if typed.strip():
        key = "client_secret" if client_creds else "token"
        check.new_secrets = Secrets.model_validate({key: typed.strip()})
        check.secrets = check.new_secrets
    else:
        check.secrets = stored

    # Control and formatting characters first: the message names the
    # character and where it is, which says more than "not a valid hostname".
    for name in FIELDS:
        problem = text_problem(getattr(draft, name), identifier=name in _IDENTIFIERS)
        if problem and draft.relevant(name):
            problems[name] = problem
    for name, reason in problems.items():
        problems[name] = _clip(reason)
    if for_test:
        problems.pop("name", None)
    return check


def _clip(reason: str) -> str:
    """A reason that quotes a 5,000-character paste keeps its start and its
    end (where it says what is wrong), so it fits beside the field."""
    if len(reason) <= MESSAGE_MAX:
        return reason
    return f"{reason[: MESSAGE_MAX - 60]} … {reason[-50:]}"


def _no_file(path: str) -> str | None:
    """Why there is no readable file at ``path`` (None: there is one)."""
    try:
        found = Path(path).expanduser().is_file()
    except RuntimeError:  # "~someone" whose home directory is unknown
        return f"there is no home directory for {path.split('/', 1)[0]!r}"
    except OSError as exc:  # a name too long for the file system, …
        return f"that path cannot be used: {exc.strerror or exc}"
    except ValueError:
        return "that path cannot be used"
    return None if found else "there is no file at that path"


def _parse_seconds(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _place(lines: list[str], check: DraftCheck) -> None:
    """Put each ``where: what`` line under the form field it belongs to; a
    field that already has a (more specific) reason keeps it. Whole-profile
    lines (target and client id missing) repeat a field check made above, so
    they count only when no field explains the failure."""
    owners = {model: form for form, models in _PROFILE_FIELDS.items() for model in models}
    general = []
    for line in lines:
        where, sep, what = line.partition(": ")
        form = owners.get(where) if sep else None
        if form is None:
            general.append(line)
        else:
            check.problems.setdefault(form, what)
    if not check.problems:
        check.general.extend(general)
