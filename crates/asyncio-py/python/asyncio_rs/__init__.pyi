"""Types of asyncio_rs's public names (the package ships ``py.typed``)."""

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from .guest import start_guest_run as start_guest_run

_T = TypeVar("_T")

__version__: str
__all__ = [
    "EventLoop",
    "EventLoopPolicy",
    "__version__",
    "install",
    "new_event_loop",
    "run",
    "start_guest_run",
]

class EventLoop(asyncio.SelectorEventLoop):
    """An asyncio event loop on asyncio-rs's core."""

    def __init__(self) -> None: ...
    def metrics(self) -> dict[str, float]:
        """The loop's figures (tasks, polls, callbacks, busy and idle seconds, queue depths,
        timers, descriptors, the blocking pool, timer lateness)."""

class EventLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """The default policy, handing out asyncio-rs loops."""

def new_event_loop() -> EventLoop: ...
def run(main: Coroutine[Any, Any, _T], *, debug: bool | None = None) -> _T: ...
def install() -> None: ...
