"""A program using every public name of asyncio_rs, checked by ``mypy --strict`` in CI."""

import asyncio
from collections.abc import Callable

import asyncio_rs
import asyncio_rs.guest
import asyncio_rs.http as aiohttp


async def add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


async def fetch(url: str) -> tuple[int, str, bytes, list[str]]:
    """asyncio_rs.http's common names, typed (checked only: it is not run)."""
    timeout = aiohttp.ClientTimeout(total=10, sock_read=5)
    connector = aiohttp.TCPConnector(limit=10, ssl=False)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        try:
            async with session.get(url, params={"q": 1}) as resp:
                resp.raise_for_status()
                text: str = await resp.text()
                lines = [line async for line in resp.content]
                ctype: str = resp.headers.getone("Content-Type", "")
                status: int = resp.status
        except aiohttp.ClientResponseError as e:
            return e.status, e.message, b"", []
        form = aiohttp.FormData()
        form.add_field("file", b"data", filename="a.bin")
        r = await session.post(url, data=form, auth=aiohttp.BasicAuth("user", "pw"))
        body: bytes = await r.read()
        r.release()
        async with session.ws_connect(url) as ws:
            await ws.send_str("hi")
            msg: aiohttp.WSMessage = await ws.receive()
            if msg.type is aiohttp.WSMsgType.TEXT:
                lines.append(b"ws")
        return status, text + ctype, body, [str(line) for line in lines]


def guest() -> None:
    """Guest mode's names, on a host made of a list of callables."""
    pending: list[Callable[[], object]] = []
    ended: list[asyncio_rs.guest.GuestRun[int]] = []
    run: asyncio_rs.guest.GuestRun[int] = asyncio_rs.start_guest_run(
        add(1, 1),
        run_sync_soon_threadsafe=pending.append,
        done_callback=ended.append,
        step_budget=asyncio_rs.guest.STEP_BUDGET,
    )
    fd: int = run.fileno()
    wait: float | None = run.timeout()
    while not ended:
        if pending:
            pending.pop(0)()
    two: int = run.result()
    assert run.done() and run.exception() is None and not run.cancel()
    assert run.loop.is_closed() and run.task.done()
    watched: list[Callable[..., None]] = []

    def watch(fd: int, step: Callable[..., None]) -> Callable[[], None]:
        watched.append(step)
        return watched.clear

    other = asyncio_rs.guest.start(add(2, 2), watch=watch)
    while watched:
        watched[0]()
    four: int = other.result()
    print(fd, wait, two, four)


def main() -> None:
    total: int = asyncio_rs.run(add(1, 2))
    assert total == 3
    loop: asyncio_rs.EventLoop = asyncio_rs.new_event_loop()
    try:
        answer: int = loop.run_until_complete(add(20, 22))
        figures: dict[str, float] = loop.metrics()
        assert figures["callbacks"] >= 0
    finally:
        loop.close()
    assert answer == 42
    policy: asyncio.AbstractEventLoopPolicy = asyncio_rs.EventLoopPolicy()
    assert isinstance(policy, asyncio_rs.EventLoopPolicy)
    asyncio_rs.install()
    version: str = asyncio_rs.__version__
    print(version, total, answer)
    guest()


if __name__ == "__main__":
    main()
