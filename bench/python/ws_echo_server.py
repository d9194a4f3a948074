"""WebSocket echo servers for asyncio-bench's ws-echo: Python's `websockets` on asyncio, or
aiohttp on uvloop. Prints "PORT <n>" once listening; exits when stdin closes.

usage: ws_echo_server.py websockets|aiohttp-uvloop
"""

import asyncio
import sys


async def websockets_server():
    from websockets.asyncio.server import serve

    async def echo(ws):
        async for msg in ws:
            await ws.send(msg)

    async with serve(echo, "127.0.0.1", 0, compression=None) as server:
        print(f"PORT {next(iter(server.sockets)).getsockname()[1]}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def aiohttp_server():
    from aiohttp import WSMsgType, web

    async def echo(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
            elif msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"PORT {site._server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    if sys.argv[1] == "websockets":
        asyncio.run(websockets_server())
    else:
        import uvloop

        uvloop.run(aiohttp_server())
