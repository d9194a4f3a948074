"""Types of ``asyncio_rs.guest``: asyncio_rs's loop inside another event loop."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from . import EventLoop

_T = TypeVar("_T")

__all__ = ["STEP_BUDGET", "GuestRun", "qt", "start", "start_guest_run", "tk"]

STEP_BUDGET: float

class GuestRun(Generic[_T]):
    """A coroutine running in guest mode; future-like once it has ended."""

    def fileno(self) -> int: ...
    def timeout(self) -> float | None: ...
    def step(self, *args: object) -> None: ...
    @property
    def loop(self) -> EventLoop: ...
    @property
    def task(self) -> asyncio.Task[_T]: ...
    def cancel(self, msg: Any | None = None) -> bool: ...
    def done(self) -> bool: ...
    def result(self) -> _T: ...
    def exception(self) -> BaseException | None: ...

def start(
    coro: Coroutine[Any, Any, _T],
    *,
    watch: Callable[[int, Callable[..., None]], Callable[[], None]],
    done_callback: Callable[[GuestRun[_T]], object] | None = None,
    debug: bool | None = None,
    loop_factory: Callable[[], EventLoop] | None = None,
    step_budget: float | None = ...,
) -> GuestRun[_T]: ...
def start_guest_run(
    coro: Coroutine[Any, Any, _T],
    *,
    run_sync_soon_threadsafe: Callable[[Callable[[], object]], object],
    done_callback: Callable[[GuestRun[_T]], object],
    run_sync_soon_not_threadsafe: Callable[[Callable[[], object]], object]
    | None = None,
    debug: bool | None = None,
    loop_factory: Callable[[], EventLoop] | None = None,
    step_budget: float | None = ...,
) -> GuestRun[_T]: ...
def tk(
    root: Any,
    coro: Coroutine[Any, Any, _T],
    *,
    done_callback: Callable[[GuestRun[_T]], object] | None = None,
    debug: bool | None = None,
    loop_factory: Callable[[], EventLoop] | None = None,
    step_budget: float | None = ...,
) -> GuestRun[_T]: ...
def qt(
    coro: Coroutine[Any, Any, _T],
    *,
    done_callback: Callable[[GuestRun[_T]], object] | None = None,
    debug: bool | None = None,
    loop_factory: Callable[[], EventLoop] | None = None,
    step_budget: float | None = ...,
) -> GuestRun[_T]: ...
