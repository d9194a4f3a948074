"""A program using every public name of asyncio_rs, checked by ``mypy --strict`` in CI."""

import asyncio

import asyncio_rs


async def add(a: int, b: int) -> int:
    await asyncio.sleep(0)
    return a + b


def main() -> None:
    total: int = asyncio_rs.run(add(1, 2))
    assert total == 3
    loop: asyncio_rs.EventLoop = asyncio_rs.new_event_loop()
    try:
        answer: int = loop.run_until_complete(add(20, 22))
    finally:
        loop.close()
    assert answer == 42
    policy: asyncio.AbstractEventLoopPolicy = asyncio_rs.EventLoopPolicy()
    assert isinstance(policy, asyncio_rs.EventLoopPolicy)
    asyncio_rs.install()
    version: str = asyncio_rs.__version__
    print(version, total, answer)


if __name__ == "__main__":
    main()
