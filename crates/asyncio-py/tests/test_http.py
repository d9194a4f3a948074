"""asyncio_rs.http against real peers: the same requests through aiohttp and through
asyncio_rs.http give the same results, statuses and error types; cancelling a request gives
its connection back or closes it; 10,000 requests leak no descriptor and no memory.

The peer is an aiohttp server (``http_peer.py``) in a child process. Outside CI a missing aiohttp
(or brotli, for the ``br`` case) is a skip with a message; CI installs them.
"""

import asyncio
import gc
import os
import pathlib
import socket
import subprocess
import sys
import unittest

import asyncio_rs
import asyncio_rs.http as rs_http
from asyncio_rs import _core

try:
    import aiohttp
except ImportError:
    aiohttp = None

HERE = pathlib.Path(__file__).parent


def need(module):
    """Skips the test (fails it under CI) when ``module`` is missing."""
    try:
        __import__(module)
    except ImportError:
        if os.environ.get("CI"):
            raise AssertionError(f"{module} is missing, which CI installs") from None
        raise unittest.SkipTest(
            f"{module} is not installed (pip install {module})"
        ) from None


class Peer:
    """The aiohttp server, in a child process."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "http_peer.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        port = self.proc.stdout.readline().strip()
        if not port:
            self.proc.kill()
            raise RuntimeError("the aiohttp peer did not start")
        self.base = f"http://127.0.0.1:{int(port)}"

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


def closed_port():
    """A loopback port nothing listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def open_fds():
    """What the process's descriptors point at (the listing's own one left out)."""
    gc.collect()
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            out.append(os.readlink(f"/proc/self/fd/{fd}"))
        except FileNotFoundError:
            pass
    return sorted(out)


async def settled_fds(want):
    """The descriptors once the loop has run what closing a session scheduled (sockets close
    as their tasks are cancelled, on the next iterations): up to 100 iterations, no timer."""
    for _ in range(100):
        now = open_fds()
        if now == want:
            break
        await asyncio.sleep(0)
    return now


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ----- the matrix: each case runs with `lib` as aiohttp or asyncio_rs.http ------------------


async def case_text(lib, s, base):
    async with s.get(f"{base}/text") as r:
        return r.status, r.reason, await r.text(), r.content_type, r.charset, r.ok


async def case_page_bytes(lib, s, base):
    async with s.get(f"{base}/page") as r:
        return r.status, await r.read(), r.headers["Content-Length"], r.content_length


async def case_awaited_not_with(lib, s, base):
    r = await s.get(f"{base}/page")
    body = await r.read()
    r.release()
    return r.status, len(body)


async def case_redirects(lib, s, base):
    async with s.get(f"{base}/redirect/3") as r:
        return (
            r.status,
            str(r.url),
            [h.status for h in r.history],
            [str(h.url) for h in r.history],
            await r.text(),
        )


async def case_too_many_redirects(lib, s, base):
    async with s.get(f"{base}/redirect/5", max_redirects=2) as r:
        return r.status


async def case_redirect_loop(lib, s, base):
    async with s.get(f"{base}/loop") as r:
        return r.status


async def case_no_redirects(lib, s, base):
    async with s.get(f"{base}/redirect/1", allow_redirects=False) as r:
        return r.status, r.headers["Location"], len(r.history)


async def case_see_other_post(lib, s, base):
    async with s.post(f"{base}/see-other", data=b"payload") as r:
        j = await r.json()
        return r.status, j["method"], j["path"], j["body"]


async def case_gzip(lib, s, base):
    async with s.get(f"{base}/gzip") as r:
        return r.status, await r.read()


async def case_deflate(lib, s, base):
    async with s.get(f"{base}/deflate") as r:
        return r.status, await r.read()


async def case_brotli(lib, s, base):
    async with s.get(f"{base}/br") as r:
        return r.status, await r.read()


async def case_chunked(lib, s, base):
    async with s.get(f"{base}/chunked") as r:
        return r.status, await r.text(), r.headers.get("Transfer-Encoding")


async def case_204(lib, s, base):
    async with s.get(f"{base}/status/204") as r:
        return r.status, await r.read()


async def case_304(lib, s, base):
    async with s.get(f"{base}/status/304") as r:
        return r.status, await r.read()


async def case_404(lib, s, base):
    async with s.get(f"{base}/status/404") as r:
        return r.status, r.ok, r.reason, await r.text()


async def case_raise_for_status(lib, s, base):
    async with s.get(f"{base}/status/500") as r:
        try:
            r.raise_for_status()
        except lib.ClientResponseError as e:
            return "raised", e.status, e.message, str(e.request_info.real_url)
        return "not raised"


async def case_session_raise_for_status(lib, s, base):
    async with (
        lib.ClientSession(raise_for_status=True) as s2,
        s2.get(f"{base}/status/503") as r,
    ):
        return r.status


async def case_head(lib, s, base):
    async with s.head(f"{base}/page") as r:
        return r.status, await r.read(), r.headers["Content-Length"]


async def case_cookies(lib, s, base):
    # aiohttp's jar keeps no cookies from IP addresses: the peer is named here.
    base = base.replace("127.0.0.1", "localhost")
    async with s.get(f"{base}/set-cookie") as r:
        set_here = sorted((k, m.value) for k, m in r.cookies.items())
    async with s.get(f"{base}/echo") as r:
        seen = (await r.json())["cookies"]
    jar = sorted((m.key, m.value) for m in s.cookie_jar)
    return set_here, seen, jar, sorted(s.cookie_jar.filter_cookies(base).keys())


async def case_request_cookies(lib, s, base):
    async with s.get(f"{base}/echo", cookies={"one": "1"}) as r:
        return (await r.json())["cookies"]


async def case_session_cookies_and_headers(lib, s, base):
    async with (
        lib.ClientSession(cookies={"k": "v"}, headers={"X-Session": "s"}) as s2,
        s2.get(f"{base}/echo", headers={"X-Request": "r"}) as r,
    ):
        j = await r.json()
        return j["cookies"], j["headers"]["x-session"], j["headers"]["x-request"]


async def case_post_json(lib, s, base):
    async with s.post(f"{base}/echo", json={"x": [1, 2]}) as r:
        j = await r.json()
        return j["method"], j["headers"]["content-type"], j["body"]


async def case_post_form(lib, s, base):
    async with s.post(f"{base}/echo", data={"a": "1", "b": "two words"}) as r:
        j = await r.json()
        return j["headers"]["content-type"], j["body"]


async def case_post_bytes_and_str(lib, s, base):
    out = []
    for data in (b"\x00\x01raw", "t\u00e9xt"):
        async with s.put(f"{base}/echo", data=data) as r:
            j = await r.json()
            out.append((j["method"], j["headers"]["content-type"], j["body"]))
    return out


async def case_post_async_iterator(lib, s, base):
    async def gen():
        for i in range(5):
            yield b"part%d," % i

    async with s.post(f"{base}/echo", data=gen()) as r:
        j = await r.json()
        return j["body"], j["headers"].get("transfer-encoding")


async def case_post_large_stream(lib, s, base):
    # 4 MiB from a generator: streamed (the peer reads it as it comes), not collected first.
    async def gen():
        for i in range(64):
            yield bytes([i]) * 65536

    async with s.post(f"{base}/count", data=gen()) as r:
        return r.status, await r.json()


async def case_formdata_file(lib, s, base):
    form = lib.FormData()
    form.add_field("title", "hello")
    form.add_field(
        "upload",
        b"file contents\x00\xff",
        filename="a.bin",
        content_type="application/x-test",
    )
    async with s.post(f"{base}/form", data=form) as r:
        return r.status, await r.json()


async def case_params_and_methods(lib, s, base):
    out = []
    for method in ("get", "delete", "options", "patch"):
        async with getattr(s, method)(f"{base}/echo", params={"q": "a b", "n": 1}) as r:
            j = await r.json()
            out.append((j["method"], j["query"]))
    async with s.request("GET", f"{base}/echo", params=[("x", "1"), ("x", "2")]) as r:
        out.append((await r.json())["query"])
    return out


async def case_json(lib, s, base):
    async with s.get(f"{base}/json") as r:
        return await r.json()


async def case_bad_json(lib, s, base):
    async with s.get(f"{base}/bad-json") as r:
        return await r.json()


async def case_bad_json_unchecked(lib, s, base):
    async with s.get(f"{base}/bad-json") as r:
        return await r.json(content_type=None)


async def case_readline(lib, s, base):
    async with s.get(f"{base}/lines") as r:
        first = await r.content.readline()
        rest = [line async for line in r.content]
        return first, rest


async def case_iter_chunked(lib, s, base):
    async with s.get(f"{base}/big") as r:
        chunks = [c async for c in r.content.iter_chunked(1000)]
        return (
            len(b"".join(chunks)),
            max(len(c) for c in chunks) <= 1000,
            b"".join(chunks)[:600],
        )


async def case_iter_any_and_read_n(lib, s, base):
    async with s.get(f"{base}/big") as r:
        head = await r.content.readexactly(10)
        some = await r.content.read(5)
        rest = b"".join([c async for c in r.content.iter_any()])
        return (
            head,
            len(some) <= 5,
            len(head) + len(some) + len(rest),
            r.content.at_eof(),
        )


async def case_connection_refused(lib, s, base):
    async with s.get(f"http://127.0.0.1:{closed_port()}/") as r:
        return r.status


async def case_invalid_url(lib, s, base):
    async with s.get("http://") as r:
        return r.status


async def case_not_http(lib, s, base):
    async with s.get("ftp://127.0.0.1/x") as r:
        return r.status


async def case_sock_read_timeout(lib, s, base):
    async with s.get(f"{base}/slow", timeout=lib.ClientTimeout(sock_read=0.2)) as r:
        return await r.read()


async def case_total_timeout(lib, s, base):
    async with s.get(f"{base}/hang", timeout=lib.ClientTimeout(total=0.2)) as r:
        return r.status


async def case_truncated(lib, s, base):
    async with s.get(f"{base}/truncated") as r:
        return await r.read()


async def case_disconnected(lib, s, base):
    async with s.get(f"{base}/disconnect") as r:
        return r.status


async def case_websocket(lib, s, base):
    async with s.ws_connect(f"{base}/ws", protocols=("chat",)) as ws:
        await ws.send_str("hi")
        a = await ws.receive()
        await ws.send_bytes(b"abc")
        b = await ws.receive()
        await ws.send_json({"x": 1})
        c = await ws.receive_str()
        await ws.send_str("close")
        d = await ws.receive()
        e = await ws.receive()
        return (
            ws.protocol,
            (a.type.name, a.data),
            (b.type.name, b.data),
            c,
            (d.type.name, d.data, d.extra),
            e.type.name,
            ws.close_code,
            ws.closed,
        )


async def case_websocket_iterate_and_close(lib, s, base):
    ws = await s.ws_connect(f"{base}/ws")
    for i in range(3):
        await ws.send_str(str(i))
    got = []
    async for msg in ws:
        got.append(msg.data)
        if len(got) == 3:
            break
    closed_now = await ws.close()
    return got, closed_now, ws.closed, ws.close_code, await ws.close()


async def case_websocket_receive_timeout(lib, s, base):
    async with s.ws_connect(f"{base}/ws") as ws:
        await ws.receive(timeout=0.1)


async def case_websocket_refused(lib, s, base):
    async with s.ws_connect(f"{base}/text") as ws:
        return ws.protocol


async def case_module_request(lib, s, base):
    async with lib.request("GET", f"{base}/text") as r:
        return r.status, await r.text()


CASES = [v for k, v in sorted(globals().items()) if k.startswith("case_")]


def outcome(lib, case, base, run):
    """What the case gives: ``("ok", value)`` or ``("error", class name, timeout?)``."""

    async def go():
        async with lib.ClientSession() as s:
            try:
                return "ok", await case(lib, s, base)
            except Exception as e:  # noqa: BLE001
                return "error", type(e).__name__, isinstance(e, asyncio.TimeoutError)

    return run(go())


class Matrix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        need("aiohttp")
        cls.peer = Peer()

    @classmethod
    def tearDownClass(cls):
        cls.peer.stop()

    def test_each_request_gives_what_aiohttp_gives(self):
        for case in CASES:
            if case is case_brotli:
                try:
                    import brotli  # noqa: F401
                except ImportError:
                    if os.environ.get("CI"):
                        self.fail("brotli is missing, which CI installs")
                    print("skipped case_brotli: pip install brotli")
                    continue
            with self.subTest(case.__name__):
                theirs = outcome(aiohttp, case, self.peer.base, asyncio.run)
                ours = outcome(rs_http, case, self.peer.base, asyncio_rs.run)
                self.assertEqual(ours, theirs)

    def test_errors_are_the_ones_aiohttp_programs_catch(self):
        # Beyond equal names: the classes sit where aiohttp's do in the hierarchy.
        self.assertTrue(issubclass(rs_http.ClientConnectorError, rs_http.ClientOSError))
        self.assertTrue(issubclass(rs_http.ClientOSError, OSError))
        self.assertTrue(issubclass(rs_http.SocketTimeoutError, asyncio.TimeoutError))
        self.assertTrue(
            issubclass(rs_http.TooManyRedirects, rs_http.ClientResponseError)
        )
        self.assertTrue(issubclass(rs_http.InvalidURL, ValueError))

        async def go():
            async with rs_http.ClientSession() as s:
                with self.assertRaises(rs_http.ClientConnectorError) as cm:
                    await s.get(f"http://127.0.0.1:{closed_port()}/")
                self.assertEqual(cm.exception.host, "127.0.0.1")
                self.assertEqual(cm.exception.errno, 111)
                with self.assertRaises(rs_http.TooManyRedirects) as cm:
                    await s.get(f"{self.peer.base}/redirect/5", max_redirects=1)
                self.assertEqual(cm.exception.request_info.method, "GET")

        asyncio_rs.run(go())

    def test_base_url_and_multivalued_headers(self):
        async def go():
            async with (
                rs_http.ClientSession(base_url=self.peer.base + "/") as s,
                s.get("set-cookie") as r,
            ):
                self.assertEqual(len(r.headers.getall("set-cookie")), 2)
                self.assertEqual(
                    r.headers["SET-COOKIE"], r.headers.getone("Set-Cookie")
                )
                self.assertIn("content-length", r.headers)
                self.assertEqual(str(r.url), self.peer.base + "/set-cookie")

        asyncio_rs.run(go())

    def test_outside_the_subset_is_a_clear_error(self):
        async def go():
            async with rs_http.ClientSession() as s:
                with self.assertRaisesRegex(NotImplementedError, "compress"):
                    await s.get(self.peer.base + "/text", compress="deflate")
            with self.assertRaisesRegex(NotImplementedError, "trace_configs"):
                rs_http.ClientSession(trace_configs=[object()])
            with self.assertRaisesRegex(NotImplementedError, "fingerprint"):
                rs_http.TCPConnector(fingerprint=b"x")

        asyncio_rs.run(go())
        with self.assertRaisesRegex(NotImplementedError, "web"):
            rs_http.web  # noqa: B018

    def test_other_loops_are_refused_at_session_creation(self):
        async def go():
            with self.assertRaisesRegex(TypeError, "asyncio_rs's event loop only"):
                rs_http.ClientSession()

        asyncio.run(go())


class Cancellation(unittest.TestCase):
    """Cancelling a request closes its connection or gives it back: never a leak, never a
    half-read connection reused."""

    @classmethod
    def setUpClass(cls):
        need("aiohttp")
        cls.peer = Peer()

    @classmethod
    def tearDownClass(cls):
        cls.peer.stop()

    def test_wait_for_timeout_task_cancel_close_or_return_the_connection(self):
        base = self.peer.base

        async def go():
            before = open_fds()
            async with rs_http.ClientSession() as s:
                # A finished response leaves its connection idle in the pool.
                async with s.get(f"{base}/page") as r:
                    await r.read()
                self.assertEqual(s._core.idle_connections(), 1)

                # wait_for while waiting for headers: the request's connection is closed.
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(s.get(f"{base}/hang"), 0.1)
                # asyncio.timeout around a body that does not come: closed, not pooled.
                with self.assertRaises(TimeoutError):
                    async with asyncio.timeout(0.2):
                        async with s.get(f"{base}/slow") as r:
                            await r.read()
                # task.cancel() of a request in flight.
                task = asyncio.ensure_future(s.get(f"{base}/hang"))
                while s._core.idle_connections():  # it took the pooled connection
                    await asyncio.sleep(0)
                task.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await task
                self.assertEqual(s._core.idle_connections(), 0)
                # The session still works, and its connection goes back to the pool.
                async with s.get(f"{base}/page") as r:
                    self.assertEqual(len(await r.read()), 2034)
                self.assertEqual(s._core.idle_connections(), 1)
                # A response released half-read is closed, not pooled.
                r = await s.get(f"{base}/big")
                await r.content.read(10)
                r.release()
                self.assertEqual(s._core.idle_connections(), 0)
                with self.assertRaises(rs_http.ClientConnectionError):
                    await r.read()
                # A response dropped unread (1 MiB: more than the read-ahead buffer holds)
                # gives its connection up too, rather than holding it paused.
                async with s.get(f"{base}/page") as r:
                    await r.read()
                self.assertEqual(s._core.idle_connections(), 1)
                r = await s.get(f"{base}/big")
                self.assertEqual(s._core.idle_connections(), 0)
                del r
                gc.collect()
            self.assertEqual(await settled_fds(before), before)

        asyncio_rs.run(go())


class StreamedUpload(unittest.TestCase):
    """A body from an async iterator is streamed with backpressure, and an iterator that fails
    aborts the request rather than sending a short body."""

    @classmethod
    def setUpClass(cls):
        need("aiohttp")
        cls.peer = Peer()

    @classmethod
    def tearDownClass(cls):
        cls.peer.stop()

    def test_the_writer_waits_for_the_connection_and_a_failure_aborts(self):
        base = self.peer.base

        async def go():
            async with rs_http.ClientSession() as s:
                # Backpressure, on the pipe itself: writes go on at once below 64 KiB queued;
                # the one that fills it waits until a request has taken the chunks.
                loop = asyncio.get_running_loop()
                pipe = _core.HttpBodyPipe(loop)
                room = loop.create_future()
                self.assertTrue(pipe.write(room, b"x" * 40_000))
                self.assertFalse(pipe.write(room, b"y" * 40_000))
                for _ in range(10):
                    await asyncio.sleep(0)
                self.assertFalse(room.done(), "no request reads the pipe yet")
                resp = loop.create_future()
                call = s._core.request(
                    resp, "POST", f"{base}/count", None, None, None, True, 10, None,
                    None, None, None, pipe,
                )  # fmt: skip
                await room  # the connection took the chunks
                pipe.finish()
                r = rs_http.ClientResponse(await resp, "POST", f"{base}/count", loop)
                self.assertEqual((await r.json())["bytes"], 80_000)
                del call

                # Through the API: 4 MiB from a generator, chunked.
                async def gen():
                    for i in range(64):
                        yield bytes([i]) * 65536

                async with s.post(f"{base}/count", data=gen()) as r:
                    got = await r.json()
                self.assertEqual(got["bytes"], 64 * 65536)
                self.assertEqual(got["te"], "chunked")

                class Broken(Exception):
                    pass

                async def failing():
                    yield b"a" * 1000
                    yield b"b" * 1000
                    raise Broken("the source failed")

                with self.assertRaises(Broken):
                    async with s.post(f"{base}/count", data=failing()) as r:
                        await r.read()
                # The aborted request took its connection with it; the session goes on.
                async with s.get(f"{base}/page") as r:
                    self.assertEqual(len(await r.read()), 2034)

        asyncio_rs.run(go())


class Load(unittest.TestCase):
    """10,000 requests at 500 in flight: no descriptor leaked, no memory kept after the
    session closes."""

    @classmethod
    def setUpClass(cls):
        need("aiohttp")
        cls.peer = Peer()

    @classmethod
    def tearDownClass(cls):
        cls.peer.stop()

    def test_ten_thousand_requests_leak_nothing(self):
        url = f"{self.peer.base}/page"

        async def batch(n):
            connector = rs_http.TCPConnector(limit=500)
            async with rs_http.ClientSession(connector=connector) as s:
                it = iter(range(n))
                got = []

                async def worker():
                    for _ in it:
                        async with s.get(url) as r:
                            got.append(len(await r.read()))

                await asyncio.gather(*(worker() for _ in range(500)))
                return got

        async def go():
            fds = open_fds()
            first = await batch(10_000)
            self.assertEqual(await settled_fds(fds), fds)
            rss = rss_kib()
            second = await batch(10_000)
            self.assertEqual(await settled_fds(fds), fds)
            grown = rss_kib() - rss
            return first, second, grown

        first, second, grown = asyncio_rs.run(go())
        self.assertEqual(first, [2034] * 10_000)
        self.assertEqual(second, [2034] * 10_000)
        # A second batch after the first session closed reuses what the first freed.
        self.assertLess(grown, 8 * 1024, f"RSS grew {grown} KiB over the second batch")


if __name__ == "__main__":
    unittest.main()
