"""Workers call URLs that users chose (generation endpoints, webhooks): only public ones."""

import ipaddress
import socket
from urllib.parse import urlparse


class NonPublicURL(ValueError):
    """The URL is not http(s), does not resolve, or resolves to a non-public address."""


def check_public_url(url: str, *, allowed_hosts: frozenset[str] | set[str], setting: str) -> None:
    """Refuse loopback, private, link-local and reserved addresses (internal services, cloud
    metadata) unless the operator listed the host in `setting`."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise NonPublicURL("The URL must be an http(s) URL.")
    if parsed.hostname in allowed_hosts:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parsed.hostname, parsed.port or 443)}
    except (socket.gaierror, UnicodeError):
        raise NonPublicURL(f"Cannot resolve {parsed.hostname}.") from None
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise NonPublicURL(
                f"{parsed.hostname} resolves to a non-public address; an operator can allow it "
                f"with {setting}."
            )
