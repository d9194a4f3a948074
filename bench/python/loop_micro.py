"""Python event-loop micro-benchmarks (issue 11's five): one loop, one process.

    python loop_micro.py LOOP WORKLOAD   # LOOP: asyncio | uvloop | asyncio_rs | rloop

Prints the seconds the workload took (the loop's own time, setup excluded); `idle_conns`
also prints the bytes of memory each connection added.
"""

import asyncio
import gc
import os
import resource
import sys
import time


def new_loop(name):
    if name == "asyncio":
        return asyncio.new_event_loop()
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    if name == "rloop":
        import rloop

        return rloop.new_event_loop()
    import asyncio_rs

    return asyncio_rs.new_event_loop()


def call_soon(loop):
    n = 1_000_000
    left = [n]

    def cb():
        left[0] -= 1
        if left[0] == 0:
            loop.stop()

    for _ in range(n):
        loop.call_soon(cb)
    t = time.perf_counter()
    loop.run_forever()
    return time.perf_counter() - t


def tasks(loop):
    async def nothing():
        return 1

    async def main():
        return sum(await asyncio.gather(*(nothing() for _ in range(200_000))))

    t = time.perf_counter()
    assert loop.run_until_complete(main()) == 200_000
    return time.perf_counter() - t


def sleep0(loop):
    async def spin():
        for _ in range(100_000):
            await asyncio.sleep(0)

    async def main():
        await asyncio.gather(*(spin() for _ in range(10)))

    t = time.perf_counter()
    loop.run_until_complete(main())
    return time.perf_counter() - t


def timers(loop):
    import random

    rng = random.Random(7)
    n = 100_000
    left = [n]

    def cb():
        left[0] -= 1
        if left[0] == 0:
            loop.stop()

    t = time.perf_counter()
    for _ in range(n):
        loop.call_later(rng.uniform(0.001, 0.1), cb)
    loop.run_forever()
    return time.perf_counter() - t


def echo(loop):
    conns, rounds, msg = 50, 2_000, b"x" * 64

    class Server(asyncio.Protocol):
        def connection_made(self, t):
            self.t = t

        def data_received(self, data):
            self.t.write(data)

    class Client(asyncio.Protocol):
        def __init__(self, done):
            self.left, self.done = rounds, done

        def connection_made(self, t):
            self.t = t
            t.write(msg)

        def data_received(self, data):
            self.left -= 1
            if self.left == 0:
                self.t.close()
                self.done.set_result(None)
            else:
                self.t.write(msg)

    async def main():
        server = await loop.create_server(Server, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        dones = [loop.create_future() for _ in range(conns)]
        t = time.perf_counter()
        for d in dones:
            await loop.create_connection(lambda d=d: Client(d), "127.0.0.1", port)
        await asyncio.gather(*dones)
        took = time.perf_counter() - t
        server.close()
        return took

    return loop.run_until_complete(main())


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def idle_conns(loop):
    """Opens 2,000 loopback connections and leaves them idle; returns the seconds that took
    and the memory (resident bytes) each connection added, both ends counted."""
    n = 2_000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (max(soft, min(hard, 4 * n + 100)), hard)
    )
    ends = []

    class End(asyncio.Protocol):
        def connection_made(self, t):
            ends.append(t)

    async def open_all(port, count):
        for _ in range(count):
            await loop.create_connection(End, "127.0.0.1", port)
        while len(ends) < 2 * count:  # the server ends
            await asyncio.sleep(0)

    async def main():
        server = await loop.create_server(End, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        # Warm the allocator with connections opened and closed before measuring.
        await open_all(port, 100)
        for t in ends:
            t.close()
        ends.clear()
        for _ in range(10):
            await asyncio.sleep(0)
        gc.collect()
        before = rss_bytes()
        t = time.perf_counter()
        await open_all(port, n)
        took = time.perf_counter() - t
        gc.collect()
        per_conn = (rss_bytes() - before) / n
        for t in ends:
            t.close()
        server.close()
        for _ in range(10):
            await asyncio.sleep(0)
        return took, per_conn

    return loop.run_until_complete(main())


def main():
    name, workload = sys.argv[1], sys.argv[2]
    loop = new_loop(name)
    asyncio.set_event_loop(loop)
    result = globals()[workload.replace("-", "_")](loop)
    loop.close()
    if isinstance(result, tuple):
        print(" ".join(f"{x:.6f}" for x in result))
    else:
        print(f"{result:.6f}")


if __name__ == "__main__":
    main()
