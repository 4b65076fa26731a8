import logging
import time

from django.conf import settings

from ops import request_id, views
from ops.metrics import observe_request

access_logger = logging.getLogger("quorum.access")


class OpsEndpointsMiddleware:
    """First in the chain: /healthz, /readyz and /metrics skip host validation, the HTTPS
    redirect, sessions and the request metrics (probes would drown the real traffic)."""

    ENDPOINTS = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = self.ENDPOINTS.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)


class RequestIdMiddleware:
    """`X-Request-ID` kept from the proxy (or made), on the response and on every log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id.request_id_from(request.headers.get("X-Request-ID"))
        request_id.CURRENT.set(request.id)  # cleared on request_finished, after Django's own logs
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


class RequestMetricsMiddleware:
    """Counts and times each request by its URL pattern (never its path: paths carry ids and
    password-reset tokens), and writes one access log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        route = route_of(request)
        observe_request(route=route, method=request.method, status=response.status_code, seconds=seconds)
        access_logger.info(
            "%s %s %s", request.method, route, response.status_code,
            extra={"method": request.method, "route": route, "status": response.status_code,
                   "duration_ms": round(seconds * 1000, 1)},
        )  # fmt: skip
        return response


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "/" + match.route
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"
