"""``ClientSession``: aiohttp's session on asyncio-http's pool, in Rust on the same loop."""

import asyncio
import io
import json as _json
import sys
from asyncio import Future as _Future
from collections.abc import AsyncIterable, Mapping

from .. import __version__
from .._core import HttpBodyPipe, HttpSession
from . import _exceptions
from ._exceptions import ClientResponseError, InvalidUrlClientError
from ._formdata import FormData
from ._multidict import CIMultiDict, CIMultiDictProxy
from ._options import (
    DEFAULT_TIMEOUT,
    BasicAuth,
    ClientTimeout,
    DummyCookieJar,
    RequestInfo,
    TCPConnector,
    _verifies,
)
from ._response import ClientResponse
from ._url import URL

__all__ = ["ClientSession", "request"]

_SENTINEL = object()
USER_AGENT = (
    f"Python/{sys.version_info[0]}.{sys.version_info[1]} asyncio_rs.http/{__version__}"
)

# Arguments aiohttp accepts that this client does not implement: given anything but their
# default, they raise NotImplementedError naming them (nothing is silently ignored).
_SESSION_UNSUPPORTED = {
    "skip_auto_headers": None,
    "version": None,
    "request_class": None,
    "response_class": None,
    "ws_response_class": None,
    "trace_configs": None,
    "read_bufsize": 2**16,
    "max_line_size": 8190,
    "max_field_size": 8190,
    "fallback_charset_resolver": None,
    "requote_redirect_url": True,
    "middlewares": (),
    "ssl_shutdown_timeout": None,
}
_REQUEST_UNSUPPORTED = {
    "skip_auto_headers": None,
    "compress": None,
    "chunked": None,
    "expect100": False,
    "read_until_eof": True,
    "proxy_headers": None,
    "trace_request_ctx": None,
    "read_bufsize": None,
    "max_line_size": None,
    "max_field_size": None,
    "server_hostname": None,
    "fingerprint": None,
    "auto_decompress": None,
    "middlewares": None,
}


def _refuse(where, given, table):
    for name, value in given.items():
        if name not in table:
            raise TypeError(f"{where}() got an unexpected keyword argument {name!r}")
        if value != table[name]:
            raise NotImplementedError(
                f"asyncio_rs.http: {where}({name}=...) is not supported"
            )


def _header_pairs(headers):
    if headers is None:
        return []
    if isinstance(headers, (CIMultiDictProxy, Mapping)):
        items = headers.items()
    else:
        items = headers
    return [(str(k), str(v)) for k, v in items]


def _param_pairs(params):
    if params is None:
        return []
    if isinstance(params, str):
        from urllib.parse import parse_qsl

        return parse_qsl(params, keep_blank_values=True)
    items = (
        params.items() if isinstance(params, (Mapping, CIMultiDictProxy)) else params
    )
    out = []
    for k, v in items:
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise TypeError(
                f"Invalid variable type: value should be str, int or float, got {v!r} "
                f"of type {type(v)}"
            )
        out.append((str(k), str(v)))
    return out


async def _pump(source, pipe, loop):
    """Writes an async iterator's chunks into a request body's pipe, waiting while the
    connection has not taken what is queued; a failing iterator aborts the request."""
    try:
        async for chunk in source:
            if pipe.gone:
                return  # the request is over (answered early, failed or cancelled)
            if isinstance(chunk, str):
                chunk = chunk.encode()
            room = _Future(loop=loop)
            if not pipe.write(room, bytes(chunk)):
                await room
    except BaseException:
        pipe.fail()
        raise
    pipe.finish()


def _failed(pump):
    return pump.done() and not pump.cancelled() and pump.exception() is not None


def _retrieved(task):
    # The pump's failure is raised by the request; here it is only marked as seen.
    if not task.cancelled():
        task.exception()


def _encode_body(data, json, json_serialize):
    """The body's bytes and the ``Content-Type`` it implies (``None``: none implied)."""
    if json is not None:
        if data is not None:
            raise ValueError(
                "data and json parameters can not be used at the same time"
            )
        return json_serialize(json).encode(), "application/json"
    if data is None:
        return None, None
    if isinstance(data, FormData):
        return data._encode()
    if isinstance(data, (dict, list, tuple)) and not isinstance(data, (bytes, str)):
        form = FormData(data)
        return form._encode()
    if isinstance(data, str):
        return data.encode(), "text/plain; charset=utf-8"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), "application/octet-stream"
    if isinstance(data, io.IOBase):
        body = data.read()
        if isinstance(body, str):
            return body.encode(), "text/plain; charset=utf-8"
        return body, "application/octet-stream"
    raise NotImplementedError(
        f"asyncio_rs.http: data of type {type(data).__name__} is not supported"
    )


class _Done:
    """An awaitable that is already done (``__aexit__`` has nothing to wait for)."""

    __slots__ = ()

    def __await__(self):
        return iter(())


_DONE = _Done()


class _RequestContextManager:
    """What ``session.get()`` returns: await it for the response, or use it with
    ``async with``, which releases the response at the end. The request's coroutine stores
    the response here for ``__aexit__``, so ``async with`` runs no coroutine of its own."""

    __slots__ = ("_coro", "_resp")

    def __init__(self):
        self._resp = None

    def __await__(self):
        return self._coro.__await__()

    def send(self, arg):
        return self._coro.send(arg)

    def throw(self, *args):
        return self._coro.throw(*args)

    def close(self):
        return self._coro.close()

    def __iter__(self):
        return self.__await__()

    def __aenter__(self):
        return self._coro

    def __aexit__(self, exc_type, exc, tb):
        self._resp.release()
        return _DONE


class ClientSession:
    """An HTTP client session (aiohttp's ``ClientSession``): one connection pool, default
    headers and cookies, timeouts, redirects and decompression — in Rust, on the loop."""

    def __init__(
        self,
        base_url=None,
        *,
        connector=None,
        loop=None,
        cookies=None,
        headers=None,
        proxy=None,
        proxy_auth=None,
        auth=None,
        json_serialize=_json.dumps,
        cookie_jar=None,
        conn_timeout=None,
        raise_for_status=False,
        connector_owner=True,
        auto_decompress=True,
        trust_env=False,
        timeout=_SENTINEL,
        read_timeout=_SENTINEL,
        **unsupported,
    ):
        _refuse("ClientSession", unsupported, _SESSION_UNSUPPORTED)
        if conn_timeout is not None or read_timeout is not _SENTINEL:
            raise NotImplementedError(
                "asyncio_rs.http: conn_timeout and read_timeout are not supported "
                "(use timeout=ClientTimeout(...))"
            )
        if cookie_jar is not None and not isinstance(cookie_jar, DummyCookieJar):
            raise NotImplementedError(
                "asyncio_rs.http: a cookie_jar other than DummyCookieJar is not supported "
                "(the session's own jar is used; see session.cookie_jar)"
            )
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = asyncio.get_event_loop()
        self._loop = loop
        connector = connector if connector is not None else TCPConnector()
        if timeout is _SENTINEL or timeout is None:
            timeout = DEFAULT_TIMEOUT
        if not isinstance(timeout, ClientTimeout):
            raise ValueError(  # noqa: TRY004 (aiohttp raises ValueError)
                f"timeout parameter cannot be of {type(timeout)} type"
            )
        self._timeout = timeout
        self._json_serialize = json_serialize
        self._raise_for_status = raise_for_status
        self._connector = connector
        if base_url is not None:
            base_url = str(base_url)
            if not base_url.endswith("/"):
                raise ValueError("base_url must end with a '/'")
        self._base_url = base_url
        default = [("User-Agent", USER_AGENT), ("Accept", "*/*")]
        self._headers = CIMultiDict(default)
        self._headers.update(_header_pairs(headers))
        if auth is not None:
            if not isinstance(auth, BasicAuth):
                raise TypeError("auth must be a BasicAuth")
            self._headers["Authorization"] = auth.encode()
        self._proxy = str(proxy) if proxy is not None else None
        if proxy_auth is not None:
            self._proxy = _with_credentials(self._proxy, proxy_auth)
        self._core = HttpSession(
            loop,
            _exceptions.make,
            base_url=base_url,
            headers=list(self._headers.items()),
            timeout=timeout._core(),
            limit=connector.limit,
            limit_per_host=connector.limit_per_host,
            ttl_dns_cache=connector._ttl_dns_cache,
            keepalive_timeout=connector._keepalive_timeout,
            verify_ssl=connector._verify,
            cookies=cookie_jar is None,
            auto_decompress=auto_decompress,
            trust_env=trust_env,
            proxy=self._proxy,
        )
        self.cookie_jar = _CookieJar(self._core) if cookie_jar is None else cookie_jar
        self._shared_cookies = []
        if cookies and cookie_jar is None:
            self.cookie_jar.update_cookies(cookies)
            self._shared_cookies = self.cookie_jar._shared

    # ----- requests ---------------------------------------------------------------------

    def request(self, method, url, **kwargs):
        """A request with any method."""
        cm = _RequestContextManager()
        cm._coro = self._request(method, url, cm, **kwargs)
        return cm

    def get(self, url, *, allow_redirects=True, **kwargs):
        cm = _RequestContextManager()
        cm._coro = self._request(
            "GET", url, cm, allow_redirects=allow_redirects, **kwargs
        )
        return cm

    def options(self, url, *, allow_redirects=True, **kwargs):
        return self.request("OPTIONS", url, allow_redirects=allow_redirects, **kwargs)

    def head(self, url, *, allow_redirects=False, **kwargs):
        return self.request("HEAD", url, allow_redirects=allow_redirects, **kwargs)

    def post(self, url, *, data=None, **kwargs):
        return self.request("POST", url, data=data, **kwargs)

    def put(self, url, *, data=None, **kwargs):
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url, *, data=None, **kwargs):
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)

    async def _request(
        self,
        method,
        str_or_url,
        _cm=None,
        *,
        params=None,
        data=None,
        json=None,
        cookies=None,
        headers=None,
        auth=None,
        allow_redirects=True,
        max_redirects=10,
        raise_for_status=None,
        proxy=None,
        proxy_auth=None,
        timeout=_SENTINEL,
        ssl=True,
        verify_ssl=None,
        ssl_context=None,
        **unsupported,
    ):
        url = str_or_url if type(str_or_url) is str else str(str_or_url)
        fut = _Future(loop=self._loop)
        if (
            data is None
            and json is None
            and headers is None
            and params is None
            and cookies is None
            and auth is None
            and proxy is None
            and ssl is True
            and timeout is _SENTINEL
            and verify_ssl is None
            and ssl_context is None
            and not unsupported
            and not self._shared_cookies
        ):
            # The common request: nothing to encode or merge.
            call = self._core.request(
                fut, method, url, None, None, None, allow_redirects, max_redirects
            )
            pump = None
        else:
            call, pump = self._start(
                fut, method, url, params, data, json, cookies, headers, auth,
                allow_redirects, max_redirects, proxy, proxy_auth, timeout, ssl,
                verify_ssl, ssl_context, unsupported,
            )  # fmt: skip
        try:
            resp_core = await fut
        except ClientResponseError as e:
            if pump is not None and _failed(pump):
                # The body's iterator failed (and aborted the request): that is the cause.
                raise pump.exception() from e
            if e.request_info is None:
                e.request_info = RequestInfo(
                    URL(url), method, CIMultiDictProxy(_header_pairs(headers)), URL(url)
                )
            raise
        except BaseException as e:
            call.cancel()
            if pump is not None:
                if _failed(pump):
                    raise pump.exception() from e
                pump.cancel()
            raise
        resp = ClientResponse(resp_core, method, url, self._loop)
        check = self._raise_for_status if raise_for_status is None else raise_for_status
        if check is True:
            resp.raise_for_status()
        elif check:
            await check(resp)
        if _cm is not None:
            _cm._resp = resp
        return resp

    def _start(
        self, fut, method, url, params, data, json, cookies, headers, auth,
        allow_redirects, max_redirects, proxy, proxy_auth, timeout, ssl, verify_ssl,
        ssl_context, unsupported,
    ):  # fmt: skip
        """Starts a request with options (its body encoded, its headers merged); returns the
        call and the task writing a streamed body (``None`` without one)."""
        if unsupported:
            _refuse("request", unsupported, _REQUEST_UNSUPPORTED)
        if not url:
            raise InvalidUrlClientError(url)
        pipe = None
        if isinstance(data, AsyncIterable):
            # Streamed as the iterator yields, with chunked encoding, as aiohttp sends it.
            pipe = HttpBodyPipe(self._loop)
            body, implied_type = None, "application/octet-stream"
        else:
            body, implied_type = _encode_body(data, json, self._json_serialize)
        pairs = _header_pairs(headers)
        if auth is not None:
            if not isinstance(auth, BasicAuth):
                raise TypeError("auth must be a BasicAuth")
            pairs.append(("Authorization", auth.encode()))
        if implied_type is not None and not any(
            k.lower() == "content-type" for k, _ in pairs
        ):
            pairs.append(("Content-Type", implied_type))
        if proxy is not None:
            proxy = str(proxy)
            if proxy_auth is not None:
                proxy = _with_credentials(proxy, proxy_auth)
        verify = None
        if ssl is not True or verify_ssl is not None or ssl_context is not None:
            verify = _verifies(ssl if ssl_context is None else ssl_context)
            if verify_ssl is False:
                verify = False
        if timeout is _SENTINEL or timeout is None:
            core_timeout = None
        elif isinstance(timeout, ClientTimeout):
            core_timeout = timeout._core()
        else:
            raise ValueError(f"timeout parameter cannot be of {type(timeout)} type")
        call = self._core.request(
            fut,
            method,
            url,
            pairs,
            body,
            _param_pairs(params),
            allow_redirects,
            max_redirects,
            core_timeout,
            proxy,
            verify,
            self._shared_cookies + _cookie_pairs(cookies),
            pipe,
        )
        if pipe is None:
            return call, None
        pump = asyncio.ensure_future(_pump(data, pipe, self._loop), loop=self._loop)
        pump.add_done_callback(_retrieved)
        return call, pump

    # ----- WebSockets (see _ws.py) ------------------------------------------------------

    def ws_connect(self, url, **kwargs):
        """Opens a WebSocket (``async with session.ws_connect(url) as ws``)."""
        from ._ws import _WSRequestContextManager, connect

        return _WSRequestContextManager(connect(self, url, **kwargs))

    # ----- the session itself -----------------------------------------------------------

    @property
    def closed(self):
        return self._core.closed

    @property
    def connector(self):
        return self._connector

    @property
    def timeout(self):
        return self._timeout

    @property
    def headers(self):
        return self._headers

    @property
    def loop(self):
        return self._loop

    async def close(self):
        """Closes the pool (idle connections now, others when their response ends)."""
        self._core.close()
        await self._connector.close()

    def detach(self):
        raise NotImplementedError(
            "asyncio_rs.http: ClientSession.detach() is not supported"
        )

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, tb):
        await self.close()


def _with_credentials(proxy, proxy_auth):
    from urllib.parse import quote, urlsplit, urlunsplit

    p = urlsplit(proxy)
    creds = f"{quote(proxy_auth.login, safe='')}:{quote(proxy_auth.password, safe='')}@"
    host = p.netloc.rpartition("@")[2]
    return urlunsplit((p.scheme, creds + host, p.path, p.query, p.fragment))


def _cookie_pairs(cookies):
    if not cookies:
        return []
    items = cookies.items() if isinstance(cookies, Mapping) else cookies
    out = []
    for k, v in items:
        value = getattr(v, "value", v)  # a Morsel
        out.append((str(k), str(value)))
    return out


class _CookieJar:
    """``session.cookie_jar``: the Rust session's jar, seen from Python."""

    def __init__(self, core):
        self._core = core
        # Cookies given without a URL (``ClientSession(cookies=...)``) go with every request.
        self._shared = []

    def _cookies(self):
        from http.cookies import Morsel

        out = []
        for line in self._core.cookies_text().splitlines():
            if not line or (line.startswith("#") and not line.startswith("#HttpOnly_")):
                continue
            fields = line.split("\t")
            if len(fields) != 7:
                continue
            domain, _, path, secure, _expires, name, value = fields
            http_only = domain.startswith("#HttpOnly_")
            domain = domain.removeprefix("#HttpOnly_").lstrip(".")
            m = Morsel()
            m.set(name, value, value)
            m["domain"] = domain
            m["path"] = path
            if secure == "TRUE":
                m["secure"] = True
            if http_only:
                m["httponly"] = True
            out.append(m)
        return out

    def __iter__(self):
        return iter(self._cookies())

    def __len__(self):
        return len(self._cookies())

    def filter_cookies(self, request_url):
        """The cookies that would go to ``request_url`` (a ``SimpleCookie``)."""
        from http.cookies import SimpleCookie

        jar = SimpleCookie()
        header = self._core.cookie_header(str(request_url))
        if header:
            for pair in header.split("; "):
                name, _, value = pair.partition("=")
                jar[name] = value
        return jar

    def update_cookies(self, cookies, response_url=None):
        """Adds cookies (a dict, pairs, or a ``SimpleCookie``) as if ``response_url`` set
        them (without one, for every host)."""
        from http.cookies import Morsel

        url = str(response_url) if response_url else None
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        for name, value in items:
            if isinstance(value, Morsel):
                header = value.OutputString()
            else:
                header = f"{name}={value}"
            if url is None:
                self._shared.append((str(name), str(getattr(value, "value", value))))
                continue
            self._core.set_cookie(header, url)

    def clear(self, predicate=None):
        if predicate is not None:
            raise NotImplementedError(
                "asyncio_rs.http: cookie_jar.clear(predicate) is not supported"
            )
        self._core.clear_cookies()


async def _close_after(session, coro):
    try:
        return await coro
    except BaseException:
        await session.close()
        raise


class _SessionRequestContextManager:
    """What the module's ``request()`` returns: a response whose session closes with it."""

    __slots__ = ("_coro", "_resp", "_session")

    def __init__(self, coro, session):
        self._coro = coro
        self._session = session
        self._resp = None

    def __await__(self):
        return _close_after(self._session, self._coro).__await__()

    async def __aenter__(self):
        self._resp = await _close_after(self._session, self._coro)
        return self._resp

    async def __aexit__(self, exc_type, exc, tb):
        self._resp.release()
        await self._session.close()


def request(
    method,
    url,
    *,
    params=None,
    data=None,
    json=None,
    headers=None,
    cookies=None,
    auth=None,
    allow_redirects=True,
    max_redirects=10,
    timeout=_SENTINEL,
    connector=None,
    proxy=None,
    ssl=True,
    **kwargs,
):
    """One request in a session of its own (aiohttp's ``aiohttp.request``)."""
    session = ClientSession(
        connector=connector,
        cookies=cookies,
        timeout=timeout if timeout is not _SENTINEL else None,
    )
    coro = session._request(
        method,
        url,
        params=params,
        data=data,
        json=json,
        headers=headers,
        auth=auth,
        allow_redirects=allow_redirects,
        max_redirects=max_redirects,
        proxy=proxy,
        ssl=ssl,
        **kwargs,
    )
    return _SessionRequestContextManager(coro, session)
