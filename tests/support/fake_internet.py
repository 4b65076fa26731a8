"""A pretend internet for outbound-HTTP tests, where nothing ever leaves the machine.

- Names resolve only through `names`: a list of answers, one per lookup until the last, which
  stays (so a name can answer differently each time, to play DNS rebinding); an answer is an
  address or several, comma-separated; IP literals and `localhost` resolve as usual; any other name does not resolve —
  no real DNS query is made.
- Addresses of TEST-NET-3 (203.0.113.0/24, RFC 5737, never routed) count as public.
- Every socket connect is recorded in `attempts`. A connect to a TEST-NET-3 address goes to the
  loopback server standing in for it (`stand_in`), or is refused; loopback connects go through;
  any other address is refused and recorded in `outside` (tests assert it stays empty).
"""

import ipaddress
import socket
from dataclasses import dataclass, field

import pytest

PUBLIC_TEST_NET = ipaddress.ip_network("203.0.113.0/24")
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


@dataclass
class FakeInternet:
    names: dict[str, list[str]] = field(default_factory=dict)  # each lookup pops until one is left
    stand_in: dict[tuple[str, int], int] = field(
        default_factory=dict
    )  # (address, port) → loopback port
    attempts: list[tuple[str, int]] = field(default_factory=list)
    outside: list[tuple[str, int]] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        name = host.decode() if isinstance(host, bytes) else str(host)
        key = name.rstrip(".").lower()
        self.lookups.append(key)
        if key in self.names:
            answers = self.names[key]
            records = answers.pop(0) if len(answers) > 1 else answers[0]  # "a" or "a,b"
            return [
                (socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (address, int(port or 0)))
                for address in records.split(",")
            ]  # fmt: skip
        if key == "localhost" or _is_literal(name):
            return _real_getaddrinfo(host, port, family, type, proto, flags)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (fake internet)")

    def connect(self, sock, address):
        host, port = address[0], address[1]
        self.attempts.append((host, port))
        ip = ipaddress.ip_address(host.split("%")[0])
        if ip in PUBLIC_TEST_NET:
            if (host, port) not in self.stand_in:
                raise ConnectionRefusedError(111, "Connection refused")
            return _real_connect(sock, ("127.0.0.1", self.stand_in[(host, port)]))
        if ip.is_loopback:
            return _real_connect(sock, address)
        self.outside.append((host, port))
        raise ConnectionRefusedError(111, "Connection refused")


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


@pytest.fixture
def fake_internet(monkeypatch):
    world = FakeInternet()
    monkeypatch.setattr(socket, "getaddrinfo", world.getaddrinfo)
    monkeypatch.setattr(
        socket.socket, "connect", lambda sock, address: world.connect(sock, address)
    )
    try:
        import common.outbound as outbound
    except ImportError:  # running these tests against the code before the outbound policy
        outbound = None
    if outbound is not None:
        real_reason = outbound.non_public_reason

        def reason(address: str) -> str:
            return "" if ipaddress.ip_address(address) in PUBLIC_TEST_NET else real_reason(address)

        monkeypatch.setattr(outbound, "non_public_reason", reason)
    real_is_global = ipaddress.IPv4Address.is_global
    # The same world for code that asks `ipaddress` directly (e.g. the check before this policy).
    monkeypatch.setattr(
        ipaddress.IPv4Address, "is_global",
        property(lambda ip: ip in PUBLIC_TEST_NET or real_is_global.fget(ip)),
    )  # fmt: skip
    yield world
    assert world.outside == [], f"connections to outside addresses were attempted: {world.outside}"


class Canary:
    """A loopback HTTP server that records every request it gets (`hits`: method, path, Host)
    and answers each with `status`, `headers` and `body`."""

    def __init__(
        self, status: int = 200, headers: dict | None = None, body: bytes = b"{}", tls=None
    ):
        from tests.support.loopback import LoopbackServer, QuietHandler

        canary = self
        self.hits: list[tuple[str, str, str]] = []
        self.status, self.headers, self.body = status, headers or {}, body

        class Handler(QuietHandler):
            def _answer(self):
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                canary.hits.append((self.command, self.path, self.headers.get("host", "")))
                self.send_response(canary.status)
                for name, value in canary.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(canary.body)))
                self.end_headers()
                self.wfile.write(canary.body)

            do_GET = do_POST = _answer  # noqa: N815

        self.server = LoopbackServer(Handler)
        self.port = self.server.server.server_port
        self.scheme = "http"
        if tls is not None:  # an ssl.SSLContext for the server side: HTTPS
            self.server.server.socket = tls.wrap_socket(self.server.server.socket, server_side=True)
            self.scheme = "https"

    def url(self, path: str = "/hook") -> str:
        return self.server.address(path).replace("http", self.scheme, 1)

    def __enter__(self):
        self.server.__enter__()
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)


@pytest.fixture
def canaries():
    """Canary(...) servers started for this test, stopped after it."""
    started = []

    def start(**reply) -> Canary:
        canary = Canary(**reply).__enter__()
        started.append(canary)
        return canary

    yield start
    for canary in started:
        canary.__exit__(None, None, None)


def make_certificates(folder, name: str) -> tuple[str, str, str]:
    """(CA file, certificate, key): a throw-away CA and a server certificate for `name`."""
    import subprocess

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
            "-subj", "/CN=Quorum test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign")  # fmt: skip
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", f"/CN={name}")
    (folder / "leaf.ext").write_text(
        f"subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "leaf.pem", "-days", "1", "-extfile", "leaf.ext")  # fmt: skip
    return str(folder / "ca.pem"), str(folder / "leaf.pem"), str(folder / "leaf.key")
