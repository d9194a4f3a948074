"""Libraries on asyncio_rs: aiohttp's client and server, pytest-asyncio, anyio.

Each is skipped with a message when it is not installed, except in CI (``CI`` set), which
installs them: there a missing one fails.
"""

import asyncio
import importlib
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

import asyncio_rs


def need(module):
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            raise
        raise unittest.SkipTest(
            f"{module} is not installed (pip install {module})"
        ) from None


class Aiohttp(unittest.TestCase):
    def test_client_and_server_on_asyncio_rs(self):
        aiohttp = need("aiohttp")
        web = need("aiohttp.web")
        connections = []
        release = []

        async def hello(request):
            return web.Response(text="hello " + request.match_info["name"])

        async def echo(request):
            return web.json_response(await request.json())

        async def stream(request):
            response = web.StreamResponse()
            await response.prepare(request)
            for _ in range(100):
                await response.write(b"x" * 10_000)
            await response.write_eof()
            return response

        async def shout(request):
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            async for msg in ws:
                await ws.send_str(msg.data.upper())
            return ws

        async def slow(request):
            # Answers only when the test says so (after the client gave up).
            release.append(asyncio.Event())
            await release[-1].wait()
            return web.Response(text="late")

        async def main():
            self.assertIsInstance(asyncio.get_running_loop(), asyncio_rs.EventLoop)
            app = web.Application()
            app.add_routes(
                [
                    web.get("/hello/{name}", hello),
                    web.post("/echo", echo),
                    web.get("/stream", stream),
                    web.get("/ws", shout),
                    web.get("/slow", slow),
                ]
            )
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]
            base = f"http://127.0.0.1:{port}"

            class Counting(aiohttp.TCPConnector):
                async def _create_connection(self, *args, **kwargs):
                    connections.append(1)
                    return await super()._create_connection(*args, **kwargs)

            async with aiohttp.ClientSession(connector=Counting(limit=10)) as session:

                async def get(i):
                    async with session.get(f"{base}/hello/{i}") as r:
                        return r.status, await r.text()

                got = await asyncio.gather(*(get(i) for i in range(300)))
                self.assertEqual(got, [(200, f"hello {i}") for i in range(300)])
                # Keep-alive: 300 requests over at most the connector's 10 connections.
                self.assertLessEqual(len(connections), 10)

                body = {"list": list(range(1000)), "text": "é" * 100}
                async with session.post(f"{base}/echo", json=body) as r:
                    self.assertEqual(await r.json(), body)

                async with session.get(f"{base}/stream") as r:
                    total = 0
                    async for chunk in r.content.iter_chunked(65536):
                        total += len(chunk)
                    self.assertEqual(total, 1_000_000)

                async with session.ws_connect(f"{base}/ws") as ws:
                    await ws.send_str("quiet")
                    self.assertEqual((await ws.receive()).data, "QUIET")

                with self.assertRaises(asyncio.TimeoutError):
                    timeout = aiohttp.ClientTimeout(total=0.2)
                    async with session.get(f"{base}/slow", timeout=timeout) as r:
                        await r.text()
            for event in release:
                event.set()
            await runner.cleanup()

        asyncio_rs.run(main())


class PytestAsyncio(unittest.TestCase):
    def test_pytest_asyncio_runs_tests_on_asyncio_rs(self):
        need("pytest")
        need("pytest_asyncio")
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "conftest.py"), "w") as f:
                f.write(
                    textwrap.dedent(
                        """
                        import asyncio_rs

                        def pytest_asyncio_loop_factories(config, item):
                            return {"asyncio_rs": asyncio_rs.new_event_loop}
                        """
                    )
                )
            with open(os.path.join(d, "test_on_ours.py"), "w") as f:
                f.write(
                    textwrap.dedent(
                        """
                        import asyncio
                        import pytest
                        import pytest_asyncio
                        import asyncio_rs

                        @pytest_asyncio.fixture
                        async def queue():
                            q = asyncio.Queue()
                            await q.put("from the fixture")
                            return q

                        @pytest.mark.asyncio
                        async def test_runs_on_asyncio_rs():
                            assert isinstance(asyncio.get_running_loop(), asyncio_rs.EventLoop)

                        @pytest.mark.asyncio
                        async def test_fixture_shares_the_loop(queue):
                            assert await queue.get() == "from the fixture"

                        @pytest.mark.asyncio
                        async def test_timeouts_work():
                            with pytest.raises(TimeoutError):
                                async with asyncio.timeout(0.01):
                                    await asyncio.Event().wait()
                        """
                    )
                )
            out = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", d],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("3 passed", out.stdout)


class Anyio(unittest.TestCase):
    def test_anyio_asyncio_backend_on_asyncio_rs(self):
        anyio = need("anyio")

        async def main():
            self.assertIsInstance(asyncio.get_running_loop(), asyncio_rs.EventLoop)
            send, receive = anyio.create_memory_object_stream(10)
            got = []

            async def serve(stream):
                async with stream:
                    data = await stream.receive()
                    await stream.send(data[::-1])

            listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
            port = listener.extra(anyio.abc.SocketAttribute.local_port)
            async with anyio.create_task_group() as tg:
                tg.start_soon(listener.serve, serve)

                async def produce():
                    async with send:
                        for i in range(5):
                            await send.send(i)

                async def consume():
                    async with receive:
                        async for item in receive:
                            got.append(item)

                tg.start_soon(produce)
                tg.start_soon(consume)
                async with await anyio.connect_tcp("127.0.0.1", port) as client:
                    await client.send(b"anyio")
                    self.assertEqual(await client.receive(), b"oiyna")
                with anyio.move_on_after(0.01) as scope:
                    await anyio.sleep(30)
                self.assertTrue(scope.cancelled_caught)
                await anyio.sleep(0)
                tg.cancel_scope.cancel()
            await listener.aclose()
            self.assertEqual(got, [0, 1, 2, 3, 4])

        anyio.run(
            main,
            backend="asyncio",
            backend_options={"loop_factory": asyncio_rs.new_event_loop},
        )


if __name__ == "__main__":
    unittest.main()
