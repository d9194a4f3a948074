"""The event loop: CPython's Unix selector loop with its scheduling, timers, I/O watching and
running replaced by asyncio-rs's core (``_core.Loop``).

What asyncio-rs runs: the ready queue (``call_soon``), the timers (``call_later``,
``call_at``: a timer wheel), readiness of descriptors (``add_reader``, ``add_writer``: mio),
other threads' calls (``call_soon_threadsafe``) and the run itself, with the GIL released while
the loop waits. What stays CPython's, unchanged: tasks and futures (its C ``Task`` and
``Future``), transports and protocols, streams, sockets, subprocesses, signals, DNS and the
executor — all of them built on the methods above.
"""

import asyncio
import os
import selectors
import sys
import threading
from asyncio import events, format_helpers, unix_events

from . import _core, _transports

_fileobj_to_fd = selectors._fileobj_to_fd


class EventLoop(asyncio.SelectorEventLoop):
    """An asyncio event loop on asyncio-rs's core."""

    def __init__(self):
        self._core = _core.Loop(self)
        self._remote = self._core.remote()
        # The selector CPython's loop would poll is made but never polled (its transports'
        # reprs look into it); the core watches the descriptors.
        super().__init__()
        self._fast_paths()

    def _fast_paths(self):
        # Without debug checks, asyncio's scheduling calls go straight to the core: no Python
        # frame between a Task or Future and the Rust ready queue.
        core = self._core
        self.time = core.time
        if self._debug:
            for name in ("call_soon", "call_later", "call_at"):
                self.__dict__.pop(name, None)
        else:
            self.call_soon = core.call_soon
            self.call_later = core.call_later
            self.call_at = core.call_at

    def metrics(self):
        """The loop's figures (a dict): Rust tasks alive and spawned, task polls, callbacks
        run (every ``call_soon`` handle, timer and I/O callback counts), iterations, busy and
        idle seconds, the ready and remote queue depths, timers armed, descriptors watched, the
        blocking pool's threads and queue, and how late timers fire (mean and max, seconds).
        Safe from any thread: there, the figures the loop last published (before it last
        blocked, or while it stays busy every few hundred iterations)."""
        try:
            return self._core.metrics()
        except RuntimeError:  # another thread: the published figures
            return self._remote.metrics()

    def set_debug(self, enabled):
        super().set_debug(enabled)
        self._core.set_debug(bool(enabled))
        self._fast_paths()

    # ----- scheduling (debug mode: asyncio's checks, then the core) -------------------------

    # In debug mode each handle records where it was made (``_source_traceback``), which the
    # exception handler's context carries, as CPython's handles do. With debug off, these are
    # not called: the core's methods are (see ``_fast_paths``), and from another thread they
    # take the thread-safe path, which CPython's loop tolerates too.

    def call_soon(self, callback, *args, context=None):
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_soon")
        handle = self._core.call_soon(callback, *args, context=context)
        if self._debug:
            handle._set_source_traceback(format_helpers.extract_stack(sys._getframe(1)))
        return handle

    def call_later(self, delay, callback, *args, context=None):
        if delay is None:
            raise TypeError("delay must not be None")
        timer = self.call_at(self.time() + delay, callback, *args, context=context)
        if timer._source_traceback:
            del timer._source_traceback[-1]
        return timer

    def call_at(self, when, callback, *args, context=None):
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        timer = self._core.call_at(when, callback, *args, context=context)
        if self._debug:
            timer._set_source_traceback(format_helpers.extract_stack(sys._getframe(1)))
        return timer

    def call_soon_threadsafe(self, callback, *args, context=None):
        self._check_closed()
        if self._debug:
            self._check_callback(callback, "call_soon_threadsafe")
        handle = self._remote.call_soon_threadsafe(callback, *args, context=context)
        if self._debug:
            handle._set_source_traceback(format_helpers.extract_stack(sys._getframe(1)))
        return handle

    def _add_callback(self, handle):
        # asyncio's own handles (signal handlers) join the core's ready queue.
        if not handle._cancelled:
            self._core.call_soon(handle._run)

    # ----- descriptors ------------------------------------------------------------------------

    def _add_reader(self, fd, callback, *args):
        self._check_closed()
        return self._core.add_reader(_fileobj_to_fd(fd), callback, *args)

    def _remove_reader(self, fd):
        if self.is_closed():
            return False
        return self._core.remove_reader(_fileobj_to_fd(fd))

    def _add_writer(self, fd, callback, *args):
        self._check_closed()
        return self._core.add_writer(_fileobj_to_fd(fd), callback, *args)

    def _remove_writer(self, fd):
        if self.is_closed():
            return False
        return self._core.remove_writer(_fileobj_to_fd(fd))

    # ----- transports (Rust's) ----------------------------------------------------------------

    def _make_socket_transport(
        self, sock, protocol, waiter=None, *, extra=None, server=None
    ):
        return _transports._SocketTransport(self, sock, protocol, waiter, extra, server)

    def _make_datagram_transport(
        self, sock, protocol, address=None, waiter=None, extra=None
    ):
        return _transports._DatagramTransport(
            self, sock, protocol, address, waiter, extra
        )

    def _make_read_pipe_transport(self, pipe, protocol, waiter=None, extra=None):
        return _transports._ReadPipeTransport(self, pipe, protocol, waiter, extra)

    def _make_write_pipe_transport(self, pipe, protocol, waiter=None, extra=None):
        return _transports._WritePipeTransport(self, pipe, protocol, waiter, extra)

    def _make_ssl_transport(self, rawsock, protocol, sslcontext, waiter=None, **kwargs):
        return _transports.make_ssl_transport(
            self, rawsock, protocol, sslcontext, waiter, **kwargs
        )

    # ----- subprocesses: reaped through pidfds ------------------------------------------------

    async def _make_subprocess_transport(
        self,
        protocol,
        args,
        shell,
        stdin,
        stdout,
        stderr,
        bufsize,
        extra=None,
        **kwargs,
    ):
        if _policy_watcher() is not None:
            # A child watcher set on purpose (asyncio.set_child_watcher) keeps its job.
            return await super()._make_subprocess_transport(
                protocol, args, shell, stdin, stdout, stderr, bufsize, extra, **kwargs
            )
        waiter = self.create_future()
        transport = unix_events._UnixSubprocessTransport(
            self,
            protocol,
            args,
            shell,
            stdin,
            stdout,
            stderr,
            bufsize,
            waiter=waiter,
            extra=extra,
            **kwargs,
        )
        self._reap_when_done(transport.get_pid(), transport)
        try:
            await waiter
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException:
            transport.close()
            await transport._wait()
            raise
        return transport

    def _reap_when_done(self, pid, transport):
        """Reaps `pid` the moment it exits: its pidfd turns readable on this loop (no thread,
        no SIGCHLD handler)."""
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            pidfd = None  # already gone (and reaped elsewhere): reported below
        except OSError:
            # No pidfds (an old kernel, a seccomp filter): a thread waits, as asyncio's
            # ThreadedChildWatcher does.
            watcher = unix_events.ThreadedChildWatcher()
            watcher.add_child_handler(pid, self._child_watcher_callback, transport)
            return

        def reap():
            if pidfd is not None:
                self._remove_reader(pidfd)
                os.close(pidfd)
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                returncode = 255
                unix_events.logger.warning(
                    "Unknown child process pid %d, will report returncode 255", pid
                )
            else:
                returncode = os.waitstatus_to_exitcode(status)
            if not self.is_closed():
                transport._process_exited(returncode)

        if pidfd is None:
            self.call_soon(reap)
        else:
            self._add_reader(pidfd, reap)

    # ----- running ----------------------------------------------------------------------------

    def _run_once(self):
        # asyncio's run_forever calls this until stop(): the core runs until stopped.
        self._core.run_until_stopped()

    def stop(self):
        self._stopping = True
        self._core.stop()

    # ----- guest mode (asyncio_rs.guest drives these) ------------------------------------------

    def _guest_begin(self, step_budget):
        """Starts a guest run: what ``run_forever`` sets up (the running loop, the thread,
        the async generator hooks), without running. Returns the descriptor to watch."""
        self._check_closed()
        self._check_running()
        if events._get_running_loop() is not None:
            raise RuntimeError(
                "Cannot run the event loop while another loop is running"
            )
        fd = self._core.guest_begin(step_budget)
        self._set_coroutine_origin_tracking(self._debug)
        self._thread_id = threading.get_ident()
        self._guest_agen_hooks = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(
            firstiter=self._asyncgen_firstiter_hook,
            finalizer=self._asyncgen_finalizer_hook,
        )
        events._set_running_loop(self)
        return fd

    def _guest_step(self):
        """Runs what is ready now; returns whether ``stop()`` was called."""
        return self._core.guest_step()

    def _guest_end(self):
        """Ends the guest run: the loop is no longer running (as after ``run_forever``)."""
        self._core.guest_end()
        self._stopping = False
        self._thread_id = None
        events._set_running_loop(None)
        self._set_coroutine_origin_tracking(False)
        sys.set_asyncgen_hooks(*self._guest_agen_hooks)

    def close(self):
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self.is_closed():
            return
        super().close()
        self._core.close()


def _policy_watcher():
    """A child watcher chosen for the event loop policy (None when none was, or when it is
    asyncio's default, the ThreadedChildWatcher made on first use: pidfds do its job)."""
    policy = events.get_event_loop_policy()
    watcher = getattr(policy, "_watcher", None)
    if isinstance(watcher, unix_events.ThreadedChildWatcher):
        return None
    return watcher
