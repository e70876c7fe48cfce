"""What the API tells its clients beyond the schemas: the rules that refuse schema-valid
input with 422, written into the OpenAPI, and ``OPTIONS`` answered on every API path."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, status
from fastapi.responses import Response
from starlette.routing import Route, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from workflow.rules import SUBTASK_DEPARTMENTS

INPUT_RULES = """
**Input rules.** Besides each schema, every request is refused with 422 when it holds:
text with a NUL character (`\\u0000`, in the path, the query or the body); text with a lone
UTF-16 surrogate (`\\ud800` to `\\udfff` without its pair); a JSON number that is not finite
(`NaN`, `Infinity`, `1e400`) or has more than 4,300 digits. The rules that tie one field to
another are in the field descriptions. Bodies are limited in size (413). `OPTIONS` on any
API path answers 204 with the path's methods in `Allow`.
"""

_SUBTASK_DEPARTMENTS = " or ".join(
    [", ".join(d.value for d in SUBTASK_DEPARTMENTS[:-1]), SUBTASK_DEPARTMENTS[-1].value]
)
_NO_INVESTIGATION = "Required, not blank, when `investigate` is false."
_DEFECT_CODE = "An active code of `GET /codes/defects` (unknown or inactive: 422)."

# (schema, property) -> the description that states the rule its model checks.
FIELD_RULES: dict[tuple[str, str], str] = {
    ("QualityResult", "no_investigation_reason"): _NO_INVESTIGATION,
    ("Assessment", "no_investigation_reason"): _NO_INVESTIGATION,
    ("SalesReview", "comment"): "Required, not blank, when `approved` is false (the result "
    "goes back to quality).",
    ("CustomerResponse", "comment"): "Required, not blank, when `accepted` is false.",
    ("SubtaskRequest", "department"): f"Only {_SUBTASK_DEPARTMENTS}; any other department "
    "is refused with 422.",
    ("ComplaintCreate", "customer_id"): "An existing customer's id (unknown: 422). Give "
    "exactly one of `customer_id` and `customer`.",
    ("ComplaintCreate", "customer"): "A new customer, inline. Give exactly one of "
    "`customer_id` and `customer`.",
    ("ComplaintCreate", "product"): "The item as the customer names it. Required, not blank, "
    "unless `product_id` is given (then the catalogue name by default). Text that is an "
    "active product's part number or name (any case) links that product; other text stays "
    "unmapped until quality maps it.",
    ("ComplaintCreate", "product_id"): "A product of the catalogue (unknown or no longer "
    "sold: 422).",
    ("Assessment", "defect_code"): _DEFECT_CODE + " Required when `valid` is true.",
    ("QualityResult", "defect_code"): _DEFECT_CODE + " Required when `valid` is true and the "
    "first assessment recorded none; replaces it when given.",
    ("QualityResult", "cause_code"): "An active code of `GET /codes/causes` (unknown or "
    "inactive: 422). Required when `investigate` is true.",
}
# (method, path, query parameter) -> the rule the route checks.
PARAMETER_RULES: dict[tuple[str, str, str], str] = {
    ("get", "/api/v1/reports/deadlines", "to"): "Day after the last (UTC); must be after "
    "`from` (422 otherwise).",
    ("get", "/api/v1/reports/satisfaction", "to"): "Day after the last (UTC); must be after "
    "`from` (422 otherwise).",
}


def _add_rules(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for (name, field), rule in FIELD_RULES.items():
        components[name]["properties"][field]["description"] = rule
    for (method, path, name), rule in PARAMETER_RULES.items():
        for parameter in schema["paths"][path][method]["parameters"]:
            if parameter["name"] == name:
                parameter["description"] = rule
                parameter.setdefault("schema", {})["description"] = rule


def document_input_rules(app: FastAPI) -> None:
    """Write :data:`FIELD_RULES` and :data:`PARAMETER_RULES` into the generated OpenAPI."""
    generate: Callable[[], dict[str, Any]] = app.openapi
    done = False

    def openapi_with_rules() -> dict[str, Any]:
        nonlocal done
        schema = generate()  # cached by FastAPI after the first call
        if not done:
            _add_rules(schema)
            done = True
        return schema

    app.openapi = openapi_with_rules  # type: ignore[method-assign]


class AnswerOptions:
    """``OPTIONS`` on an API path: 204 with ``Allow`` naming every method the path has (the
    router alone answers 405 with one route's methods). Paths come from the OpenAPI and the
    app's own plain routes (the docs)."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self._paths: list[tuple[Any, set[str], int]] | None = None

    def _methods_by_path(self) -> list[tuple[Any, set[str], int]]:
        if self._paths is None:
            paths = [
                (compile_path(path)[0], {method.upper() for method in operations}, path.count("{"))
                for path, operations in self.api.openapi()["paths"].items()
            ]
            paths += [
                (route.path_regex, set(route.methods or ()), route.path.count("{"))
                for route in self.api.routes
                if isinstance(route, Route) and route.path.startswith("/api/")
            ]
            self._paths = paths
        return self._paths

    def allowed(self, path: str) -> set[str]:
        found = [(n, ms) for regex, ms, n in self._methods_by_path() if regex.match(path)]
        if not found:
            return set()
        # A literal path (/products/import) is not also its parameter sibling's
        # (/products/{product_id}), as the router itself tells them apart.
        fewest = min(n for n, _ in found)
        methods = {m for n, ms in found if n == fewest for m in ms}
        if "GET" in methods:
            methods.add("HEAD")
        return methods | {"OPTIONS"} if methods else set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            methods = self.allowed(scope["path"]) if scope["path"].startswith("/api/") else set()
            if methods:
                answer = Response(
                    status_code=status.HTTP_204_NO_CONTENT,
                    headers={"Allow": ", ".join(sorted(methods))},
                )
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)
