"""aiohttp client for asyncio-bench: N GETs of URL with C in flight, on asyncio or uvloop.
Prints the wall seconds. `fresh` disables keep-alive (a new connection per request)."""

import asyncio
import sys
import time

import aiohttp


async def main(url, count, concurrency, fresh):
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=fresh)
    async with aiohttp.ClientSession(connector=connector) as session:
        remaining = count

        async def worker():
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                async with session.get(url) as resp:
                    await resp.read()
                    assert resp.status == 200

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        print(time.perf_counter() - start)


if __name__ == "__main__":
    url, count, concurrency, loop, fresh = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        sys.argv[4],
        sys.argv[5] == "fresh",
    )
    if loop == "uvloop":
        import uvloop

        uvloop.install()
    asyncio.run(main(url, count, concurrency, fresh))
