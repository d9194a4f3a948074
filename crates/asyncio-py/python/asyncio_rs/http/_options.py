"""The settings objects aiohttp programs build: ``ClientTimeout``, ``TCPConnector``,
``BasicAuth``, ``DummyCookieJar``, and the records a response carries (``RequestInfo``,
``HttpVersion``)."""

import base64
import ssl as _ssl
from collections import namedtuple
from dataclasses import dataclass

__all__ = [
    "BasicAuth",
    "ClientTimeout",
    "DummyCookieJar",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "RequestInfo",
    "TCPConnector",
]

HttpVersion = namedtuple("HttpVersion", "major minor")
HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)

RequestInfo = namedtuple("RequestInfo", "url method headers real_url")


@dataclass(frozen=True)
class ClientTimeout:
    """aiohttp's timeouts, in seconds: ``None`` (or 0) for no limit."""

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5

    def _core(self):
        return (self.total, self.connect, self.sock_connect, self.sock_read)


# aiohttp's default: 5 minutes in all, 30 s for the socket connect.
DEFAULT_TIMEOUT = ClientTimeout(total=300, sock_connect=30)


class BasicAuth(namedtuple("BasicAuth", "login password encoding")):
    """HTTP basic credentials."""

    def __new__(cls, login, password="", encoding="latin1"):
        if login is None:
            raise ValueError("None is not allowed as login value")
        if password is None:
            raise ValueError("None is not allowed as password value")
        if ":" in login:
            raise ValueError('A ":" is not allowed in login (RFC 1945#section-11.1)')
        return super().__new__(cls, login, password, encoding)

    def encode(self):
        """The ``Authorization`` header's value."""
        creds = f"{self.login}:{self.password}".encode(self.encoding)
        return "Basic " + base64.b64encode(creds).decode(self.encoding)


class DummyCookieJar:
    """A jar that keeps nothing: ``ClientSession(cookie_jar=DummyCookieJar())`` turns cookies
    off."""

    def __len__(self):
        return 0

    def __iter__(self):
        return iter(())


def _verifies(ssl):
    """Whether ``ssl`` (aiohttp's ``ssl=`` argument) asks for certificates to be checked."""
    if ssl is True or ssl is None:
        return True
    if ssl is False:
        return False
    if isinstance(ssl, _ssl.SSLContext):
        if ssl.verify_mode == _ssl.CERT_NONE:
            return False
        raise NotImplementedError(
            "asyncio_rs.http: ssl=SSLContext(...) that verifies is not supported "
            "(certificates are checked against the system's and webpki's roots); "
            "pass ssl=True or ssl=False"
        )
    raise NotImplementedError(f"asyncio_rs.http: ssl={ssl!r} is not supported")


class TCPConnector:
    """The pool's settings (aiohttp's ``TCPConnector``): connections in all and per host,
    TLS verification, the DNS cache and keep-alive."""

    _UNSUPPORTED = (
        "fingerprint",
        "family",
        "local_addr",
        "resolver",
        "force_close",
        "enable_cleanup_closed",
        "happy_eyeballs_delay",
        "interleave",
        "socket_factory",
        "ssl_shutdown_timeout",
    )

    def __init__(
        self,
        *,
        limit=100,
        limit_per_host=0,
        ssl=True,
        verify_ssl=True,
        ttl_dns_cache=10,
        use_dns_cache=True,
        keepalive_timeout=15.0,
        loop=None,
        **unsupported,
    ):
        for name in unsupported:
            if name in self._UNSUPPORTED:
                raise NotImplementedError(
                    f"asyncio_rs.http: TCPConnector({name}=...) is not supported"
                )
            raise TypeError(
                f"TCPConnector() got an unexpected keyword argument {name!r}"
            )
        self.limit = limit
        self.limit_per_host = limit_per_host
        self._verify = _verifies(ssl) and verify_ssl
        self._ttl_dns_cache = ttl_dns_cache if use_dns_cache else 0
        self._keepalive_timeout = keepalive_timeout
        self._closed = False

    @property
    def closed(self):
        return self._closed

    async def close(self):
        """Marks the connector closed (the session that uses it closes its pool)."""
        self._closed = True
