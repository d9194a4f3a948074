"""``ClientResponse`` and its ``content`` stream, on the Rust core's ``HttpResponse``: the body
is read ahead into a buffer in Rust; Python takes from it and waits on a future only when what it
asks for has not arrived yet."""

import asyncio
import codecs
import json as _json

from ._exceptions import (
    ClientConnectionError,
    ClientResponseError,
    ContentTypeError,
)
from ._multidict import CIMultiDictProxy
from ._options import HttpVersion, RequestInfo
from ._url import URL

__all__ = ["ClientResponse", "StreamReader"]

# Python's encoding of what the core waits for.
_ANY, _WHOLE, _LINE = 0, -1, -2


class StreamReader:
    """``response.content``: the body as a stream (aiohttp's ``StreamReader``)."""

    __slots__ = ("_resp",)

    def __init__(self, resp):
        self._resp = resp

    async def read(self, n=-1):
        """Up to ``n`` bytes (``-1``: the rest of the body); ``b""`` at the end."""
        resp = self._resp
        if n == 0:
            return b""
        if n < 0:
            await resp._wait(_WHOLE)
            return resp._core.take(-1)
        await resp._wait(_ANY)
        return resp._core.take(n)

    async def readany(self):
        """The next chunk, as it arrived."""
        await self._resp._wait(_ANY)
        return self._resp._core.take_chunk()

    async def readline(self):
        """Up to and including the next ``\\n`` (or the rest, at the end)."""
        await self._resp._wait(_LINE)
        return self._resp._core.take_line()

    async def readexactly(self, n):
        """Exactly ``n`` bytes; ``asyncio.IncompleteReadError`` if the body ends first."""
        await self._resp._wait(n)
        data = self._resp._core.take(n)
        if len(data) < n:
            raise asyncio.IncompleteReadError(data, n)
        return data

    async def readchunk(self):
        """``(chunk, end_of_http_chunk)``, as aiohttp's: here each chunk counts as whole."""
        data = await self.readany()
        return data, bool(data)

    def at_eof(self):
        """Whether the body ended and every byte was read."""
        return self._resp._core.at_eof()

    is_eof = at_eof

    async def iter_chunked(self, n):
        """Chunks of at most ``n`` bytes."""
        while True:
            chunk = await self.read(n)
            if not chunk:
                return
            yield chunk

    async def iter_any(self):
        """Chunks as they arrive."""
        while True:
            chunk = await self.readany()
            if not chunk:
                return
            yield chunk

    async def iter_chunks(self):
        """``(chunk, end_of_http_chunk)`` pairs."""
        while True:
            chunk = await self.readany()
            if not chunk:
                return
            yield chunk, True

    def __aiter__(self):
        return self._lines()

    async def _lines(self):
        while True:
            line = await self.readline()
            if not line:
                return
            yield line

    def total_bytes(self):
        raise NotImplementedError(
            "asyncio_rs.http: StreamReader.total_bytes is not supported"
        )


class _Redirect:
    """A response in ``history``: the redirect's status line and headers (its body is not
    kept)."""

    __slots__ = ("headers", "method", "real_url", "reason", "status", "url")

    def __init__(self, url, status, headers, method):
        from http import HTTPStatus

        self.real_url = URL(url)
        self.url = self.real_url
        self.status = status
        try:
            self.reason = HTTPStatus(status).phrase
        except ValueError:
            self.reason = ""
        self.headers = CIMultiDictProxy(headers)
        self.method = method

    @property
    def ok(self):
        return self.status < 400

    def __repr__(self):
        return f"<ClientResponse({self.url}) [{self.status} {self.reason}]>"


class ClientResponse:
    """A response (aiohttp's ``ClientResponse``)."""

    __slots__ = (
        "_asked",
        "_body",
        "_content",
        "_cookies",
        "_core",
        "_headers",
        "_history",
        "_loop",
        "_released",
        "_url",
        "method",
        "status",
    )

    def __init__(self, core, method, asked, loop):
        self._core = core
        self._loop = loop
        self._body = None
        self._headers = None
        self._released = False
        self._content = None
        self._url = None
        self._history = None
        self._cookies = None
        self.status = core.status
        self.method = method
        self._asked = asked

    @property
    def request_info(self):
        """The request as asked: its URL and method (its headers are not kept)."""
        url = URL(self._asked)
        return RequestInfo(url, self.method, CIMultiDictProxy(), url)

    # ----- the status line and headers --------------------------------------------------

    @property
    def reason(self):
        return self._core.reason

    @property
    def version(self):
        return HttpVersion(*self._core.version)

    @property
    def ok(self):
        return self.status < 400

    @property
    def real_url(self):
        if self._url is None:
            self._url = URL(self._core.url)
        return self._url

    @property
    def url(self):
        u = self.real_url
        return u.with_fragment(None) if "#" in u else u

    @property
    def host(self):
        return self.real_url.host

    @property
    def headers(self):
        if self._headers is None:
            self._headers = CIMultiDictProxy(self._core.headers())
        return self._headers

    @property
    def raw_headers(self):
        return tuple(
            (k.encode("utf-8"), v.encode("utf-8", "surrogateescape"))
            for k, v in self._core.headers()
        )

    @property
    def history(self):
        if self._history is None:
            self._history = tuple(
                _Redirect(url, status, headers, self.method)
                for url, status, headers in self._core.history()
            )
        return self._history

    @property
    def cookies(self):
        """The cookies this response set (its ``Set-Cookie`` headers)."""
        if self._cookies is None:
            from http.cookies import CookieError, SimpleCookie

            jar = SimpleCookie()
            for header in self.headers.getall("Set-Cookie", ()):
                try:
                    jar.load(header)
                except CookieError:
                    pass
            self._cookies = jar
        return self._cookies

    def _content_type_parts(self):
        raw = self.headers.get("Content-Type")
        if raw is None:
            return "application/octet-stream", {}
        mime, _, rest = raw.partition(";")
        params = {}
        for p in rest.split(";"):
            k, eq, v = p.strip().partition("=")
            if eq:
                params[k.strip().lower()] = v.strip().strip('"')
        return mime.strip().lower(), params

    @property
    def content_type(self):
        return self._content_type_parts()[0]

    @property
    def charset(self):
        return self._content_type_parts()[1].get("charset")

    @property
    def content_length(self):
        value = self.headers.get("Content-Length")
        return int(value) if value is not None else None

    @property
    def content(self):
        if self._content is None:
            self._content = StreamReader(self)
        return self._content

    # ----- the body ---------------------------------------------------------------------

    async def _wait(self, n):
        if self._released and not self._core.complete():
            raise ClientConnectionError("Connection closed")
        core = self._core
        if core.ready(n):
            return
        fut = self._loop.create_future()
        core.wait(fut, n)
        try:
            await fut
        except BaseException:
            core.unwait()
            raise
        if self._released and not core.complete():
            raise ClientConnectionError("Connection closed")

    async def read(self):
        """The whole body (kept: later calls return it again)."""
        if self._body is None:
            body = self._core.take_whole()
            if body is None:
                await self._wait(_WHOLE)
                body = self._core.take_whole()
            elif self._released and not self._core.complete():
                raise ClientConnectionError("Connection closed")
            self._body = body
        return self._body

    def get_encoding(self):
        charset = self.charset
        if charset:
            try:
                codecs.lookup(charset)
            except LookupError:
                return "utf-8"
            return charset
        mime = self.content_type
        if mime == "application/json" or mime.endswith("+json"):
            return "utf-8"
        return "utf-8"

    async def text(self, encoding=None, errors="strict"):
        """The body decoded: ``encoding``, else the ``Content-Type``'s charset, else UTF-8."""
        body = await self.read()
        return body.decode(encoding or self.get_encoding(), errors=errors)

    async def json(
        self, *, encoding=None, loads=_json.loads, content_type="application/json"
    ):
        """The body parsed as JSON (``None`` for an empty body). A ``Content-Type`` other
        than ``content_type`` raises ``ContentTypeError`` (``content_type=None`` skips the
        check)."""
        body = await self.read()
        if content_type:
            mime = self.content_type
            if not (
                mime == content_type
                or (content_type == "application/json" and mime.endswith("+json"))
            ):
                raise ContentTypeError(
                    self.request_info,
                    self.history,
                    status=self.status,
                    message=f"Attempt to decode JSON with unexpected mimetype: {mime}",
                    headers=self.headers,
                )
        if not body.strip():
            return None
        return loads(body.decode(encoding or self.get_encoding()))

    def raise_for_status(self):
        """``ClientResponseError`` for a status of 400 or more."""
        if self.status >= 400:
            self.release()
            raise ClientResponseError(
                self.request_info,
                self.history,
                status=self.status,
                message=self.reason,
                headers=self.headers,
            )

    def release(self):
        """Lets go of the connection: back to the pool if the body was read to its end,
        closed otherwise."""
        if not self._released:
            self._released = True
            self._core.release()

    def close(self):
        """Closes the connection (unless the body was read to its end)."""
        self.release()

    @property
    def closed(self):
        return self._released or self._core.complete()

    async def wait_for_close(self):
        self.release()

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, tb):
        self.release()

    def __repr__(self):
        return f"<ClientResponse({self.url}) [{self.status} {self.reason}]>"
