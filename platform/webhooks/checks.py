"""`manage.py check --deploy`: allow-list entries whose meaning changed with host:port entries."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from common.outbound import BARE_HOST_PORTS, URLRefused, parse_allow_list

ALLOW_LISTS = ("QUORUM_WEBHOOK_ALLOWED_HOSTS", "QUORUM_GENERATION_ALLOWED_HOSTS")


@register(Tags.security, deploy=True)
def bare_hosts_in_allow_lists(app_configs, **kwargs):
    """A bare host used to admit every port; it now admits 80 and 443 only (docs/deploy.md)."""
    found = []
    for setting in ALLOW_LISTS:
        try:
            entries = parse_allow_list(getattr(settings, setting), setting=setting)
        except URLRefused as exc:
            found.append(Warning(str(exc), id="quorum.W101"))
            continue
        for entry in entries:
            if entry.ports == BARE_HOST_PORTS:
                found.append(Warning(
                    f"{setting} lists {entry.host} without a port: it admits ports 80 and 443 "
                    "only (it used to admit every port).",
                    hint=f"Write {entry.host}:<port> for a service on another port, or "
                         f"{entry.host}:443 to silence this.",
                    id="quorum.W100",
                ))  # fmt: skip
    return found
