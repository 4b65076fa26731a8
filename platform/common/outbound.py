"""The one policy for HTTP requests to URLs that users chose (webhooks, generation endpoints).

`OutboundPolicy.check(url)` parses the URL with urllib3's parser (the one requests connects
with), refuses anything another parser could read differently (backslashes, user names, `%` or
odd number forms in the host), resolves the host once, and refuses non-public addresses unless
the operator allow-listed that host *and* port. It returns a `Target`: the canonical URL and the
checked address. The clients a `Target` makes (`requests_session`, `httpx_client`) connect only
to that address — never resolving again, so DNS rebinding between check and connect is
powerless —, to that host and port only (a redirect elsewhere is refused at connect time),
without redirects and without proxies from the environment.

Allow-list entries: `host:port`, `host:*` (any port), or a bare `host`, which means ports 80 and
443 only. IPv6 literals in brackets: `[fd00::5]:8000`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore2
import httpx2
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

DEFAULT_PORTS = {"http": 80, "https": 443}
BARE_HOST_PORTS = frozenset({80, 443})
ANY_PORT = None
# Refused whatever `ipaddress` says they are (its answers changed between Python releases).
NEVER_PUBLIC = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/96", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_ISH = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")  # a label that makes a host an IPv4 number
FORBIDDEN_CHARACTERS = re.compile(r"[\\\s\x00-\x1f\x7f]")


class URLRefused(ValueError):
    """The URL is not one Quorum may call: the message says why, for the user."""


# --- addresses ----------------------------------------------------------------------------


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside a mapped, 6to4, Teredo or NAT64 IPv6 address, if any."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def non_public_reason(address: str) -> str:
    """Why an address is not on the public internet ("" when it is)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None and non_public_reason(str(inner)):
            return f"it embeds {inner}, {non_public_reason(str(inner))}"
    for kind in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global or any(ip in net for net in NEVER_PUBLIC if net.version == ip.version):
        return "not globally routable"
    return ""


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (tests replace this with a fake resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


# --- the allow-list -----------------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    host: str
    ports: frozenset[int] | None  # None: any port

    def admits(self, host: str, port: int) -> bool:
        return host == self.host and (self.ports is ANY_PORT or port in self.ports)


ALLOW_ENTRY = re.compile(
    r"^(?P<host>\[[0-9a-fA-F:.]+\]|[^\s:\[\]/@\\%]+)(?::(?P<port>\d{1,5}|\*))?$"
)


def parse_allow_list(entries: Iterable[str], *, setting: str) -> tuple[Allowed, ...]:
    """`host:port`, `host:*` or a bare `host` (ports 80 and 443 only)."""
    allowed = []
    for entry in entries:
        match = ALLOW_ENTRY.match(entry.strip())
        if not match or (match["port"] not in (None, "*") and not 0 < int(match["port"]) < 65536):
            raise URLRefused(f"{setting}: {entry!r} is not host, host:port or host:*.")
        host = _normal_host(match["host"].strip("[]"))
        port = match["port"]
        ports = (
            BARE_HOST_PORTS if port is None else ANY_PORT if port == "*" else frozenset({int(port)})
        )
        allowed.append(Allowed(host, ports))
    return tuple(allowed)


def _normal_host(host: str) -> str:
    """Lower case, IDNA (UTS 46) for non-ASCII names, without the trailing dot of an FQDN;
    IPv6 compressed."""
    host = host.rstrip(".").lower()
    if ":" in host:  # an IPv6 literal, in its one compressed spelling
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            raise URLRefused(f"{host} is not a valid IPv6 address.") from None
    if not host.isascii():
        import idna

        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            raise URLRefused(f"{host} is not a valid international domain name.") from None
    return host


# --- the policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A checked URL: where to send it, and the one address its connections may use."""

    url: str
    scheme: str
    host: str
    port: int
    address: str
    public: bool  # False: a non-public address, admitted by the allow-list

    def matches(self, url: str) -> bool:
        """Whether a request to `url` (a redirect, the client's next path) stays on this target."""
        try:
            scheme, host, port = _origin(url)
        except URLRefused:
            return False
        return (scheme, host, port) == (self.scheme, self.host, self.port)

    def requests_session(self) -> requests.Session:
        """A requests session that connects to the checked address only, without proxies."""
        return _session_through(PinnedAdapter(self))

    def httpx_client(self, *, verify=True, **options) -> httpx2.Client:
        """An httpx client (the OpenAI SDK's) that connects to the checked address only."""
        return httpx2.Client(
            transport=PinnedTransport(self, verify=verify),
            follow_redirects=False,
            trust_env=False,
            **options,
        )


@dataclass(frozen=True)
class OutboundPolicy:
    """What users' URLs may point at; `setting` names the allow-list in error messages."""

    setting: str
    allowed: tuple[Allowed, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[str], *, setting: str) -> OutboundPolicy:
        return cls(setting=setting, allowed=parse_allow_list(entries, setting=setting))

    def check(self, url: str) -> Target:
        scheme, host, port = _origin(url)
        parsed = parse_url(url)
        allow_listed = any(entry.admits(host, port) for entry in self.allowed)
        address, public = self._checked_address(host, port, allow_listed=allow_listed)
        canonical = urllib3.util.Url(
            scheme=scheme, host=f"[{host}]" if ":" in host else host,
            port=parsed.port, path=parsed.path or "/", query=parsed.query,
        ).url  # fmt: skip
        return Target(canonical, scheme, host, port, address, public=public)

    def _checked_address(self, host: str, port: int, *, allow_listed: bool) -> tuple[str, bool]:
        """The address to connect to, and whether every address of the host is public."""
        try:
            addresses = (
                [ipaddress.ip_address(host).compressed] if _is_ip(host) else resolve(host, port)
            )
        except (socket.gaierror, UnicodeError, OSError):
            raise URLRefused(f"Cannot resolve {host}.") from None
        if not addresses:
            raise URLRefused(f"Cannot resolve {host}.")
        # One non-public record refuses the name (mixed answers are how rebinding starts).
        refusals = [(a, non_public_reason(a.split("%")[0])) for a in addresses]
        refusals = [(address, reason) for address, reason in refusals if reason]
        if refusals and not allow_listed:
            address, reason = refusals[0]
            where = "is" if _is_ip(host) else "resolves to"
            raise URLRefused(
                f"{host} {where} a non-public address {address} ({reason}) — not allowed; "
                f"an operator can allow {_host_port(host, port)} with {self.setting}."
            )
        return addresses[0], not refusals


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, normalised host, port), refusing what parsers could disagree about."""
    if not isinstance(url, str) or not url:
        raise URLRefused("Enter an http(s) URL.")
    if FORBIDDEN_CHARACTERS.search(url):
        raise URLRefused("The URL may not contain backslashes, spaces or control characters.")
    try:
        parsed = parse_url(url)
    except LocationParseError:
        raise URLRefused("This is not a valid URL.") from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in DEFAULT_PORTS:
        raise URLRefused("The URL must be an http(s) URL.")
    if parsed.auth is not None or "@" in re.split(r"[/?#]", url.split("//", 1)[-1], maxsplit=1)[0]:
        raise URLRefused(
            "The URL may not contain a user name or password (put a token in the path or query)."
        )
    if not parsed.host:
        raise URLRefused("The URL has no host.")
    host = parsed.host.strip("[]") if parsed.host.startswith("[") else parsed.host
    if "%" in host:
        raise URLRefused("The host may not contain % (encoded characters or an IPv6 zone id).")
    host = _normal_host(host)
    _check_number_forms(host)
    _check_parsers_agree(url, host, parsed.port)
    return scheme, host, parsed.port or DEFAULT_PORTS[scheme]


def _check_number_forms(host: str) -> None:
    """A host ending in a number is an IPv4 address to browsers and C libraries (2130706433,
    0x7f.1, 0177.0.0.1 and 127.1 are all 127.0.0.1): only the dotted-quad form is accepted."""
    if ":" in host or not IPV4_ISH.match(host.rsplit(".", 1)[-1]):
        return
    try:
        canonical = str(ipaddress.IPv4Address(host))
    except ValueError:
        canonical = ""
    if canonical != host:
        raise URLRefused(f"Write the IPv4 address {host} as four decimal numbers (a.b.c.d).")


def _check_parsers_agree(url: str, host: str, port: int | None) -> None:
    """The standard library and httpx must read the same host and port as urllib3."""
    from urllib.parse import urlsplit

    try:
        split = urlsplit(url)
        other = httpx2.URL(url)
        readings = {
            (_normal_host(split.hostname or ""), split.port),
            (_normal_host(other.host), other.port),
        }
    except (ValueError, httpx2.InvalidURL, URLRefused):
        raise URLRefused("This URL is ambiguous: parsers disagree about its host.") from None
    if readings != {(host, port)}:
        raise URLRefused("This URL is ambiguous: parsers disagree about its host.")


# --- pinned clients -----------------------------------------------------------------------


class PinnedConnectionRefused(ConnectionError):
    """A request tried to leave its checked target (a redirect, another host or port)."""


def _pinned_connection(base: type[HTTPConnection], address: str) -> type[HTTPConnection]:
    class Pinned(base):
        def _new_conn(self):
            """Connect to the checked address; `host` (Host header, SNI, certificate) stays."""
            name, self._dns_host = self._dns_host, address
            try:
                return super()._new_conn()
            finally:
                self._dns_host = name

    return Pinned


class PinnedAdapter(HTTPAdapter):
    def __init__(self, target: Target):
        self.target = target
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        address = self.target.address
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("PinnedPool", (HTTPConnectionPool,), {"ConnectionCls": _pinned_connection(HTTPConnection, address)}),
            "https": type("PinnedTLSPool", (HTTPSConnectionPool,), {"ConnectionCls": _pinned_connection(HTTPSConnection, address)}),
        }  # fmt: skip

    def send(self, request, **kwargs):
        if not self.target.matches(request.url):
            raise requests.ConnectionError(PinnedConnectionRefused("not the checked host and port"))
        return super().send(request, **kwargs)


class PinnedBackend(httpcore2.SyncBackend):
    def __init__(self, target: Target):
        self.target = target

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if (_normal_host(host.strip("[]")), port) != (self.target.host, self.target.port):
            raise httpcore2.ConnectError("not the checked host and port")
        return super().connect_tcp(
            self.target.address, port, timeout, local_address, socket_options
        )


class PinnedTransport(httpx2.HTTPTransport):
    def __init__(self, target: Target, *, verify=True):
        super().__init__(verify=verify, trust_env=False)
        self.target = target
        self._pool._network_backend = PinnedBackend(target)  # every new connection uses it

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if not self.target.matches(str(request.url)):
            raise httpx2.ConnectError("not the checked host and port", request=request)
        return super().handle_request(request)


class CheckedAdapter(HTTPAdapter):
    """For a session that may go to several hosts (a redirect, a configured API): every
    request, each redirect hop included, is checked by the policy and sent pinned to the
    address checked for it. A refusal is a `requests.ConnectionError`."""

    def __init__(self, policy: OutboundPolicy):
        self.policy = policy
        self._pinned: dict[tuple[str, str, int, str], PinnedAdapter] = {}
        super().__init__(max_retries=0)

    def send(self, request, **kwargs):
        try:
            target = self.policy.check(request.url)
        except URLRefused as exc:
            raise requests.ConnectionError(PinnedConnectionRefused(str(exc))) from None
        key = (target.scheme, target.host, target.port, target.address)
        if key not in self._pinned:
            self._pinned[key] = PinnedAdapter(target)
        return self._pinned[key].send(request, **kwargs)

    def close(self):
        for adapter in self._pinned.values():
            adapter.close()
        super().close()


def checked_session(policy: OutboundPolicy) -> requests.Session:
    """A requests session whose every request passes `policy` (see CheckedAdapter)."""
    return _session_through(CheckedAdapter(policy))


def _session_through(adapter) -> requests.Session:
    """Every http(s) request of the session goes through `adapter`; no proxies from the environment."""
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def configured_url_policy(url: str, *, setting: str) -> OutboundPolicy:
    """For a URL the operator configured: its own host and port are allowed (even on a private
    network); anything else it leads to, a redirect for instance, must be public."""
    try:
        scheme, host, port = _origin(url)
    except URLRefused:
        return OutboundPolicy(setting=setting)  # every request refused, with the reason
    return OutboundPolicy(setting=setting, allowed=(Allowed(host, frozenset({port})),))
