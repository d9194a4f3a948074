"""Guest mode: asyncio_rs's loop inside another event loop — a GUI toolkit's (Tk, Qt, GTK) —
on that loop's thread, with no second thread running Python code.

The host keeps the thread and waits in its own loop. It watches one descriptor, which turns
readable whenever asyncio_rs's loop has work (I/O ready, a timer due, another thread's
``call_soon_threadsafe``, a task woken by host code), and then calls one step, which runs what
is ready and never blocks. Between two steps the host runs its own events, so the GUI stays
responsive, and the loop stays the thread's running loop: a button's callback may call
``asyncio.get_running_loop()`` or ``asyncio.create_task``.

Three ways in:

- :func:`start_guest_run` — trio's shape, for any host that can run a function "soon" from
  another thread: a helper thread waits on the descriptor and hands each step to the host.
- :func:`start` — for hosts that can watch a descriptor themselves (no thread at all).
- :func:`tk` and :func:`qt` — the two toolkits, built on :func:`start`.

Each returns a :class:`GuestRun`; when the main coroutine has ended, the run ends as
``asyncio.run`` ends (the remaining tasks cancelled, async generators and the default executor
shut down, the loop closed) and ``done_callback(run)`` is called: ``run.result()`` returns the
coroutine's result or raises its exception.
"""

import asyncio
import os
import select
import signal
import threading

from ._loop import EventLoop

__all__ = ["STEP_BUDGET", "GuestRun", "qt", "start", "start_guest_run", "tk"]

_PENDING, _RESULT, _EXCEPTION = range(3)

#: How long one step may run callbacks and task steps before it hands the thread back to the
#: host (seconds; the rest of the batch runs first in the next step). ``None``: no limit, each
#: step runs a whole batch, as one iteration of ``run_forever`` does.
STEP_BUDGET = 0.004


class GuestRun:
    """A coroutine running in guest mode; future-like once it has ended.

    Made by :func:`start`, :func:`start_guest_run`, :func:`tk` or :func:`qt`.
    """

    def __init__(
        self,
        coro,
        *,
        watch,
        done_callback=None,
        debug=None,
        loop_factory=None,
        step_budget=STEP_BUDGET,
    ):
        if not asyncio.iscoroutine(coro):
            raise TypeError(f"a coroutine was expected, got {coro!r}")
        self._loop = loop_factory() if loop_factory is not None else EventLoop()
        self._done_callback = done_callback
        self._state = _PENDING
        self._value = None
        self._fatal = None
        self._interrupted = False
        self._sigint = False
        self._ending = False
        try:
            if debug is not None:
                self._loop.set_debug(debug)
            self._fd = self._loop._guest_begin(step_budget)
        except BaseException:
            coro.close()
            self._loop.close()
            raise
        self._task = self._loop.create_task(coro)
        self._task.add_done_callback(self._main_done)
        self._install_sigint()
        try:
            self._unwatch = watch(self._fd, self.step)
        except BaseException:
            self._task.cancel()
            self._loop._guest_end()
            self._loop.close()
            raise

    # ----- for hosts -------------------------------------------------------------------------

    def fileno(self):
        """The descriptor to watch for readability (valid until the run ends)."""
        return self._fd

    def timeout(self):
        """Seconds until the next step is due at the latest (0 when work is ready), or None
        when only I/O or another thread can bring work. The descriptor turns readable at that
        time too; hosts that watch it need not keep a timer."""
        if self._state != _PENDING:
            return None
        return self._loop._core.guest_timeout()

    def step(self, *_):
        """Runs what is ready now and returns; never blocks. Ends the run once its main
        coroutine and the shutdown after it are done. Extra arguments (a toolkit's callback
        arguments) are ignored."""
        if self._state != _PENDING:
            return
        try:
            stopped = self._loop._guest_step()
        except (KeyboardInterrupt, SystemExit) as e:
            # As in asyncio.run: the run ends with it, after the tasks are cancelled.
            self._fatal = self._fatal or e
            self._task.cancel()
        else:
            if stopped and not self._task.done():
                # loop.stop(): run_until_complete would raise this; asyncio.run would then
                # cancel what is left.
                self._fatal = self._fatal or RuntimeError(
                    "Event loop stopped before the main coroutine completed."
                )
                self._task.cancel()
        if self._ending:
            self._finish()

    # ----- the outcome -----------------------------------------------------------------------

    @property
    def loop(self):
        """The guest loop (closed once the run ended)."""
        return self._loop

    @property
    def task(self):
        """The main task."""
        return self._task

    def cancel(self, msg=None):
        """Cancels the main task (a window closing): the run then ends as usual, its outcome
        a ``CancelledError``. Returns False if the main task had already ended."""
        if self._state != _PENDING:
            return False
        return self._task.cancel(msg)

    def done(self):
        """Whether the run ended (the done callback was called)."""
        return self._state != _PENDING

    def result(self):
        """The main coroutine's result, or its exception raised (``CancelledError`` if it
        was cancelled; ``KeyboardInterrupt`` after Ctrl-C). ``InvalidStateError`` before the
        run ended."""
        if self._state == _PENDING:
            raise asyncio.InvalidStateError("the guest run has not ended")
        if self._state == _EXCEPTION:
            raise self._value
        return self._value

    def exception(self):
        """The exception the run ended with, or None."""
        if self._state == _PENDING:
            raise asyncio.InvalidStateError("the guest run has not ended")
        return self._value if self._state == _EXCEPTION else None

    def __repr__(self):
        state = ("running", "done", "failed")[self._state]
        return f"<GuestRun {state} task={self._task!r}>"

    # ----- the end ---------------------------------------------------------------------------

    def _main_done(self, task):
        self._loop.create_task(
            self._shutdown(), name="guest shutdown"
        ).add_done_callback(self._shutdown_done)

    async def _shutdown(self):
        # What asyncio.run does after the main coroutine, as tasks on the still-running loop.
        me = asyncio.current_task()
        left = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
        for t in left:
            t.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        for t in left:
            if t.cancelled():
                continue
            if t.exception() is not None:
                self._loop.call_exception_handler(
                    {
                        "message": "unhandled exception during guest run shutdown",
                        "exception": t.exception(),
                        "task": t,
                    }
                )
        await self._loop.shutdown_asyncgens()
        await self._loop.shutdown_default_executor()

    def _shutdown_done(self, _):
        self._ending = True

    def _finish(self):
        self._ending = False
        try:
            self._unwatch()
        finally:
            self._remove_sigint()
            self._loop._guest_end()
            self._loop.close()
        task = self._task
        if self._fatal is not None:
            self._state, self._value = _EXCEPTION, self._fatal
        elif task.cancelled():
            if self._interrupted:
                self._state, self._value = _EXCEPTION, KeyboardInterrupt()
            else:
                try:
                    task.result()
                except asyncio.CancelledError as e:
                    self._state, self._value = _EXCEPTION, e
        elif task.exception() is not None:
            self._state, self._value = _EXCEPTION, task.exception()
        else:
            self._state, self._value = _RESULT, task.result()
        if self._done_callback is not None:
            self._done_callback(self)

    # ----- Ctrl-C, as asyncio.run has it ----------------------------------------------------

    def _install_sigint(self):
        # The first Ctrl-C cancels the main task and the run ends with KeyboardInterrupt; a
        # second one raises at once. Through the loop's signal handling, whose wake-up
        # descriptor the loop watches: the host is woken even while it waits in C.
        if (
            threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        ):
            return
        try:
            self._loop.add_signal_handler(signal.SIGINT, self._on_sigint)
        except (ValueError, RuntimeError, OSError):
            return
        self._sigint = True

    def _on_sigint(self):
        if self._interrupted or self._task.done():
            # The second time (or during the shutdown): as Python's default handler.
            self._remove_sigint()
            raise KeyboardInterrupt()
        self._interrupted = True
        self._task.cancel()

    def _remove_sigint(self):
        if self._sigint:
            self._sigint = False
            if not self._loop.is_closed():
                self._loop.remove_signal_handler(signal.SIGINT)
            if signal.getsignal(signal.SIGINT) in (signal.SIG_DFL, None):
                signal.signal(signal.SIGINT, signal.default_int_handler)


def start(
    coro,
    *,
    watch,
    done_callback=None,
    debug=None,
    loop_factory=None,
    step_budget=STEP_BUDGET,
):
    """Runs ``coro`` in guest mode on a host that watches descriptors itself, and returns at
    once (a :class:`GuestRun`).

    ``watch(fd, step)`` is called once: the host must call ``step()`` whenever ``fd`` is
    readable, on its own thread (this one), and return a function that stops watching, which
    is called when the run ends. Level-triggered: while the loop has work, ``fd`` stays
    readable.
    """
    return GuestRun(
        coro,
        watch=watch,
        done_callback=done_callback,
        debug=debug,
        loop_factory=loop_factory,
        step_budget=step_budget,
    )


def start_guest_run(
    coro,
    *,
    run_sync_soon_threadsafe,
    done_callback,
    run_sync_soon_not_threadsafe=None,
    debug=None,
    loop_factory=None,
    step_budget=STEP_BUDGET,
):
    """Runs ``coro`` in guest mode, trio's way, and returns at once (a :class:`GuestRun`).

    For hosts that cannot watch a descriptor but can run a function soon on their thread when
    asked from another one (``run_sync_soon_threadsafe``): a helper thread waits for the loop
    to have work and asks the host to run one step, then waits for that step to finish. Only
    the host's thread runs Python callbacks. ``done_callback(run)`` is called, on the host's
    thread, once the run ended. ``run_sync_soon_not_threadsafe`` is accepted for trio's
    signature; steps are always handed over with the thread-safe one.
    """
    del run_sync_soon_not_threadsafe
    return GuestRun(
        coro,
        watch=_Waiter(run_sync_soon_threadsafe).watch,
        done_callback=done_callback,
        debug=debug,
        loop_factory=loop_factory,
        step_budget=step_budget,
    )


class _Waiter:
    """The helper thread of :func:`start_guest_run`: waits for the descriptor (the GIL
    released), hands a step to the host, waits for it to run, and so on."""

    def __init__(self, run_sync_soon_threadsafe):
        self._run_soon = run_sync_soon_threadsafe
        self._stepped = threading.Event()
        self._stop_r, self._stop_w = os.pipe()
        self._stopped = False

    def watch(self, fd, step):
        def host_step():
            try:
                if not self._stopped:
                    step()
            finally:
                self._stepped.set()

        def wait():
            try:
                while not self._stopped:
                    ready, _, _ = select.select([fd, self._stop_r], [], [])
                    if self._stopped or self._stop_r in ready:
                        break
                    self._stepped.clear()
                    self._run_soon(host_step)
                    self._stepped.wait()
            finally:
                os.close(self._stop_r)

        thread = threading.Thread(
            target=wait, name="asyncio_rs guest waiter", daemon=True
        )
        thread.start()
        return self.unwatch

    def unwatch(self):
        # Called on the host's thread, inside a step: the waiter is parked on `_stepped` and
        # sees `_stopped` before it could select on the descriptor again.
        self._stopped = True
        os.write(self._stop_w, b"x")
        os.close(self._stop_w)


def tk(
    root,
    coro,
    *,
    done_callback=None,
    debug=None,
    loop_factory=None,
    step_budget=STEP_BUDGET,
):
    """Runs ``coro`` in guest mode inside Tk's ``mainloop`` and returns at once.

    Tk watches the loop's descriptor (``createfilehandler``; while the loop stays busy, the
    steps are chained with ``after(0)`` so that Tk's own timers keep their turn): no thread.
    Closing the window
    (``WM_DELETE_WINDOW``) cancels the run, and the window is destroyed once the run ended.
    When the run ends, ``done_callback(run)`` is called if given; otherwise the window is
    destroyed (ending ``mainloop``) and the outcome is left in the returned run.
    """
    import tkinter

    closing = []

    def watch(fd, step):
        # While the loop is busy (work ready after a step), steps are chained with `after 0`
        # rather than by the descriptor: Tcl then runs timers in the order they fell due, so
        # the application's own `after` callbacks wait one step at most, not two.
        state = {"watching": False, "after": None}

        def readable(*_):
            step()
            if busy():
                stop_watching()
                state["after"] = root.after(0, chained)

        def chained():
            state["after"] = None
            step()
            if busy():
                state["after"] = root.after(0, chained)
            elif not run.done():
                start_watching()

        def busy():
            return not run.done() and run.timeout() == 0

        def start_watching():
            if not state["watching"]:
                root.tk.createfilehandler(fd, tkinter.READABLE, readable)
                state["watching"] = True

        def stop_watching():
            if state["watching"]:
                root.tk.deletefilehandler(fd)
                state["watching"] = False

        def unwatch():
            stop_watching()
            if state["after"] is not None:
                root.after_cancel(state["after"])
                state["after"] = None

        start_watching()
        return unwatch

    def on_close():
        closing.append(True)
        if not run.cancel():
            root.destroy()

    def done(run):
        if done_callback is not None:
            done_callback(run)
        if done_callback is None or closing:
            try:
                root.destroy()
            except tkinter.TclError:
                pass  # already gone

    run = GuestRun(
        coro,
        watch=watch,
        done_callback=done,
        debug=debug,
        loop_factory=loop_factory,
        step_budget=step_budget,
    )
    root.protocol("WM_DELETE_WINDOW", on_close)
    return run


def qt(
    coro,
    *,
    done_callback=None,
    debug=None,
    loop_factory=None,
    step_budget=STEP_BUDGET,
):
    """Runs ``coro`` in guest mode inside Qt's event loop (PySide6 or PyQt6; a
    ``QApplication`` or ``QCoreApplication`` must exist) and returns at once.

    A ``QSocketNotifier`` watches the loop's descriptor: no thread. Closing the last window
    cancels the run, and the application quits once the run ended. When the run ends,
    ``done_callback(run)`` is called if given; otherwise the application quits.
    """
    QtCore = _qt_core()
    app = QtCore.QCoreApplication.instance()
    if app is None:
        raise RuntimeError("qt(): make the QApplication first")

    def watch(fd, step):
        notifier = QtCore.QSocketNotifier(fd, QtCore.QSocketNotifier.Type.Read)
        notifier.activated.connect(step)
        notifier.setEnabled(True)

        def unwatch():
            notifier.setEnabled(False)
            notifier.activated.disconnect()
            notifier.deleteLater()

        return unwatch

    gui = hasattr(app, "lastWindowClosed")  # a QGuiApplication: it has windows

    def done(run):
        if gui:
            app.setQuitOnLastWindowClosed(quit_on_last)
            try:
                app.lastWindowClosed.disconnect(on_last_closed)
            except (RuntimeError, TypeError):
                pass
        if done_callback is not None:
            done_callback(run)
        if done_callback is None or closing:
            app.quit()

    # Closing the last window cancels the run; the application quits once it has ended.
    closing = []

    def on_last_closed():
        closing.append(True)
        if not run.cancel():
            app.quit()

    quit_on_last = app.quitOnLastWindowClosed() if gui else False
    run = GuestRun(
        coro,
        watch=watch,
        done_callback=done,
        debug=debug,
        loop_factory=loop_factory,
        step_budget=step_budget,
    )
    if gui:
        app.setQuitOnLastWindowClosed(False)
        app.lastWindowClosed.connect(on_last_closed)
    return run


def _qt_core():
    try:
        from PySide6 import QtCore
    except ImportError:
        try:
            from PyQt6 import QtCore
        except ImportError:
            raise ImportError("qt() needs PySide6 or PyQt6") from None
    return QtCore
