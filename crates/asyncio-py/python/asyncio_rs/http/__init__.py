"""asyncio_rs.http: aiohttp's client API on asyncio-http, in Rust, on the same event loop.

    import asyncio_rs
    import asyncio_rs.http as aiohttp

    async def main():
        async with aiohttp.ClientSession() as session:
            async with session.get("http://127.0.0.1:8080/") as resp:
                print(resp.status, await resp.text())

    asyncio_rs.run(main())

It runs on asyncio_rs's loop only (``asyncio_rs.run``, or ``asyncio_rs.install()`` before
``asyncio.run``); a session made on any other loop raises ``TypeError``. What it supports, next
to aiohttp's API, is listed in ``docs/python.md``; anything else raises ``NotImplementedError``
naming it.
"""

from ._client import ClientSession, request
from ._exceptions import (
    ClientConnectionError,
    ClientConnectionResetError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientError,
    ClientHttpProxyError,
    ClientOSError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientResponseError,
    ClientSSLError,
    ConnectionTimeoutError,
    ContentTypeError,
    InvalidURL,
    InvalidUrlClientError,
    NonHttpUrlClientError,
    ServerConnectionError,
    ServerDisconnectedError,
    ServerTimeoutError,
    SocketTimeoutError,
    TooManyRedirects,
    WSServerHandshakeError,
)
from ._formdata import FormData
from ._multidict import CIMultiDict, CIMultiDictProxy
from ._options import (
    BasicAuth,
    ClientTimeout,
    DummyCookieJar,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RequestInfo,
    TCPConnector,
)
from ._response import ClientResponse, StreamReader
from ._url import URL
from ._ws import ClientWebSocketResponse, WSCloseCode, WSMessage, WSMsgType

__all__ = [
    "URL",
    "BasicAuth",
    "CIMultiDict",
    "CIMultiDictProxy",
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
    "ClientResponse",
    "ClientResponseError",
    "ClientSSLError",
    "ClientSession",
    "ClientTimeout",
    "ClientWebSocketResponse",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "DummyCookieJar",
    "FormData",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "InvalidURL",
    "InvalidUrlClientError",
    "NonHttpUrlClientError",
    "RequestInfo",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "StreamReader",
    "TCPConnector",
    "TooManyRedirects",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WSServerHandshakeError",
    "request",
]


def __getattr__(name):
    # aiohttp's names outside the subset: a clear error rather than an AttributeError.
    if name in (
        "web",
        "TraceConfig",
        "UnixConnector",
        "NamedPipeConnector",
        "CookieJar",
        "MultipartWriter",
        "StreamResponse",
        "hdrs",
        "payload",
    ):
        raise NotImplementedError(
            f"asyncio_rs.http.{name} is not supported (use aiohttp)"
        )
    raise AttributeError(f"module 'asyncio_rs.http' has no attribute {name!r}")
