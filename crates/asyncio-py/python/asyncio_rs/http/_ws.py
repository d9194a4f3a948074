"""``ws_connect``: aiohttp's client WebSocket (``ClientWebSocketResponse``, ``WSMsgType``,
``WSMessage``) on asyncio-http's, whose socket one Rust task drives."""

import asyncio
import enum
import json as _json
from collections import namedtuple

from ._exceptions import ClientConnectionResetError, WSServerHandshakeError

__all__ = ["ClientWebSocketResponse", "WSCloseCode", "WSMessage", "WSMsgType"]


class WSMsgType(enum.IntEnum):
    """A message's kind, with aiohttp's numbers."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    PING = 0x9
    PONG = 0xA
    CLOSE = 0x8
    CLOSING = 0x100
    CLOSED = 0x101
    ERROR = 0x102


class WSCloseCode(enum.IntEnum):
    """Close codes (RFC 6455)."""

    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    ABNORMAL_CLOSURE = 1006
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


class WSMessage(namedtuple("WSMessage", "type data extra")):
    """A received message: its type, its data (or close code, or exception), and extra (the
    close reason)."""

    def json(self, *, loads=_json.loads):
        return loads(self.data)


WS_CLOSED_MESSAGE = WSMessage(WSMsgType.CLOSED, None, None)


class ClientWebSocketResponse:
    """A client WebSocket (aiohttp's ``ClientWebSocketResponse``)."""

    def __init__(self, core, loop, receive_timeout, autoclose):
        self._core = core
        self._loop = loop
        self._receive_timeout = receive_timeout
        self._autoclose = autoclose
        self._closing = False
        self._exception = None

    @property
    def closed(self):
        return self._closing or self._core.ended

    @property
    def close_code(self):
        return self._core.close_code

    @property
    def protocol(self):
        return self._core.protocol

    def exception(self):
        return self._exception

    async def _command(self, start, *args):
        fut = self._loop.create_future()
        start(fut, *args)
        try:
            return await fut
        except ConnectionResetError as e:
            raise ClientConnectionResetError(str(e)) from None

    async def send_str(self, data, compress=None):
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        _no_compress(compress)
        await self._command(self._core.send_str, data)

    async def send_bytes(self, data, compress=None):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        _no_compress(compress)
        await self._command(self._core.send_bytes, bytes(data))

    async def send_json(self, data, compress=None, *, dumps=_json.dumps):
        await self.send_str(dumps(data), compress=compress)

    async def ping(self, message=b""):
        await self._command(self._core.ping, bytes(message), False)

    async def pong(self, message=b""):
        await self._command(self._core.ping, bytes(message), True)

    async def close(self, *, code=WSCloseCode.OK, message=b""):
        """Sends a close frame and waits for the peer's; ``True`` if this call closed it."""
        if self._closing and self._core.ended:
            return False
        self._closing = True
        if isinstance(message, str):
            message = message.encode()
        return await self._command(
            self._core.close, int(code), message.decode("utf-8", "replace")
        )

    async def receive(self, timeout=None):
        """The next message: data, a ping or pong (with autoping off), ``CLOSE`` with the
        peer's code, then ``CLOSED``; ``ERROR`` with the exception when the connection broke."""
        timeout = self._receive_timeout if timeout is None else timeout
        core = self._core
        item = core.next_message()
        if item is None:
            fut = self._loop.create_future()
            core.wait(fut)
            try:
                if timeout is not None:
                    await asyncio.wait_for(fut, timeout)
                else:
                    await fut
            except BaseException:
                core.unwait()
                raise
            item = core.next_message()
        kind, data, extra = item
        msg = WSMessage(WSMsgType(kind), data, extra)
        if msg.type is WSMsgType.ERROR:
            self._exception = data
        elif msg.type is WSMsgType.CLOSE:
            self._closing = True
        return msg

    async def receive_str(self, *, timeout=None):
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.TEXT:
            raise TypeError(
                f"Received message {msg.type}:{msg.data!r} is not WSMsgType.TEXT"
            )
        return msg.data

    async def receive_bytes(self, *, timeout=None):
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.BINARY:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not bytes")
        return msg.data

    async def receive_json(self, *, loads=_json.loads, timeout=None):
        return loads(await self.receive_str(timeout=timeout))

    def __aiter__(self):
        return self

    async def __anext__(self):
        msg = await self.receive()
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            raise StopAsyncIteration
        return msg

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, tb):
        await self.close()


def _no_compress(compress):
    if compress:
        raise NotImplementedError(
            "asyncio_rs.http: WebSocket compression is not supported"
        )


_UNSUPPORTED = {
    "method": "GET",
    "autoclose": True,
    "origin": None,
    "compress": 0,
    "proxy_auth": None,
    "proxy_headers": None,
    "auth": None,
    "verify_ssl": None,
    "fingerprint": None,
    "ssl_context": None,
    "decode_text": True,
}


async def connect(
    session,
    url,
    *,
    protocols=(),
    timeout=None,
    receive_timeout=None,
    autoping=True,
    heartbeat=None,
    params=None,
    headers=None,
    proxy=None,
    ssl=True,
    max_msg_size=4 * 1024 * 1024,
    **unsupported,
):
    from ._client import _header_pairs, _param_pairs, _refuse
    from ._options import _verifies

    _refuse("ws_connect", unsupported, _UNSUPPORTED)
    url = str(url)
    if params:
        from urllib.parse import urlencode

        url += ("&" if "?" in url else "?") + urlencode(_param_pairs(params))
    handshake = 10.0
    if timeout is not None:
        # aiohttp's ClientWSTimeout(ws_receive=, ws_close=) or a number (the close timeout).
        receive_timeout = getattr(timeout, "ws_receive", receive_timeout)
        if isinstance(timeout, (int, float)):
            handshake = float(timeout)
    loop = session._loop
    fut = loop.create_future()
    call = session._core.ws_connect(
        fut,
        url,
        list(protocols),
        _header_pairs(headers),
        heartbeat,
        autoping,
        max_msg_size,
        handshake,
        None if proxy is None else str(proxy),
        None if ssl is True else _verifies(ssl),
    )
    try:
        core = await fut
    except WSServerHandshakeError as e:
        if e.request_info is None:
            from ._options import RequestInfo
            from ._url import URL

            e.request_info = RequestInfo(URL(url), "GET", None, URL(url))
        raise
    except BaseException:
        call.cancel()
        raise
    return ClientWebSocketResponse(core, loop, receive_timeout, True)


class _WSRequestContextManager:
    """What ``ws_connect`` returns: await it, or use it with ``async with`` (which closes the
    socket at the end)."""

    __slots__ = ("_coro", "_ws")

    def __init__(self, coro):
        self._coro = coro
        self._ws = None

    def __await__(self):
        return self._coro.__await__()

    async def __aenter__(self):
        self._ws = await self._coro
        return self._ws

    async def __aexit__(self, exc_type, exc, tb):
        await self._ws.close()
