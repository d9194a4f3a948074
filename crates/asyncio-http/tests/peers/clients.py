"""Python clients against asyncio-http's server: prints one JSON line with what they saw.

usage: clients.py upload URL FILE
       clients.py websockets URL
       clients.py aiohttp-ws URL
"""

import asyncio
import json
import sys

import aiohttp


async def upload(url, path):
    form = aiohttp.FormData()
    form.add_field("title", "holiday")
    # aiohttp reads the file in its executor as it sends it.
    with open(path, "rb") as f:  # noqa: ASYNC230
        form.add_field("photo", f, filename="beach.bin", content_type="image/x-test")
        async with aiohttp.ClientSession() as s, s.post(url, data=form) as r:
            print(json.dumps({"status": r.status, "body": await r.text()}))


async def websockets_client(url):
    from websockets.asyncio.client import connect

    seen = {}
    async with connect(url, subprotocols=["chat"]) as ws:
        seen["protocol"] = ws.subprotocol
        await ws.send("héllo")
        seen["text"] = await ws.recv()
        await ws.send(b"\x00\x01\xff")
        seen["binary"] = list(await ws.recv())
        # A fragmented message: three frames, one message.
        await ws.send(["frag", "men", "ted"])
        seen["fragmented"] = await ws.recv()
        await ws.close(code=4000, reason="done")
        seen["close_code"] = ws.close_code
    print(json.dumps(seen))


async def aiohttp_ws(url):
    seen = {}
    async with (
        aiohttp.ClientSession() as s,
        s.ws_connect(url, protocols=("chat",)) as ws,
    ):
        seen["protocol"] = ws.protocol
        await ws.send_str("hi")
        seen["text"] = (await ws.receive()).data
        await ws.send_bytes(b"\x02\x03")
        seen["binary"] = list((await ws.receive()).data)
        await ws.send_str("close-me")
        msg = await ws.receive()
        seen["closed_by_server"] = msg.type == aiohttp.WSMsgType.CLOSE
        seen["close_code"] = ws.close_code
    print(json.dumps(seen))


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "upload":
        asyncio.run(upload(*rest))
    elif cmd == "websockets":
        asyncio.run(websockets_client(*rest))
    elif cmd == "aiohttp-ws":
        asyncio.run(aiohttp_ws(*rest))
    else:
        sys.exit(f"unknown command {cmd}")
