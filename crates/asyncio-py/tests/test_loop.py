"""asyncio_rs's loop: what it must do as asyncio's loop does, and what only it can get wrong
(the GIL while it waits, signals during a wait, descriptors, errors in callbacks).

    python -m unittest discover -s crates/asyncio-py/tests -p 'test_*.py'
"""

import asyncio
import contextvars
import os
import signal
import threading
import unittest

import asyncio_rs


def open_fds():
    return len(os.listdir("/proc/self/fd"))


class Basics(unittest.TestCase):
    def test_run_uses_our_loop_and_returns_the_result(self):
        async def main():
            return type(asyncio.get_running_loop())

        self.assertIs(asyncio_rs.run(main()), asyncio_rs.EventLoop)

    def test_install_makes_new_loops_ours(self):
        asyncio_rs.install()
        try:
            loop = asyncio.new_event_loop()
            self.assertIsInstance(loop, asyncio_rs.EventLoop)
            loop.close()
        finally:
            asyncio.set_event_loop_policy(None)

    def test_callbacks_run_in_order_and_timers_by_time(self):
        loop = asyncio_rs.new_event_loop()
        seen = []
        loop.call_later(0.02, seen.append, "late")
        loop.call_later(0.01, seen.append, "early")
        for i in range(3):
            loop.call_soon(seen.append, i)
        cancelled = loop.call_soon(seen.append, "cancelled")
        cancelled.cancel()
        self.assertTrue(cancelled.cancelled())
        loop.call_later(0.03, loop.stop)
        loop.run_forever()
        loop.close()
        self.assertEqual(seen, [0, 1, 2, "early", "late"])

    def test_timer_handles_know_when(self):
        loop = asyncio_rs.new_event_loop()
        h = loop.call_at(loop.time() + 10, lambda: None)
        self.assertAlmostEqual(h.when() - loop.time(), 10, delta=0.5)
        h.cancel()
        loop.close()

    def test_timer_handles_are_handles_and_plain_ones_have_no_when(self):
        # As asyncio's classes: TimerHandle subclasses Handle, and only it has when().
        loop = asyncio_rs.new_event_loop()
        plain = loop.call_soon(lambda: None)
        timer = loop.call_later(0, lambda: ran.append(1))
        ran = []
        self.assertIsInstance(timer, type(plain))
        self.assertIsNot(type(timer), type(plain))
        self.assertFalse(hasattr(plain, "when"))
        self.assertRegex(repr(timer), r"^<TimerHandle when=\S+ .*lambda")
        timer.cancel()
        self.assertTrue(timer.cancelled())
        self.assertRegex(repr(timer), r"^<TimerHandle cancelled when=")
        loop.call_soon(loop.stop)
        loop.run_forever()
        self.assertEqual(ran, [], "a cancelled timer never runs")
        loop.close()

    def test_callbacks_run_in_their_context(self):
        var = contextvars.ContextVar("var", default="unset")
        loop = asyncio_rs.new_event_loop()
        got = []
        ctx = contextvars.copy_context()
        ctx.run(var.set, "mine")
        loop.call_soon(lambda: got.append(var.get()), context=ctx)
        loop.call_soon(lambda: got.append(var.get()))
        loop.call_soon(loop.stop)
        loop.run_forever()
        loop.close()
        self.assertEqual(got, ["mine", "unset"])

    def test_a_closed_loop_refuses_work(self):
        loop = asyncio_rs.new_event_loop()
        loop.close()
        with self.assertRaises(RuntimeError):
            loop.call_soon(print)
        coro = asyncio.sleep(0)
        with self.assertRaises(RuntimeError):
            loop.run_until_complete(coro)
        coro.close()

    def test_closing_drops_what_never_ran_and_releases_its_references(self):
        # A queued callback and a pending timer are dropped unrun when the loop closes; what
        # they referred to goes with them at once (no garbage collection needed).
        import weakref

        class Target:
            def method(self):
                ran.append(1)

        ran = []
        loop = asyncio_rs.new_event_loop()
        soon, later = Target(), Target()
        refs = [weakref.ref(soon), weakref.ref(later)]
        loop.call_soon(soon.method)
        loop.call_later(3600, later.method)
        del soon, later
        self.assertTrue(all(r() is not None for r in refs), "queued: still alive")
        loop.close()
        self.assertEqual([r() for r in refs], [None, None])
        self.assertEqual(ran, [])

    def test_run_forever_on_a_running_loop_raises(self):
        async def main():
            with self.assertRaises(RuntimeError):
                asyncio.get_running_loop().run_forever()

        asyncio_rs.run(main())


class Package(unittest.TestCase):
    def test_the_version_is_the_crates_and_the_installed_wheels(self):
        import importlib.metadata
        import pathlib
        import re

        root = pathlib.Path(__file__).resolve().parents[3]
        cargo = (root / "Cargo.toml").read_text()
        crate = re.search(r'^version = "([^"]+)"', cargo, re.MULTILINE).group(1)
        self.assertEqual(asyncio_rs.__version__, crate)
        self.assertEqual(importlib.metadata.version("asyncio_rs"), crate)

    def test_the_package_is_typed(self):
        import pathlib

        here = pathlib.Path(asyncio_rs.__file__).parent
        self.assertTrue((here / "py.typed").exists())
        self.assertTrue((here / "__init__.pyi").exists())


class Collector(unittest.TestCase):
    def test_queued_handles_are_untracked_and_leave_no_cycle_behind(self):
        import gc
        import weakref

        loop = asyncio_rs.new_event_loop()

        class Holder:
            def method(self):
                pass

        holder = Holder()
        # A cycle through the handle: holder -> handle -> bound method -> holder.
        holder.handle = loop.call_soon(holder.method)
        self.assertFalse(gc.is_tracked(holder.handle))
        # Timers too (they let go of their callbacks when run, cancelled or dropped unrun by
        # the closing loop: test_behaviours.Cycles).
        self.assertFalse(gc.is_tracked(loop.call_later(3600, print)))
        gone = weakref.ref(holder)
        del holder
        loop.call_soon(loop.stop)
        loop.run_forever()  # the handle runs and lets its callback go
        gc.collect()
        self.assertIsNone(gone())
        loop.close()


class Threads(unittest.TestCase):
    def test_the_gil_is_free_while_the_loop_waits(self):
        # The future is completed by another thread only, which needs the GIL to run: if the
        # loop held it while waiting, neither could go on (the test would time out).
        async def main():
            loop = asyncio.get_running_loop()
            fut = loop.create_future()

            def worker():
                total = sum(range(100_000))  # Python code: needs the GIL
                loop.call_soon_threadsafe(fut.set_result, total)

            threading.Thread(target=worker).start()
            return await asyncio.wait_for(fut, 30)

        self.assertEqual(asyncio_rs.run(main()), sum(range(100_000)))

    def test_threadsafe_calls_keep_their_order(self):
        async def main():
            loop = asyncio.get_running_loop()
            got = []
            done = loop.create_future()

            def worker():
                for i in range(1000):
                    loop.call_soon_threadsafe(got.append, i)
                loop.call_soon_threadsafe(done.set_result, None)

            threading.Thread(target=worker).start()
            await done
            return got

        self.assertEqual(asyncio_rs.run(main()), list(range(1000)))

    def test_a_loop_belongs_to_its_thread(self):
        # Scheduling from another thread takes the thread-safe path (test_behaviours.py);
        # the loop's other methods refuse it.
        loop = asyncio_rs.new_event_loop()
        errors = []

        def other():
            try:
                loop._core.add_reader(0, print)
            except RuntimeError as e:
                errors.append(e)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        loop.close()
        self.assertEqual(len(errors), 1)


class Errors(unittest.TestCase):
    def test_an_exception_in_a_callback_goes_to_the_handler_and_the_loop_goes_on(self):
        loop = asyncio_rs.new_event_loop()
        contexts = []
        loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))
        after = []

        def boom():
            raise ValueError("boom")

        loop.call_soon(boom)
        loop.call_soon(after.append, "still running")
        loop.call_soon(loop.stop)
        loop.run_forever()
        loop.close()
        self.assertEqual(after, ["still running"])
        self.assertIsInstance(contexts[0]["exception"], ValueError)
        self.assertIn("Exception in callback", contexts[0]["message"])

    def test_keyboard_interrupt_in_a_callback_ends_the_run_and_the_loop_stays_usable(
        self,
    ):
        loop = asyncio_rs.new_event_loop()

        def interrupt():
            raise KeyboardInterrupt

        loop.call_soon(interrupt)
        with self.assertRaises(KeyboardInterrupt):
            loop.run_forever()
        self.assertEqual(loop.run_until_complete(asyncio.sleep(0, "again")), "again")
        loop.close()

    def test_ctrl_c_while_the_loop_waits_raises_keyboard_interrupt(self):
        loop = asyncio_rs.new_event_loop()
        waiting = threading.Event()
        loop.call_soon(waiting.set)

        def press():
            waiting.wait()
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=press).start()
        # Nothing else would wake the loop before the 60 s timer: the signal must.
        started = loop.time()
        with self.assertRaises(KeyboardInterrupt):
            loop.run_until_complete(asyncio.sleep(60))
        self.assertLess(loop.time() - started, 30, "the signal waited for the timer")
        loop.close()

    def test_a_failing_protocol_closes_its_transport_and_is_reported(self):
        async def main():
            loop = asyncio.get_running_loop()
            reports = []
            loop.set_exception_handler(lambda lp, ctx: reports.append(ctx))
            lost = loop.create_future()

            class Bad(asyncio.Protocol):
                def connection_made(self, transport):
                    self.transport = transport

                def data_received(self, data):
                    raise RuntimeError("protocol bug")

                def connection_lost(self, exc):
                    lost.set_result(exc)

            server = await loop.create_server(Bad, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"x")
            self.assertEqual(await asyncio.wait_for(reader.read(), 10), b"")
            await asyncio.wait_for(lost, 10)
            writer.close()
            server.close()
            await server.wait_closed()
            return reports

        reports = asyncio_rs.run(main())
        self.assertIsInstance(reports[0]["exception"], RuntimeError)


class Descriptors(unittest.TestCase):
    def test_loops_and_connections_leak_no_descriptor(self):
        async def echo_once():
            async def handle(reader, writer):
                writer.write(await reader.read(100))
                await writer.drain()
                writer.close()

            server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            for _ in range(20):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"ping")
                self.assertEqual(await reader.read(), b"ping")
                writer.close()
                await writer.wait_closed()
            server.close()
            await server.wait_closed()

        asyncio_rs.run(
            echo_once()
        )  # the first run opens what stays open (the executor...)
        before = open_fds()
        for _ in range(5):
            asyncio_rs.run(echo_once())
        self.assertEqual(open_fds(), before)

    def test_reader_and_writer_callbacks(self):
        loop = asyncio_rs.new_event_loop()
        r, w = os.pipe()
        got = []

        def readable():
            got.append(os.read(r, 10))
            loop.remove_reader(r)
            loop.stop()

        def writable():
            os.write(w, b"data")
            loop.remove_writer(w)

        loop.add_reader(r, readable)
        loop.add_writer(w, writable)
        loop.run_forever()
        loop.close()
        os.close(r)
        os.close(w)
        self.assertEqual(got, [b"data"])


class DebugMode(unittest.TestCase):
    def test_a_slow_callback_is_logged_in_debug_mode_only(self):
        import time

        def slow():
            time.sleep(0.05)  # the slowness under test

        for debug in (True, False):
            loop = asyncio_rs.new_event_loop()
            loop.set_debug(debug)
            loop.slow_callback_duration = 0.01
            loop.call_soon(slow)
            loop.call_soon(loop.stop)
            with self.assertLogs("asyncio", "WARNING") as logs:
                loop.run_forever()
                asyncio.log.logger.warning("marker")
            loop.close()
            slow_lines = [
                r.getMessage() for r in logs.records if "took" in r.getMessage()
            ]
            if debug:
                self.assertEqual(len(slow_lines), 1, slow_lines)
                self.assertRegex(
                    slow_lines[0],
                    r"^Executing <Handle .*slow.*> took \d+\.\d{3} seconds$",
                )
                self.assertGreaterEqual(float(slow_lines[0].split()[-2]), 0.05)
            else:
                self.assertEqual(slow_lines, [])

    def test_a_transports_reads_are_timed_in_debug_mode(self):
        # CPython's loop runs a transport's reads as handles, so debug mode times them too;
        # ours runs them in Rust and must time them itself. A threshold of 0 logs every one.
        got = []

        class Sink(asyncio.Protocol):
            def data_received(self, data):
                got.append(data)

        async def main(loop):
            server = await loop.create_server(Sink, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"ping")
            await writer.drain()
            while not got:
                await asyncio.sleep(0)
            writer.close()
            await writer.wait_closed()
            server.close()
            await server.wait_closed()

        for debug in (True, False):
            got.clear()
            loop = asyncio_rs.new_event_loop()
            loop.set_debug(debug)
            loop.slow_callback_duration = 0.0
            with self.assertLogs("asyncio", "WARNING") as logs:
                loop.run_until_complete(main(loop))
                asyncio.log.logger.warning("marker")
            loop.close()
            reads = [
                r.getMessage()
                for r in logs.records
                if "_read_ready()> took" in r.getMessage()
            ]
            self.assertEqual(got, [b"ping"])
            if debug:
                self.assertIn(
                    "Executing <Handle _SocketTransport._read_ready()> took", reads[0]
                )
            else:
                self.assertEqual(reads, [])


class Metrics(unittest.TestCase):
    """``EventLoop.metrics()``: the Rust loop's figures, on the loop's thread and from
    another one."""

    def test_the_figures_follow_the_callbacks_run(self):
        loop = asyncio_rs.new_event_loop()
        try:
            before = loop.metrics()
            for _ in range(10):
                loop.call_soon(lambda: None)
            loop.call_later(0.005, loop.stop)
            loop.run_forever()
            after = loop.metrics()
            self.assertGreaterEqual(after["callbacks"], before["callbacks"] + 11)
            self.assertGreater(after["iterations"], before["iterations"])
            self.assertGreaterEqual(after["timer_batches"], before["timer_batches"] + 1)
            self.assertGreater(after["idle"], before["idle"])  # it waited for the timer
            # From another thread: what the loop published when its run ended.
            seen = []
            t = threading.Thread(target=lambda: seen.append(loop.metrics()))
            t.start()
            t.join()
            self.assertEqual(seen[0]["callbacks"], after["callbacks"])
        finally:
            loop.close()


if __name__ == "__main__":
    unittest.main()
