"""gunicorn's settings for the web container (`gunicorn -c platform/config/gunicorn.conf.py`)."""

import os

from prometheus_client import multiprocess

pythonpath = "platform,."
wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None  # Quorum writes its own JSON access line per request (quorum.access)


def child_exit(server, worker):
    """Prometheus multiprocess mode: a dead worker's live gauges go with it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
