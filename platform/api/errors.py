"""Errors as JSON problem details (RFC 9457), with one clear message per field."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.errors import DomainError
from submissions.services import BulkRejected, Conflict

TITLES = {
    400: "Invalid request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
}


def problem(status_code: int, detail: str, **extra) -> Response:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        **extra,
    }
    return Response(body, status=status_code, content_type="application/problem+json")


def problem_exception_handler(exc, context):
    if isinstance(exc, BulkRejected):
        errors = [{"index": e.index, "field": e.field, "reason": e.reason} for e in exc.errors]
        code = status.HTTP_409_CONFLICT if exc.conflict else status.HTTP_400_BAD_REQUEST
        return problem(code, str(exc), errors=errors)
    if isinstance(exc, Conflict):
        return problem(status.HTTP_409_CONFLICT, str(exc))
    if isinstance(exc, DomainError):
        return problem(status.HTTP_400_BAD_REQUEST, str(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = list(_flatten(data))
        detail = "; ".join(f"{e['field'] or 'request'}: {e['reason']}" for e in errors[:5])
        result = problem(response.status_code, detail, errors=errors)
    else:
        detail = data.get("detail", str(exc)) if isinstance(data, dict) else str(data)
        result = problem(response.status_code, str(detail))
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            result[header] = response[header]
    return result


def _flatten(data, prefix=""):
    if isinstance(data, dict):
        for key, value in data.items():
            name = key if key != "non_field_errors" else ""
            yield from _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
    elif isinstance(data, list):
        if all(isinstance(v, str) for v in data):
            for message in data:
                yield {"field": prefix, "reason": str(message)}
        else:
            for index, value in enumerate(data):
                yield from _flatten(value, f"{prefix}[{index}]")
    else:
        yield {"field": prefix, "reason": str(data)}


def _json_problem(status_code: int, detail: str):
    from django.http import JsonResponse

    body = {"type": "about:blank", "title": TITLES.get(status_code, "Error"), "status": status_code,
            "detail": detail}  # fmt: skip
    return JsonResponse(body, status=status_code, content_type="application/problem+json")


def page_not_found(request, exception=None):
    """404 outside any view: a JSON problem under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return _json_problem(404, "No such endpoint or object.")
    from django.views.defaults import page_not_found as html_page_not_found

    return html_page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return _json_problem(500, "Something went wrong on our side; it has been logged.")
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)
