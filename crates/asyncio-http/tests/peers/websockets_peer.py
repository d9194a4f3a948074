"""A `websockets` echo server for asyncio-http's WebSocket tests. A text "close:<code>" makes it
close with that code, "fragment" gets a message sent in three frames, "slow:<s>" an answer after
<s> seconds. Prints "PORT <n>" once listening; exits when stdin closes.

usage: websockets_peer.py [--cert CERT --key KEY]
"""

import argparse
import asyncio
import ssl
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    async for msg in ws:
        if isinstance(msg, str) and msg.startswith("close:"):
            await ws.close(code=int(msg[6:]), reason="asked")
            return
        if msg == "fragment":
            # One message in three frames.
            await ws.send(["frag", "men", "ted"])
        elif isinstance(msg, str) and msg.startswith("slow:"):
            await asyncio.sleep(float(msg[5:]))
            await ws.send("slow")
        else:
            await ws.send(msg)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    ctx = None
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
    async with serve(
        echo, "127.0.0.1", 0, ssl=ctx, subprotocols=["chat"], max_size=1 << 20
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"PORT {port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
