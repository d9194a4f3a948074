"""Behaviours compared with CPython's own loop, side by side: the source traceback a failing
callback's context carries in debug mode, scheduling from another thread with debug off and
on, the slow-callback warning that names a task, and what a queued handle's cycles leave
behind."""

import asyncio
import gc
import re
import sys
import threading
import time
import unittest
import weakref

import asyncio_rs


def loops():
    """CPython's selector loop and ours, each fresh."""
    yield "cpython", asyncio.SelectorEventLoop()
    yield "asyncio_rs", asyncio_rs.new_event_loop()


def this_line():
    return sys._getframe(1).f_lineno


class SourceTraceback(unittest.TestCase):
    def test_a_failing_callback_says_where_it_was_scheduled(self):
        seen = {}
        for name, loop in loops():
            loop.set_debug(True)
            contexts = []
            loop.set_exception_handler(lambda lp, ctx, c=contexts: c.append(ctx))

            def boom():
                raise ValueError("boom")

            lines = [this_line() + 1]
            loop.call_soon(boom)
            lines.append(this_line() + 1)
            loop.call_later(0, boom)
            lines.append(this_line() + 1)
            loop.call_at(loop.time(), boom)
            loop.call_later(0.01, loop.stop)
            loop.run_forever()
            loop.close()
            got = []
            for ctx in contexts:
                tb = ctx.get("source_traceback")
                self.assertIsNotNone(tb, f"{name}: {ctx}")
                got.append((tb[-1].filename, tb[-1].lineno))
            seen[name] = sorted(got)
            self.assertEqual(sorted(got), sorted((__file__, n) for n in lines), name)
        self.assertEqual(seen["cpython"], seen["asyncio_rs"])

    def test_with_debug_off_no_traceback_is_recorded(self):
        for name, loop in loops():
            with self.subTest(loop=name):
                contexts = []
                loop.set_exception_handler(lambda lp, ctx, c=contexts: c.append(ctx))
                loop.call_soon(lambda: 1 / 0)
                loop.call_soon(loop.stop)
                loop.run_forever()
                loop.close()
                self.assertNotIn("source_traceback", contexts[0])


def schedule_from_a_thread(loop):
    """Runs `loop` while another thread calls its call_soon, call_later and call_at (and
    then wakes it, as CPython's loop needs); what ran, and what the thread's calls raised."""
    got, errors = [], []

    async def main():
        lp = asyncio.get_running_loop()
        done = lp.create_future()

        def record(what):
            got.append(what)
            if len(got) == 3:
                done.set_result(None)

        def worker():
            try:
                lp.call_soon(record, "soon")
                lp.call_later(0, record, "later")
                lp.call_at(lp.time(), record, "at")
            except RuntimeError as e:
                errors.append(str(e))
            lp.call_soon_threadsafe(lambda: None)

        threading.Thread(target=worker).start()
        if not errors:
            await asyncio.wait_for(done, 10)

    loop.run_until_complete(main())
    loop.close()
    return sorted(got), errors


def raised_from_a_thread(loop):
    """Runs `loop` in debug mode while another thread schedules on it; what the calls
    raised."""
    loop.set_debug(True)
    errors = []

    async def main():
        lp = asyncio.get_running_loop()

        def worker():
            for call in (
                lambda: lp.call_soon(print),
                lambda: lp.call_later(1, print),
                lambda: lp.call_at(lp.time() + 1, print),
            ):
                try:
                    call()
                except RuntimeError as e:
                    errors.append(str(e))

        t = threading.Thread(target=worker)
        t.start()
        await lp.run_in_executor(None, t.join)

    loop.run_until_complete(main())
    loop.close()
    return errors


class Cycles(unittest.TestCase):
    """asyncio_rs keeps queued handles out of the cycle collector (as rloop does): a cycle
    through a handle must still not outlive the handle's turn, as on CPython's loop."""

    def test_a_cycle_through_a_handle_goes_when_it_runs_or_the_loop_closes(self):
        class Owner:
            def tick(self):
                pass

        for name, loop in loops():
            with self.subTest(loop=name):
                gone = {}
                # Each owner holds its own handle, whose callback holds the owner.
                for kind in ("soon ran", "later ran", "soon unrun", "later unrun"):
                    owner = Owner()
                    if kind.startswith("soon"):
                        owner.handle = loop.call_soon(owner.tick)
                    elif kind == "later ran":
                        owner.handle = loop.call_later(0, owner.tick)
                    else:
                        owner.handle = loop.call_later(3600, owner.tick)
                    gone[kind] = weakref.ref(owner)
                    del owner
                    if kind.endswith("ran"):
                        loop.run_until_complete(asyncio.sleep(0.01))
                loop.close()
                gc.collect()
                alive = [kind for kind, ref in gone.items() if ref() is not None]
                self.assertEqual(alive, [])


class OtherThreads(unittest.TestCase):
    def test_debug_off_scheduling_from_another_thread_does_not_raise(self):
        for name, loop in loops():
            with self.subTest(loop=name):
                got, errors = schedule_from_a_thread(loop)
                self.assertEqual(errors, [])
                self.assertEqual(got, ["at", "later", "soon"])

    def test_debug_on_scheduling_from_another_thread_raises(self):
        for name, loop in loops():
            with self.subTest(loop=name):
                errors = raised_from_a_thread(loop)
                self.assertEqual(len(errors), 3, errors)
                self.assertIn("other than the current one", errors[0])


class SlowCallbacks(unittest.TestCase):
    def test_the_warning_names_the_task_as_cpython_does(self):
        pattern = re.compile(
            r"Executing <Task finished name='Task-\d+' coro=<.*slow\(\).*> "
            r"result=None.*> took \d+\.\d{3} seconds"
        )
        for name, loop in loops():
            with self.subTest(loop=name):
                loop.set_debug(True)
                loop.slow_callback_duration = 0.05

                async def slow():
                    # The slow step itself, which the warning reports.
                    time.sleep(0.1)  # noqa: ASYNC251

                with self.assertLogs("asyncio", level="WARNING") as logs:
                    loop.run_until_complete(slow())
                loop.close()
                messages = [r.getMessage() for r in logs.records]
                self.assertTrue(
                    any(pattern.search(m) for m in messages), f"{name}: {messages}"
                )


if __name__ == "__main__":
    unittest.main()
