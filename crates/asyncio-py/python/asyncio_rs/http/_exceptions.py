"""aiohttp's client exceptions, with the same names, bases and attributes, and ``make``: the
factory the Rust core calls to turn one of asyncio-http's errors into the one aiohttp raises."""

import asyncio
import os
import ssl
from collections import namedtuple
from urllib.parse import urlsplit

__all__ = [
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHttpProxyError",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientResponseError",
    "ClientSSLError",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "InvalidURL",
    "InvalidUrlClientError",
    "NonHttpUrlClientError",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "TooManyRedirects",
    "WSServerHandshakeError",
]

# What ``ClientConnectorError.host`` and friends read (aiohttp's ``ConnectionKey``, in part).
ConnectionKey = namedtuple("ConnectionKey", "host port is_ssl ssl proxy")


class ClientError(Exception):
    """The base of every client error."""


class ClientResponseError(ClientError):
    """A response that is an error (``raise_for_status``), or a failure tied to one."""

    def __init__(self, request_info, history, *, status=None, message="", headers=None):
        self.request_info = request_info
        self.status = 0 if status is None else status
        self.message = message
        self.headers = headers
        self.history = history
        self.args = (request_info, history)

    def __str__(self):
        url = self.request_info.real_url if self.request_info is not None else None
        return f"{self.status}, message={self.message!r}, url={str(url)!r}"

    def __repr__(self):
        args = f"{self.request_info!r}, {self.history!r}"
        if self.status != 0:
            args += f", status={self.status!r}"
        if self.message != "":
            args += f", message={self.message!r}"
        return f"{type(self).__name__}({args})"


class ContentTypeError(ClientResponseError):
    """``json()`` on a response that is not JSON."""


class WSServerHandshakeError(ClientResponseError):
    """The WebSocket handshake failed."""


class ClientHttpProxyError(ClientResponseError):
    """The proxy answered with an error (``407`` when it wants credentials)."""


class TooManyRedirects(ClientResponseError):
    """More redirects than ``max_redirects``."""


class ClientConnectionError(ClientError):
    """The connection failed."""


class ClientConnectionResetError(ClientConnectionError, ConnectionResetError):
    """The connection was reset."""


class ClientOSError(ClientConnectionError, OSError):
    """An OS error on the connection."""


class ClientConnectorError(ClientOSError):
    """No connection could be made to the host."""

    def __init__(self, connection_key, os_error):
        self._conn_key = connection_key
        self._os_error = os_error
        super().__init__(os_error.errno, os_error.strerror)
        self.args = (connection_key, os_error)

    @property
    def os_error(self):
        return self._os_error

    @property
    def host(self):
        return self._conn_key.host

    @property
    def port(self):
        return self._conn_key.port

    @property
    def ssl(self):
        return self._conn_key.ssl

    def __str__(self):
        ssl_text = "default" if self._conn_key.ssl is True else self._conn_key.ssl
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{ssl_text} "
            f"[{self.strerror}]"
        )

    __reduce__ = BaseException.__reduce__


class ClientConnectorDNSError(ClientConnectorError):
    """The host name did not resolve."""


class ClientProxyConnectionError(ClientConnectorError):
    """The proxy could not be reached."""


class ServerConnectionError(ClientConnectionError):
    """The server's side of the connection failed."""


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before answering."""

    def __init__(self, message=None):
        if message is None:
            message = "Server disconnected"
        self.args = (message,)
        self.message = message


class ServerTimeoutError(ServerConnectionError, asyncio.TimeoutError):
    """A timeout while connecting or reading."""


class ConnectionTimeoutError(ServerTimeoutError):
    """``connect`` or ``sock_connect`` expired."""


class SocketTimeoutError(ServerTimeoutError):
    """``sock_read`` expired."""


class ClientPayloadError(ClientError):
    """The body could not be read in full (cut short, or badly encoded)."""


class InvalidURL(ClientError, ValueError):
    """The URL cannot be requested."""

    def __init__(self, url, description=None):
        self._url = url
        self._description = description
        if description:
            super().__init__(url, description)
        else:
            super().__init__(url)

    @property
    def url(self):
        return self._url

    @property
    def description(self):
        return self._description

    def __repr__(self):
        return f"<{type(self).__name__} {self}>"

    def __str__(self):
        if self._description:
            return f"{self._url} - {self._description}"
        return str(self._url)


class InvalidUrlClientError(InvalidURL):
    """The URL is malformed."""


class NonHttpUrlClientError(ClientError):
    """The URL's scheme is not http or https."""


class ClientSSLError(ClientConnectorError):
    """The TLS handshake failed."""


class ClientConnectorSSLError(ClientSSLError, ssl.SSLError):
    """The TLS handshake failed for another reason than the certificate."""


class ClientConnectorCertificateError(ClientSSLError, ssl.CertificateError):
    """The server's certificate was refused."""


def _key(url, is_proxy=False):
    parts = urlsplit(url)
    is_ssl = parts.scheme in ("https", "wss")
    try:
        port = parts.port or (443 if is_ssl else 80)
    except ValueError:
        port = None
    return ConnectionKey(parts.hostname, port, is_ssl, True, None)


def _os_error(errno, message):
    if errno is None:
        return OSError(None, message)
    return OSError(errno, os.strerror(errno))


def make(kind, phase, url, message, status, errno):
    """The exception aiohttp raises for asyncio-http's error ``kind`` (``dns``, ``connect``,
    ``timeout_total``, ...) in ``phase`` (``"request"`` or ``"body"``)."""
    if kind == "timeout_total":
        return TimeoutError()
    if kind in ("timeout_connect", "timeout_sock_connect"):
        return ConnectionTimeoutError(f"Connection timeout to host {url}")
    if kind == "timeout_sock_read":
        return SocketTimeoutError("Timeout on reading data from socket")
    if kind == "invalid_url":
        if "scheme" in message:
            return NonHttpUrlClientError(url)
        return InvalidUrlClientError(url, message)
    if kind == "dns":
        return ClientConnectorDNSError(_key(url), _os_error(errno, message))
    if kind == "connect":
        return ClientConnectorError(_key(url), _os_error(errno, message))
    if kind == "tls":
        if "certificate" in message.lower():
            return ClientConnectorCertificateError(
                _key(url), ssl.CertificateError(message)
            )
        return ClientConnectorSSLError(_key(url), _os_error(errno, message))
    if kind == "too_many_redirects":
        return TooManyRedirects(None, (), message=message)
    if kind in ("body_too_large", "decode"):
        return ClientPayloadError(message)
    if kind == "protocol":
        if phase == "body":
            return ClientPayloadError(f"Response payload is not completed: {message}")
        if "reset" in message:
            return ClientOSError(104, message)
        if "closed" in message or "incomplete" in message:
            return ServerDisconnectedError(message)
        return ClientResponseError(None, (), status=400, message=message)
    if kind == "proxy":
        if status is not None:
            return ClientHttpProxyError(None, (), status=status, message=message)
        return ClientProxyConnectionError(_key(url, True), _os_error(errno, message))
    if kind == "websocket":
        return WSServerHandshakeError(None, (), status=status, message=message)
    if kind == "status":
        return ClientResponseError(None, (), status=status, message=message)
    return ClientError(message)
