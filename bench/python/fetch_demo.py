"""The aiohttp equivalent of `asyncio-fetch FILE -o /dev/null --concurrency N --per-host N
--retries 0`: every URL fetched with N in flight, one JSON line per URL written out."""

import asyncio
import json
import sys
import time

import aiohttp


async def main(path, concurrency):
    urls = [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]
    out = open("/dev/null", "w")
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        it = iter(urls)

        async def worker():
            for url in it:
                start = time.perf_counter()
                rec = {"url": url}
                try:
                    async with session.get(url) as resp:
                        body = await resp.read()
                        rec.update(
                            status=resp.status, bytes=len(body), final_url=str(resp.url)
                        )
                except Exception as e:  # noqa: BLE001
                    rec["error"] = {"kind": type(e).__name__, "message": str(e)}
                rec["elapsed_ms"] = (time.perf_counter() - start) * 1000
                out.write(json.dumps(rec) + "\n")

        await asyncio.gather(*(worker() for _ in range(concurrency)))


if __name__ == "__main__":
    # The loop: asyncio (CPython's), uvloop, rloop or asyncio_rs.
    from loop_micro import new_loop

    with asyncio.Runner(loop_factory=lambda: new_loop(sys.argv[3])) as runner:
        runner.run(main(sys.argv[1], int(sys.argv[2])))
