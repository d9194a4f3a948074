"""Guest mode (``asyncio_rs.guest``): the loop driven by another event loop on its thread.

First with the plainest hosts there are (a queue of callables for ``start_guest_run``,
``select`` for ``start``), then inside real toolkits: Tk under Xvfb (started here, skipped with
a message without it), Qt offscreen where PySide6 is installed. Each toolkit test checks what
a GUI program relies on: timers fire on time while the GUI's loop runs, sockets work (an
aiohttp request against a local aiohttp server), the GUI's own timers keep their rate while
10,000 tasks run, a button's callback can start a task whose result reaches a label, and
closing the window cancels the run cleanly.
"""

import asyncio
import collections
import gc
import os
import pathlib
import queue
import select
import signal
import statistics
import subprocess
import sys
import threading
import time
import unittest

import asyncio_rs
import asyncio_rs.guest
import asyncio_rs.http
import xvfb
from test_http import Peer, need, open_fds

HERE = pathlib.Path(__file__).parent
EXAMPLES = HERE.parent / "examples"


class QueueHost:
    """A host loop at its simplest: runs the callables other threads put in its queue."""

    def __init__(self):
        self.queue = queue.Queue()
        self.outcomes = []
        self.threads = []

    def run_sync_soon_threadsafe(self, fn):
        self.queue.put(fn)

    def done(self, run):
        self.threads.append(threading.get_ident())
        self.outcomes.append(run)

    def run(self, coro, between=None, **kwargs):
        run = asyncio_rs.start_guest_run(
            coro,
            run_sync_soon_threadsafe=self.run_sync_soon_threadsafe,
            done_callback=self.done,
            **kwargs,
        )
        while not self.outcomes:
            self.queue.get(timeout=30)()
            if between is not None:
                between(run)
        return run


def select_host(coro, between=None, **kwargs):
    """A host that watches the descriptor itself (``start``): select, step, repeat."""
    watched = {}
    done = []

    def watch(fd, step):
        watched[fd] = step
        return lambda: watched.pop(fd)

    run = asyncio_rs.guest.start(coro, watch=watch, done_callback=done.append, **kwargs)
    while not done:
        ready, _, _ = select.select(list(watched), [], [], 30)
        if not ready:
            raise AssertionError("the guest never woke its host")
        for fd in ready:
            watched[fd]()
        if between is not None:
            between(run)
    return run


async def sleeps_lateness(n=50, delay=0.005):
    """The median lateness of ``n`` sleeps of ``delay`` seconds."""
    late = []
    for _ in range(n):
        t = time.perf_counter()
        await asyncio.sleep(delay)
        late.append(time.perf_counter() - t - delay)
    return statistics.median(late)


# The GUI's own timer period, and the burst: 10,000 tasks, woken at once, each taking 5 µs of
# CPU per step for ROUNDS steps. One batch (all tasks once) is ~50 ms: a host that had to wait
# for whole batches would see its timer stall that long.
TICK = 0.010
ROUNDS = 5


async def burst(tasks=10_000, work=5e-6):
    """Runs the burst after an idle spell of 0.3 s; returns when each began and ended."""
    go = asyncio.Event()

    async def one():
        await go.wait()
        for _ in range(ROUNDS):
            t = time.perf_counter()
            while time.perf_counter() - t < work:
                pass
            await asyncio.sleep(0)

    # A collection of the 10,000 tasks' objects is one pause of tens of milliseconds that no
    # scheduler can split: the collector is off for the burst.
    gc.disable()
    try:
        return await _burst(go, one, tasks)
    finally:
        gc.enable()


async def _burst(go, one, tasks):
    running = [asyncio.ensure_future(one()) for _ in range(tasks)]
    await asyncio.sleep(0.05)  # the tasks made (one long callback), the host caught up
    # The host's timer rate with the loop idle, on this machine as loaded as it is now.
    idle_start = time.perf_counter()
    await asyncio.sleep(0.3)
    idle_end = time.perf_counter()
    # Waking 10,000 waiters is one callback (Event.set) that no scheduler can split: the
    # measurement starts after it.
    go.set()
    start = time.perf_counter()
    await asyncio.gather(*running)
    return (idle_start, idle_end), (start, time.perf_counter())


def assert_rate_kept(test, ticks, spans):
    """The GUI's timer kept at least half its idle rate during the burst, and never waited as
    long as 60% of one batch (the step budget hands the thread back every 4 ms)."""
    (idle_start, idle_end), (start, end) = spans
    idle_rate = sum(idle_start <= t <= idle_end for t in ticks) / (
        idle_end - idle_start
    )
    during = [t for t in ticks if start <= t <= end]
    gaps = [b - a for a, b in zip([start] + during, during + [end])]
    batch = (end - start) / ROUNDS
    detail = (
        f"{len(during)} ticks in {(end - start) * 1e3:.0f} ms (a batch {batch * 1e3:.0f} ms), "
        f"{idle_rate:.0f}/s idle; gaps {[round(g * 1e3, 1) for g in gaps]} ms"
    )
    test.assertGreater(idle_rate, 0, detail)
    test.assertGreaterEqual(len(during) / (end - start), idle_rate * 0.5, detail)
    test.assertLess(max(gaps), batch * 0.6, detail)


class OnAPlainHost(unittest.TestCase):
    def test_the_outcome_reaches_done_on_the_hosts_thread_after_asyncio_runs_shutdown(
        self,
    ):
        host = QueueHost()
        cleaned = []

        async def forever():
            try:
                await asyncio.Event().wait()
            finally:
                cleaned.append("background")

        async def agen():
            try:
                yield 1
                yield 2
            finally:
                cleaned.append("agen")

        async def main():
            asyncio.get_running_loop().create_task(forever())
            it = agen()
            await it.__anext__()
            await asyncio.sleep(0.01)
            inside = await asyncio.get_running_loop().run_in_executor(None, lambda: 41)
            return inside + 1

        run = host.run(main())
        self.assertEqual(run.result(), 42)
        self.assertIsNone(run.exception())
        self.assertEqual(host.threads, [threading.get_ident()])
        # As after asyncio.run: the task left over was cancelled, the async generator
        # closed, the loop closed; the thread has no running loop any more.
        self.assertEqual(sorted(cleaned), ["agen", "background"])
        self.assertTrue(run.loop.is_closed())
        self.assertFalse(run.loop.is_running())
        with self.assertRaises(RuntimeError):
            asyncio.get_running_loop()

    def test_an_exception_and_a_cancellation_are_the_outcome(self):
        async def fails():
            await asyncio.sleep(0)
            raise ValueError("boom")

        run = QueueHost().run(fails())
        self.assertIsInstance(run.exception(), ValueError)
        with self.assertRaisesRegex(ValueError, "boom"):
            run.result()

        def cancel_soon(run):
            run.cancel("window closed")

        run = QueueHost().run(asyncio.Event().wait(), between=cancel_soon)
        self.assertIsInstance(run.exception(), asyncio.CancelledError)
        self.assertFalse(run.cancel(), "an ended run cannot be cancelled")

    def test_before_the_end_there_is_no_outcome(self):
        host = QueueHost()
        run = asyncio_rs.start_guest_run(
            asyncio.sleep(0),
            run_sync_soon_threadsafe=host.run_sync_soon_threadsafe,
            done_callback=host.done,
        )
        self.assertFalse(run.done())
        with self.assertRaises(asyncio.InvalidStateError):
            run.result()
        while not host.outcomes:
            host.queue.get(timeout=30)()
        self.assertTrue(run.done())

    def test_host_code_between_steps_sees_the_running_loop_and_its_tasks_wake_the_host(
        self,
    ):
        results = []
        started = []

        async def job():
            await asyncio.sleep(0)
            results.append("job done")

        async def main():
            while not results:
                await asyncio.sleep(0.01)
            return results

        def between(run):
            # Host code (a button's callback): the guest loop is the running loop, and a task
            # made here runs without anything else waking the host.
            if not started:
                self.assertIs(asyncio.get_running_loop(), run.loop)
                started.append(asyncio.get_running_loop().create_task(job()))

        run = select_host(main(), between=between)
        self.assertEqual(run.result(), ["job done"])

    def test_another_threads_call_soon_threadsafe_wakes_the_host(self):
        async def main():
            loop = asyncio.get_running_loop()
            fut = loop.create_future()
            threading.Thread(
                target=lambda: loop.call_soon_threadsafe(
                    fut.set_result, "from a thread"
                )
            ).start()
            return await fut

        self.assertEqual(select_host(main()).result(), "from a thread")
        self.assertEqual(QueueHost().run(main()).result(), "from a thread")

    def test_timers_fire_on_time(self):
        for host in (select_host, QueueHost().run):
            lateness = host(sleeps_lateness()).result()
            self.assertLess(lateness, 0.002, f"median lateness {lateness * 1e3:.2f} ms")

    @unittest.skipUnless(
        threading.current_thread() is threading.main_thread(),
        "signals: main thread only",
    )
    def test_ctrl_c_cancels_the_main_task_and_the_run_ends_with_keyboard_interrupt(
        self,
    ):
        cleaned = []

        async def main():
            try:
                os.kill(os.getpid(), signal.SIGINT)
                await asyncio.sleep(30)
            finally:
                cleaned.append(True)

        run = QueueHost().run(main())
        self.assertIsInstance(run.exception(), KeyboardInterrupt)
        self.assertEqual(cleaned, [True])
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)

    def test_a_keyboard_interrupt_from_a_callback_ends_the_run_with_it(self):
        async def main():
            def interrupt():
                raise KeyboardInterrupt

            asyncio.get_running_loop().call_soon(interrupt)
            await asyncio.sleep(30)

        run = select_host(main())
        self.assertIsInstance(run.exception(), KeyboardInterrupt)
        self.assertTrue(run.loop.is_closed())

    def test_stop_ends_the_run_as_run_until_complete_would(self):
        async def main():
            asyncio.get_running_loop().stop()
            await asyncio.sleep(30)

        run = select_host(main())
        with self.assertRaisesRegex(RuntimeError, "stopped before"):
            run.result()

    def test_a_second_run_on_the_thread_is_refused_while_one_is_on(self):
        host = QueueHost()
        first = asyncio_rs.start_guest_run(
            asyncio.sleep(0.01),
            run_sync_soon_threadsafe=host.run_sync_soon_threadsafe,
            done_callback=host.done,
        )
        coro = asyncio.sleep(0)
        with self.assertRaises(RuntimeError):
            asyncio_rs.start_guest_run(
                coro,
                run_sync_soon_threadsafe=host.run_sync_soon_threadsafe,
                done_callback=host.done,
            )
        while not host.outcomes:
            host.queue.get(timeout=30)()
        self.assertIsNone(first.result())
        # The refused run's coroutine was closed, not left to warn "never awaited".
        self.assertIsNone(coro.cr_frame)

    def test_a_long_batch_is_split_by_the_step_budget_in_order(self):
        order = []
        steps = []

        async def main():
            loop = asyncio.get_running_loop()

            def work(i):
                t = time.perf_counter()
                while time.perf_counter() - t < 0.0001:
                    pass
                order.append(i)

            for i in range(200):  # 20 ms of callbacks in one batch
                loop.call_soon(work, i)
            await asyncio.sleep(0)

        def between(run):
            steps.append(len(order))

        select_host(main(), between=between, step_budget=0.002)
        self.assertEqual(order, list(range(200)))
        per_step = [b - a for a, b in zip([0] + steps, steps)]
        # 2 ms hold 20 callbacks of 0.1 ms, plus the up to 15 run before the clock is read.
        self.assertLessEqual(max(per_step), 36, per_step)


class InTk(unittest.TestCase):
    """Tk's mainloop as the host (``asyncio_rs.guest.tk``), on an Xvfb display."""

    @classmethod
    def setUpClass(cls):
        cls.x = xvfb.shared()

    def setUp(self):
        import tkinter

        self.tkinter = tkinter
        self.root = tkinter.Tk(screenName=self.x.display)
        self.addCleanup(self.destroy)

    def destroy(self):
        try:
            for pending in self.root.tk.splitlist(self.root.tk.call("after", "info")):
                self.root.after_cancel(pending)
            self.root.destroy()
        except self.tkinter.TclError:
            pass  # already destroyed
        del self.root
        gc.collect()

    def run_in_tk(self, coro, **kwargs):
        run = asyncio_rs.guest.tk(self.root, coro, **kwargs)
        self.root.mainloop()
        self.assertTrue(run.done(), "mainloop returned before the run ended")
        return run

    def test_timers_fire_on_time_while_tk_runs(self):
        ticks = []

        def tick():
            ticks.append(1)
            self.root.after(5, tick)

        self.root.after(5, tick)
        lateness = self.run_in_tk(sleeps_lateness()).result()
        self.assertLess(lateness, 0.002, f"median lateness {lateness * 1e3:.2f} ms")
        self.assertGreater(len(ticks), 10, "Tk's own timer did not run alongside")

    def test_an_aiohttp_request_from_inside_a_tk_app(self):
        need("aiohttp")
        import aiohttp

        peer = Peer()
        self.addCleanup(peer.stop)

        async def main():
            async with (
                aiohttp.ClientSession() as session,
                session.get(peer.base + "/page") as resp,
            ):
                body = await resp.read()
            async with (
                asyncio_rs.http.ClientSession() as session,
                session.get(peer.base + "/text") as resp,
            ):
                text = await resp.text()
            return resp.status, len(body), text

        status, size, text = self.run_in_tk(main()).result()
        self.assertEqual(status, 200)
        self.assertEqual(size, 2034)
        self.assertEqual(text, "h\u00e9llo w\u00f6rld")

    def test_tks_own_timers_keep_their_rate_while_10000_tasks_run(self):
        ticks = []

        def tick():
            ticks.append(time.perf_counter())
            self.root.after(int(TICK * 1000), tick)

        self.root.after(int(TICK * 1000), tick)
        assert_rate_kept(self, ticks, self.run_in_tk(burst()).result())

    def test_a_button_starts_a_task_whose_result_updates_a_label(self):
        ttk = __import__("tkinter.ttk").ttk
        label = ttk.Label(self.root, text="-")
        label.pack()

        async def compute():
            await asyncio.sleep(0.01)
            return 6 * 7

        updated = []

        def on_click():
            # Tk's callback, between two steps: a task on the guest loop.
            task = asyncio.get_running_loop().create_task(compute())

            def show(task):
                label.configure(text=str(task.result()))
                updated[0].set()

            task.add_done_callback(show)

        button = ttk.Button(self.root, text="Compute", command=on_click)
        button.pack()

        async def main():
            updated.append(asyncio.Event())
            self.root.update_idletasks()
            # A real click, through X: pointer in, press, release.
            w, h = button.winfo_width(), button.winfo_height()
            button.event_generate("<Enter>", x=w // 2, y=h // 2)
            button.event_generate("<ButtonPress-1>", x=w // 2, y=h // 2)
            button.event_generate("<ButtonRelease-1>", x=w // 2, y=h // 2)
            await asyncio.wait_for(updated[0].wait(), 30)
            return label["text"]

        self.assertEqual(self.run_in_tk(main()).result(), "42")

    def test_closing_the_window_cancels_the_run_cleanly(self):
        cleaned = []

        async def child():
            try:
                await asyncio.sleep(30)
            finally:
                cleaned.append("child")

        async def main():
            asyncio.get_running_loop().create_task(child())
            try:
                await asyncio.sleep(30)
            finally:
                cleaned.append("main")

        def close():
            # What the window manager's close button does.
            self.root.tk.call(self.root.protocol("WM_DELETE_WINDOW"))

        self.root.after(50, close)
        fds_before = open_fds()
        run = self.run_in_tk(main())
        self.assertIsInstance(run.exception(), asyncio.CancelledError)
        self.assertEqual(sorted(cleaned), ["child", "main"])
        self.assertTrue(run.loop.is_closed())
        with self.assertRaises(self.tkinter.TclError):
            self.root.winfo_exists()  # destroyed: mainloop returned because of it
        del (
            run
        )  # the loop's descriptors go with the loop object, as its last user lets go
        left = collections.Counter(open_fds()) - collections.Counter(fds_before)
        self.assertFalse(left, "descriptors left behind")

    def test_the_demo_redraws_its_counter_while_a_fetch_is_in_flight(self):
        # GUEST_TK_SCREENSHOT=docs/guest-tk.png keeps a screenshot taken mid-fetch.
        need("aiohttp")  # the peer
        peer = Peer()
        self.addCleanup(peer.stop)
        sys.path.insert(0, str(EXAMPLES))
        self.addCleanup(sys.path.remove, str(EXAMPLES))
        import guest_tk

        app = guest_tk.App(self.root, peer.base + "/hang")
        shots = []

        async def main():
            counting = asyncio.get_running_loop().create_task(app.main())
            await asyncio.sleep(0.3)
            app.button.invoke()  # the button's command: starts the fetch task
            hanging = app.fetch_task
            for _ in range(2):
                await asyncio.sleep(0.35)  # time for the counter to move
                self.root.update_idletasks()
                shots.append((app.counter["text"], self.x.screen()))
            if os.environ.get("GUEST_TK_SCREENSHOT"):
                self.x.screenshot(
                    os.environ["GUEST_TK_SCREENSHOT"],
                    self.root.winfo_width(),
                    self.root.winfo_height(),
                )
            fetching = app.status["text"]
            in_flight = not hanging.done()
            app.url.set(peer.base + "/page")
            app.button.invoke()  # cancels the hanging fetch, starts one that answers
            await asyncio.wait_for(app.fetch_task, 30)
            counting.cancel()
            return in_flight, fetching, hanging.cancelled(), app.status["text"]

        in_flight, fetching, cancelled, status = self.run_in_tk(main()).result()
        self.assertTrue(in_flight, "the hanging fetch ended")
        self.assertEqual(fetching, f"fetching {peer.base}/hang ...")
        self.assertTrue(cancelled, "the second click did not cancel the first fetch")
        self.assertEqual(status, "200 OK: 2034 bytes")
        (first, screen1), (second, screen2) = shots
        self.assertNotEqual(first, second, "the counter stood still")
        self.assertNotEqual(screen1[2], screen2[2], "the screen was not redrawn")


class SeedsInTk(unittest.TestCase):
    """The seed programs that run a coroutine with ``asyncio.run`` print the same with that
    coroutine run inside a Tk application instead (``asyncio.run`` swapped for a Tk window
    whose mainloop hosts the run). The three that drive a loop by hand (``run_forever``,
    ``run_until_complete``) are not coroutines handed over, and are left out."""

    TK_RUN = """
import asyncio, runpy, sys, tkinter
import asyncio_rs.guest
import asyncio_rs.http
def run_in_tk(main, *, debug=None):
    root = tkinter.Tk()
    run = asyncio_rs.guest.tk(root, main, debug=debug)
    root.mainloop()
    return run.result()
asyncio.run = run_in_tk
runpy.run_path(sys.argv[1], run_name="__main__")
"""

    def test_seed_coroutines_print_the_same_inside_tk(self):
        import test_seeds

        x = xvfb.shared()
        seeds = test_seeds.Seeds()
        seeds.setUp()
        self.addCleanup(seeds.tearDown)
        env = dict(os.environ, DISPLAY=x.display)
        runs = {}
        for seed in test_seeds.SEEDS:
            if "asyncio.run(" not in seed.read_text():
                continue
            prog = seeds.runnable(seed)
            if prog is None:
                continue
            runs[seed.name] = [
                subprocess.Popen(
                    cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
                )
                for cmd in (
                    [sys.executable, str(prog)],
                    [sys.executable, "-c", self.TK_RUN, str(prog)],
                )
            ]
        self.assertGreaterEqual(len(runs), 10)
        for name, (theirs, ours) in runs.items():
            with self.subTest(name):
                want, want_err = theirs.communicate(timeout=120)
                got, got_err = ours.communicate(timeout=120)
                self.assertEqual(theirs.returncode, 0, want_err.decode())
                self.assertEqual(ours.returncode, 0, got_err.decode())
                self.assertEqual(test_seeds.masked(got), test_seeds.masked(want))


def need_qt():
    """Skips (fails under CI) without PySide6 or PyQt6."""
    import importlib.util

    if importlib.util.find_spec("PySide6") or importlib.util.find_spec("PyQt6"):
        return
    if os.environ.get("CI"):
        raise AssertionError("PySide6 is missing, which CI installs")
    raise unittest.SkipTest("needs PySide6 or PyQt6 (pip install PySide6-Essentials)")


class InQt(unittest.TestCase):
    """Qt's event loop as the host (``asyncio_rs.guest.qt``), offscreen."""

    @classmethod
    def setUpClass(cls):
        need_qt()
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        QtCore = asyncio_rs.guest._qt_core()
        try:
            from PySide6 import QtWidgets
        except ImportError:
            from PyQt6 import QtWidgets
        cls.QtCore, cls.QtWidgets = QtCore, QtWidgets
        cls.app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])

    def run_in_qt(self, coro, **kwargs):
        run = asyncio_rs.guest.qt(coro, **kwargs)
        self.app.exec()
        self.assertTrue(run.done(), "Qt's loop returned before the run ended")
        return run

    def test_timers_fire_on_time_while_qt_runs(self):
        lateness = self.run_in_qt(sleeps_lateness()).result()
        self.assertLess(lateness, 0.002, f"median lateness {lateness * 1e3:.2f} ms")

    def test_an_aiohttp_request_from_inside_a_qt_app(self):
        need("aiohttp")
        import aiohttp

        peer = Peer()
        self.addCleanup(peer.stop)

        async def main():
            async with (
                aiohttp.ClientSession() as session,
                session.get(peer.base + "/page") as resp,
            ):
                return resp.status, len(await resp.read())

        self.assertEqual(self.run_in_qt(main()).result(), (200, 2034))

    def test_qts_own_timer_keeps_its_rate_while_10000_tasks_run(self):
        ticks = []
        timer = self.QtCore.QTimer()
        timer.setInterval(int(TICK * 1000))
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        self.addCleanup(timer.stop)
        assert_rate_kept(self, ticks, self.run_in_qt(burst()).result())

    def test_closing_the_last_window_cancels_the_run(self):
        window = self.QtWidgets.QLabel("guest")
        window.show()
        cleaned = []

        async def main():
            try:
                await asyncio.sleep(30)
            finally:
                cleaned.append(True)

        self.QtCore.QTimer.singleShot(50, window.close)
        run = self.run_in_qt(main())
        self.assertIsInstance(run.exception(), asyncio.CancelledError)
        self.assertEqual(cleaned, [True])
        self.assertTrue(run.loop.is_closed())


if __name__ == "__main__":
    unittest.main()
