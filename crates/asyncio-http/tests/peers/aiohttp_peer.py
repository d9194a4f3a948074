"""An aiohttp server that asyncio-http's tests talk to: cookies across a login and a redirect
chain, credentials, multipart uploads and a WebSocket echo. Prints "PORT <n>" once listening.

usage: aiohttp_peer.py [--cert CERT --key KEY]
"""

import argparse
import asyncio
import base64
import hashlib
import ssl
import sys

from aiohttp import WSMsgType, web


async def login(request):
    resp = web.HTTPFound("/landing")
    resp.set_cookie("sid", "abc123", path="/", httponly=True)
    resp.set_cookie("theme", "dark", max_age=3600)
    raise resp


async def landing(request):
    # Set on the second hop of the chain: it must reach the third.
    resp = web.HTTPFound("/private")
    resp.set_cookie("hop", "2")
    raise resp


async def private(request):
    if request.cookies.get("sid") != "abc123":
        return web.json_response({"error": "not logged in"}, status=403)
    return web.json_response(dict(request.cookies))


async def logout(request):
    resp = web.json_response({"bye": True})
    resp.del_cookie("sid")
    return resp


async def public_suffix(request):
    resp = web.json_response({})
    resp.headers.add("Set-Cookie", "evil=1; Domain=co.uk; Path=/")
    resp.headers.add("Set-Cookie", "=broken")
    resp.headers.add("Set-Cookie", "good=1; Path=/")
    return resp


async def headers(request):
    return web.json_response({k.lower(): v for k, v in request.headers.items()})


async def basic(request):
    want = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    if request.headers.get("Authorization") != want:
        return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="t"'})
    return web.json_response({"user": "alice"})


async def away(request):
    raise web.HTTPFound(request.query["to"])


async def upload(request):
    reader = await request.multipart()
    out = {}
    while True:
        part = await reader.next()
        if part is None:
            break
        h = hashlib.sha256()
        size = 0
        while True:
            chunk = await part.read_chunk(1 << 16)
            if not chunk:
                break
            h.update(chunk)
            size += len(chunk)
        out[part.name] = {
            "filename": part.filename,
            "content_type": part.headers.get("Content-Type"),
            "size": size,
            "sha256": h.hexdigest(),
        }
    return web.json_response(out)


async def ws(request):
    sock = web.WebSocketResponse(protocols=("chat", "superchat"))
    await sock.prepare(request)
    async for msg in sock:
        if msg.type == WSMsgType.TEXT:
            if msg.data.startswith("close:"):
                await sock.close(code=int(msg.data[6:]), message=b"asked")
                break
            await sock.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await sock.send_bytes(msg.data)
    return sock


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    app = web.Application(client_max_size=1 << 30)
    app.router.add_get("/login", login)
    app.router.add_get("/landing", landing)
    app.router.add_get("/private", private)
    app.router.add_get("/logout", logout)
    app.router.add_get("/public-suffix", public_suffix)
    app.router.add_get("/headers", headers)
    app.router.add_get("/basic", basic)
    app.router.add_get("/away", away)
    app.router.add_post("/upload", upload)
    app.router.add_get("/ws", ws)
    ctx = None
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    # Until the test closes stdin (or dies).
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
