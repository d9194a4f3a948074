"""aiohttp.web hello world on a chosen Python loop, for asyncio-bench's py-aiohttp-wrk.

    python aiohttp_hello.py LOOP   # LOOP: asyncio | uvloop | rloop | asyncio_rs

Binds 127.0.0.1:0, prints the port, serves until killed.
"""

import asyncio
import sys

from aiohttp import web
from loop_micro import new_loop


async def hello(request):
    return web.Response(text="Hello, World!")


async def main():
    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    with asyncio.Runner(loop_factory=lambda: new_loop(sys.argv[1])) as runner:
        runner.run(main())
