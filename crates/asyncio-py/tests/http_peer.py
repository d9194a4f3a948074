"""An aiohttp server for test_http.py: started as a child process, it prints its port and
serves until its stdin closes. Each route is one behaviour a client must handle."""

import asyncio
import gzip
import hashlib
import os
import sys
import zlib

from aiohttp import web

PAGE = b"<!doctype html><title>peer</title>" + b"x" * 2000
LINES = b"".join(b"line %d\n" % i for i in range(50)) + b"tail without newline"


async def text(request):
    return web.Response(text="h\u00e9llo w\u00f6rld", charset="utf-8")


async def page(request):
    return web.Response(body=PAGE, content_type="text/html")


async def echo(request):
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": sorted(request.query.items()),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "body": body.decode("latin-1"),
            "cookies": dict(request.cookies),
        }
    )


async def count(request):
    # Reads the body as it streams in; answers with its length and digest.
    digest = hashlib.sha256()
    n = 0
    async for chunk in request.content.iter_any():
        digest.update(chunk)
        n += len(chunk)
    return web.json_response(
        {
            "bytes": n,
            "sha256": digest.hexdigest(),
            "te": request.headers.get("Transfer-Encoding"),
        }
    )


async def form(request):
    data = await request.post()
    out = {}
    for k, v in data.items():
        if isinstance(v, web.FileField):
            out[k] = {
                "filename": v.filename,
                "type": v.content_type,
                "data": v.file.read().decode("latin-1"),
            }
        else:
            out[k] = v
    return web.json_response(out)


async def redirect(request):
    n = int(request.match_info["n"])
    if n <= 0:
        return web.Response(text="arrived")
    raise web.HTTPFound(f"/redirect/{n - 1}")


async def redirect_loop(request):
    raise web.HTTPFound("/loop")


async def redirect_post(request):
    raise web.HTTPSeeOther("/echo")


async def gzipped(request):
    return web.Response(
        body=gzip.compress(PAGE),
        headers={"Content-Encoding": "gzip", "Content-Type": "text/html"},
    )


async def deflated(request):
    return web.Response(
        body=zlib.compress(PAGE),
        headers={"Content-Encoding": "deflate", "Content-Type": "text/html"},
    )


async def brotli_page(request):
    import brotli

    return web.Response(
        body=brotli.compress(PAGE),
        headers={"Content-Encoding": "br", "Content-Type": "text/html"},
    )


async def chunked(request):
    resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    for i in range(20):
        await resp.write(b"chunk %d;" % i)
    await resp.write_eof()
    return resp


async def lines(request):
    return web.Response(body=LINES, content_type="text/plain")


async def big(request):
    return web.Response(
        body=bytes(range(256)) * 4096, content_type="application/octet-stream"
    )


async def status(request):
    code = int(request.match_info["code"])
    if code in (204, 304):
        return web.Response(status=code)
    return web.Response(status=code, text=f"status {code}")


async def set_cookie(request):
    resp = web.Response(text="set")
    resp.set_cookie("session", "abc123", path="/")
    resp.set_cookie("theme", "dark", path="/")
    return resp


async def json_page(request):
    return web.json_response({"a": [1, 2, 3], "b": {"c": None}, "d": "\u00e9"})


async def bad_json(request):
    return web.Response(text='{"a": 1}', content_type="text/plain")


async def slow(request):
    # Headers now, the body much later: a client's sock_read timeout expires in between.
    resp = web.StreamResponse()
    resp.content_length = 4
    await resp.prepare(request)
    await asyncio.sleep(30)
    await resp.write(b"late")
    return resp


async def hang(request):
    # Never answers: the request stays in flight until the client gives up.
    await asyncio.Event().wait()


async def truncated(request):
    # Promises 1000 bytes, sends 10, and closes.
    resp = web.StreamResponse()
    resp.content_length = 1000
    await resp.prepare(request)
    await resp.write(b"0123456789")
    request.transport.close()
    return resp


async def disconnect(request):
    # Closes the connection without a response.
    request.transport.close()
    await asyncio.sleep(0)
    raise web.HTTPInternalServerError()


async def ws_echo(request):
    ws = web.WebSocketResponse(protocols=("chat",))
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == web.WSMsgType.TEXT:
            if msg.data == "close":
                await ws.close(code=4000, message=b"asked")
                break
            await ws.send_str("echo:" + msg.data)
        elif msg.type == web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data[::-1])
    return ws


def app():
    a = web.Application(client_max_size=64 * 1024 * 1024)
    a.router.add_get("/text", text)
    a.router.add_get("/page", page)
    a.router.add_route("*", "/echo", echo)
    a.router.add_post("/form", form)
    a.router.add_post("/count", count)
    a.router.add_get("/redirect/{n}", redirect)
    a.router.add_get("/loop", redirect_loop)
    a.router.add_post("/see-other", redirect_post)
    a.router.add_get("/gzip", gzipped)
    a.router.add_get("/deflate", deflated)
    a.router.add_get("/br", brotli_page)
    a.router.add_get("/chunked", chunked)
    a.router.add_get("/lines", lines)
    a.router.add_get("/big", big)
    a.router.add_get("/status/{code}", status)
    a.router.add_get("/set-cookie", set_cookie)
    a.router.add_get("/json", json_page)
    a.router.add_get("/bad-json", bad_json)
    a.router.add_get("/slow", slow)
    a.router.add_get("/hang", hang)
    a.router.add_get("/truncated", truncated)
    a.router.add_get("/disconnect", disconnect)
    a.router.add_get("/ws", ws_echo)
    return a


async def main():
    runner = web.AppRunner(app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    # Serve until the test closes our stdin; then go at once (handlers that never end, as
    # /hang's, would hold a graceful shutdown up).
    await loop.run_in_executor(None, sys.stdin.read)
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
