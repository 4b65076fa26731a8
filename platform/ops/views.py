"""Probes and metrics for operators, answered by OpsEndpointsMiddleware ahead of the host check
and the HTTPS redirect: load balancers and Prometheus call them by address, over plain HTTP."""

import hmac
from ipaddress import ip_address

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST

from ops import probes
from ops.metrics import exposition


def healthz(request):
    """Alive: the process answers. Touches neither the database nor the broker."""
    return JsonResponse({"status": "alive"})


def readyz(request):
    checks = {"database": probes.database_problem(), "broker": probes.broker_problem()}
    failed = {name: problem for name, problem in checks.items() if problem}
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ready"})


def metrics(request):
    if not metrics_allowed(request):
        return HttpResponse(
            "Metrics need QUORUM_METRICS_TOKEN (Authorization: Bearer …) or an address in "
            "QUORUM_METRICS_ALLOWED_IPS.\n", status=403, content_type="text/plain",
        )  # fmt: skip
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def metrics_allowed(request) -> bool:
    token = settings.QUORUM_METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        client = ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(client in network for network in settings.QUORUM_METRICS_ALLOWED_IPS)
