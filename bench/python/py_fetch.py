"""`py-fetch-fast` and `py-fetch-demo`: the `fetch-demo` job in Python, one client each —
every URL of FILE fetched and read with CONCURRENCY in flight, one JSON line per URL written
out, as `fetch_demo.py` does with aiohttp.

    python py_fetch.py CLIENT FILE CONCURRENCY

CLIENT: `asyncio-rs-py` (asyncio_rs.http on asyncio_rs's loop), `aiohttp-uvloop`,
`aiohttp-rloop`, and on uvloop `httpx`, `pyreqwest` and `rnet`. Each is written the way its
documentation shows.
"""

import asyncio
import json
import sys
import time


def read_urls(path):
    return [line.strip() for line in open(path) if line.strip() and not line.startswith("#")]


async def drive(urls, concurrency, fetch):
    """`concurrency` workers share the URLs; `fetch(url)` gives (status, body, final URL)."""
    out = open("/dev/null", "w")
    it = iter(urls)
    failed = []

    async def worker():
        for url in it:
            start = time.perf_counter()
            rec = {"url": url}
            try:
                status, body, final = await fetch(url)
                rec.update(status=status, bytes=len(body), final_url=final)
                if 300 <= status < 400:
                    # The demo's redirects lead to pages: every client must follow them.
                    rec["error"] = {"kind": "redirect not followed"}
                    failed.append(rec)
            except Exception as e:  # noqa: BLE001
                rec["error"] = {"kind": type(e).__name__, "message": str(e)}
                failed.append(rec)
            rec["elapsed_ms"] = (time.perf_counter() - start) * 1000
            out.write(json.dumps(rec) + "\n")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    if failed:
        # Every page of the demo server answers: a failure is the client's, and the run's.
        sys.exit(f"{len(failed)} of {len(urls)} failed, first: {failed[0]}")


async def with_aiohttp(aiohttp, urls, concurrency):
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def fetch(url):
            async with session.get(url) as resp:
                return resp.status, await resp.read(), str(resp.url)

        await drive(urls, concurrency, fetch)


async def with_httpx(urls, concurrency):
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30, follow_redirects=True) as client:

        async def fetch(url):
            resp = await client.get(url)
            return resp.status_code, resp.content, str(resp.url)

        await drive(urls, concurrency, fetch)


async def with_pyreqwest(urls, concurrency):
    from datetime import timedelta

    from pyreqwest.client import ClientBuilder

    builder = ClientBuilder().max_connections(concurrency).timeout(timedelta(seconds=30))
    async with builder.build() as client:

        async def fetch(url):
            async with client.get(url).build_streamed() as resp:
                body = await resp.bytes()
                # No redirects in this job: the final URL is the one asked for.
                return resp.status, body, url

        await drive(urls, concurrency, fetch)


async def with_rnet(urls, concurrency):
    import rnet

    client = rnet.Client(timeout=30, allow_redirects=True)

    async def fetch(url):
        resp = await client.get(url)
        body = await resp.bytes()
        return int(resp.status), body, str(resp.url)

    await drive(urls, concurrency, fetch)


def main():
    client, path, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    urls = read_urls(path)
    if client == "asyncio-rs-py":
        import asyncio_rs
        import asyncio_rs.http

        asyncio_rs.run(with_aiohttp(asyncio_rs.http, urls, concurrency))
        return
    if client == "aiohttp-rloop":
        import aiohttp
        import rloop

        with asyncio.Runner(loop_factory=rloop.new_event_loop) as runner:
            runner.run(with_aiohttp(aiohttp, urls, concurrency))
        return
    import uvloop

    if client == "aiohttp-uvloop":
        import aiohttp

        job = with_aiohttp(aiohttp, urls, concurrency)
    elif client == "httpx":
        job = with_httpx(urls, concurrency)
    elif client == "pyreqwest":
        job = with_pyreqwest(urls, concurrency)
    elif client == "rnet":
        job = with_rnet(urls, concurrency)
    else:
        sys.exit(f"unknown client {client}")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(job)


if __name__ == "__main__":
    main()
