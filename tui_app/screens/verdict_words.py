"""A verdict in words, shared by the Basket and Validation screens: which
problems are not already told as a blocked product's reasons, and how many of
what kind. Its own module, so the Basket screen does not load the Validation
screen's code (and its checkout tree) to say "not valid"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_app.formatting import NAME_MAX, plural, shown

if TYPE_CHECKING:
    from tui_app.services.api.models import ValidateResponse, ValidationProblem
    from tui_app.services.workspace import BlockedProduct


def other_problems(
    verdict: ValidateResponse, blocked: list[BlockedProduct]
) -> list[ValidationProblem]:
    """The problems not already told as a blocked product's reasons."""
    keys = {bp.key for bp in blocked}
    items = {item_id for bp in blocked for item_id in bp.item_ids}
    return [
        p for p in verdict.invalid.validationErrors
        if not (p.offerId in keys or (p.orderItemId and p.orderItemId in items))
    ]


def code_words(code: str | None) -> str:
    """``quantity_out_of_range`` -> ``quantity out of range`` (as shown: the
    code is the tenant's)."""
    return shown((code or "problem").replace("_", " "), NAME_MAX)


def invalid_words(blocked: int, others: list[ValidationProblem]) -> tuple[str, str]:
    """Why a basket is not valid, counted and named by kind: ``1 problem:
    quantity out of range``; and a shorter form (counts only)."""
    kinds = list(dict.fromkeys(code_words(p.code) for p in others))
    named = ", ".join(kinds[:2]) + (", …" if len(kinds) > 2 else "")
    if blocked and others:
        brief = f"{plural(blocked, 'blocked product')}, {plural(len(others), 'other problem')}"
        return f"{brief}: {named}", brief
    if blocked:
        brief = plural(blocked, "blocked product")
        return brief, brief
    if others:
        brief = plural(len(others), "problem")
        return f"{brief}: {named}", brief
    return "the server gave no details", "no details"
