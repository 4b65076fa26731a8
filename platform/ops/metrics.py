"""Prometheus metrics. Requests are counted by each web process (shared through
PROMETHEUS_MULTIPROC_DIR under gunicorn); queue depths and validation latency are read when
Prometheus scrapes, so the workers need no metrics port."""

import os
from statistics import quantiles

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from evaluation.selectors import recent_validation_latencies
from ops import probes

KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
LATENCY_QUANTILES = ("0.5", "0.9", "0.99")
LATENCY_WINDOW_S = 900

REQUESTS = Counter(
    "quorum_http_requests", "HTTP requests answered, by route pattern", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "quorum_http_request_duration_seconds", "Seconds to answer an HTTP request", ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in KNOWN_METHODS else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    REQUEST_SECONDS.labels(route, method).observe(seconds)


class ScrapeTimeCollector:
    """Read at each scrape: queue depths from the broker, latency of recent validations."""

    def collect(self):
        yield from broker_metrics()
        yield validation_latency_metric()


def broker_metrics():
    up = GaugeMetricFamily("quorum_broker_up", "1 when the broker answered this scrape")
    depth = GaugeMetricFamily("quorum_queue_depth", "Messages waiting in each queue", labels=["queue"])
    try:
        depths = probes.queue_depths()
    except Exception:  # noqa: BLE001 — any transport error: reported as the broker being down
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    for queue, count in depths.items():
        depth.add_metric([queue], count)
    return [up, depth]


def validation_latency_metric() -> GaugeMetricFamily:
    metric = GaugeMetricFamily(
        "quorum_validation_latency_seconds",
        f"Quantiles of validation latency (judge calls) over results recorded in the last {LATENCY_WINDOW_S} s",
        labels=["quantile"],
    )
    latencies = recent_validation_latencies(within_s=LATENCY_WINDOW_S)
    if len(latencies) >= 2:
        cuts = quantiles(latencies, n=100, method="inclusive")
        for label in LATENCY_QUANTILES:
            metric.add_metric([label], cuts[round(float(label) * 100) - 1])
    elif latencies:
        for label in LATENCY_QUANTILES:
            metric.add_metric([label], latencies[0])
    return metric


class _ThisProcess:
    def collect(self):
        yield from REGISTRY.collect()


def exposition() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(ScrapeTimeCollector())
    return generate_latest(registry)
