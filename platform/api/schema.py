"""Schema post-processing: every operation documents the JSON problems it can answer with."""

PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                },
            },
        },
    },
    "required": ["title", "status", "detail"],
}
COMMON = {
    "400": "Invalid request: `detail` and `errors` say what to fix.",
    "401": "Missing, unknown, revoked or expired token.",
    "403": "The token lacks the scope, or the account the role, this needs.",
    "404": "No such object (or not yours).",
    "413": "The request body is too large.",
    "429": "Too many requests: wait for `Retry-After` seconds.",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def add_problem_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            for code, description in COMMON.items():
                if code == "413" and method == "get":
                    continue
                entry = responses.setdefault(code, {"description": description})
                entry.setdefault("description", description)
                entry["content"] = {
                    "application/problem+json": {"schema": PROBLEM_REF},
                    "application/json": {"schema": PROBLEM_REF},
                }
            for code in ("409", "422"):
                if code in responses and method == "post":
                    responses[code]["content"] = {
                        "application/problem+json": {"schema": PROBLEM_REF},
                        "application/json": {"schema": PROBLEM_REF},
                    }
    return result
