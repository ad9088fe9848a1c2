"""Checks bodies against the vendored OpenAPI document with a real validator.

Each operation's request schema and response schemas are referenced by JSON
pointer into the whole document, so `$ref`s resolve exactly as the spec wrote
them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:basket-builder:partner-checkout"

OPERATIONS = {
    "initiate": ("/partner/checkout/initiate", "post"),
    "update": ("/partner/checkout/update", "put"),
    "validate": ("/partner/checkout/validate/{id}", "post"),
}


@cache
def spec() -> dict[str, Any]:
    text = (files("tui_app") / "data" / "partner-checkout.openapi.json").read_text("utf-8")
    return json.loads(text)


@cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource(spec(), specification=DRAFT202012))


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _validator(pointer: list[str]) -> OAS31Validator:
    ref = SPEC_URI + "#/" + "/".join(_escape(part) for part in pointer)
    return OAS31Validator({"$ref": ref}, registry=_registry())


def _operation(name: str) -> tuple[str, str, dict[str, Any]]:
    path, method = OPERATIONS[name]
    return path, method, spec()["paths"][path][method]


def request_errors(name: str, body: Any) -> list[str]:
    path, method, _ = _operation(name)
    pointer = ["paths", path, method, "requestBody", "content", "application/json", "schema"]
    return [error.message for error in _validator(pointer).iter_errors(body)]


def response_errors(name: str, status: int, body: Any) -> list[str]:
    """Problems with a response body; an undocumented status is a problem too."""
    path, method, operation = _operation(name)
    responses = operation["responses"]
    if str(status) not in responses:
        return [f"status {status} is not documented for {name}"]
    response = responses[str(status)]
    pointer = ["paths", path, method, "responses", str(status)]
    if "$ref" in response:
        pointer = response["$ref"].removeprefix("#/").split("/")
        response = spec()["components"]["responses"][pointer[-1]]
    if "content" not in response:
        return []
    pointer = [*pointer, "content", "application/json", "schema"]
    return [error.message for error in _validator(pointer).iter_errors(body)]


def validate_path_id_errors(basket_id: str) -> list[str]:
    _, _, operation = _operation("validate")
    schema = next(p for p in operation["parameters"] if p["name"] == "id")["schema"]
    return [error.message for error in OAS31Validator(schema).iter_errors(basket_id)]
