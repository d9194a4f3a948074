"""asyncio_rs: asyncio-rs's event loop (Rust: mio, a timer wheel) as a drop-in asyncio loop.

    import asyncio_rs
    asyncio_rs.run(main())          # like asyncio.run(main()), on asyncio-rs's loop

or, for code that makes its own loops, ``asyncio_rs.install()`` first. Inside a GUI toolkit's
loop (Tk, Qt): ``asyncio_rs.guest`` and ``asyncio_rs.start_guest_run``.
"""

import asyncio as _asyncio
import sys as _sys

from ._core import __version__
from ._loop import EventLoop
from .guest import start_guest_run

__all__ = [
    "EventLoop",
    "EventLoopPolicy",
    "__version__",
    "install",
    "new_event_loop",
    "run",
    "start_guest_run",
]


def new_event_loop():
    """A new asyncio-rs event loop."""
    return EventLoop()


def run(main, *, debug=None):
    """Runs the coroutine ``main`` on a new asyncio-rs loop, as ``asyncio.run`` does."""
    if _sys.version_info >= (3, 12):
        return _asyncio.run(main, debug=debug, loop_factory=new_event_loop)
    with _asyncio.Runner(debug=debug, loop_factory=new_event_loop) as runner:
        return runner.run(main)


class EventLoopPolicy(_asyncio.DefaultEventLoopPolicy):
    """The default policy, handing out asyncio-rs loops."""

    def _loop_factory(self):
        return EventLoop()


def install():
    """Makes asyncio-rs's loop the one ``asyncio`` creates (sets the event loop policy)."""
    _asyncio.set_event_loop_policy(EventLoopPolicy())
