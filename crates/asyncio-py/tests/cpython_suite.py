"""Runs CPython's own asyncio tests (the interpreter's `test.test_asyncio`) on a loop:
`asyncio_rs` (the default) or `cpython` (the interpreter's own, for comparison).

    python tests/cpython_suite.py [--loop asyncio_rs|cpython] [--json] [MODULE ...]

Every loop the tests make through asyncio's policy is ours; `test_events`'s loop-contract
mixins run through a subclass whose `create_event_loop` returns ours. Prints a line per module:
run, passed, failed (failures and errors), skipped.
"""

import argparse
import asyncio
import io
import json
import sys
import unittest

MODULES = [
    "test_events",
    "test_tasks",
    "test_futures",
    "test_queues",
    "test_locks",
    "test_streams",
    "test_sock_lowlevel",
    "test_server",
    "test_subprocess",
    "test_timeouts",
    "test_taskgroups",
    "test_sendfile",
    "test_ssl",
]


# Tests that fail on asyncio_rs and pass on CPython's loop, each with its reason (`--check`
# fails on any other failure).
# Tests that pass on CPython's loop and fail on ours, each with its reason (none at present).
KNOWN: dict[str, str] = {}


def policy_for(name):
    if name == "cpython":
        return asyncio.DefaultEventLoopPolicy
    import asyncio_rs

    return asyncio_rs.EventLoopPolicy


def loop_contract_suite(name):
    """test_events's loop contract (UnixEventLoopTestsMixin + SubprocessTestsMixin) on `name`."""
    from test.test_asyncio import test_events
    from test.test_asyncio import utils as test_utils

    if name == "cpython":
        factory = asyncio.SelectorEventLoop
    else:
        import asyncio_rs

        factory = asyncio_rs.EventLoop

    class LoopContract(
        test_events.UnixEventLoopTestsMixin,
        test_events.SubprocessTestsMixin,
        test_utils.TestCase,
    ):
        def create_event_loop(self):
            return factory()

    return unittest.defaultTestLoader.loadTestsFromTestCase(LoopContract)


def suite_for(module, name):
    """The module's tests, those that make their loop themselves (`create_event_loop`,
    `new_loop`: the selector loop) retargeted to `name`'s loop."""
    if module == "test_events":
        return loop_contract_suite(name)
    mod = __import__(f"test.test_asyncio.{module}", fromlist=["*"])
    if name == "cpython":
        return unittest.defaultTestLoader.loadTestsFromModule(mod)
    import asyncio_rs

    def ours(self):
        return asyncio_rs.EventLoop()

    suite = unittest.TestSuite()
    for attr in sorted(vars(mod)):
        cls = getattr(mod, attr)
        if not (isinstance(cls, type) and issubclass(cls, unittest.TestCase)):
            continue
        if cls.__module__ != mod.__name__ or "Proactor" in attr:
            continue
        over = {m: ours for m in ("create_event_loop", "new_loop") if hasattr(cls, m)}
        if over:
            cls = type(attr, (cls,), over)
        suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(cls))
    return suite


_MADE = [0]


def count_loops(name):
    """Counts the loops of `name` the tests make (many of CPython's tests use its own
    `TestLoop`, a simulated-time loop, instead of the policy's)."""
    cls = asyncio.SelectorEventLoop
    if name != "cpython":
        import asyncio_rs

        cls = asyncio_rs.EventLoop
    init = cls.__init__

    def counted(self, *a, **k):
        _MADE[0] += 1
        init(self, *a, **k)

    cls.__init__ = counted


def loops_made():
    return _MADE[0]


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loop", default="asyncio_rs", choices=["asyncio_rs", "cpython"])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("-k", dest="only", help="only the tests whose id contains this")
    ap.add_argument(
        "--check", action="store_true", help="exit 1 on a failure not in the known list"
    )
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()
    rows = []
    count_loops(args.loop)
    for module in args.modules or MODULES:
        asyncio.set_event_loop_policy(policy_for(args.loop)())
        try:
            suite = suite_for(module, args.loop)
        except ImportError as e:  # a module this Python does not have
            rows.append({"module": module, "error": repr(e)})
            continue
        if args.only:
            suite = unittest.TestSuite(
                t for t in iter_tests(suite) if args.only in t.id()
            )
        made_before = loops_made()
        stream = sys.stderr if args.verbose else io.StringIO()
        result = unittest.TextTestRunner(
            stream=stream, verbosity=2 if args.verbose else 0
        ).run(suite)
        failed = (
            len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
        )
        skipped = len(result.skipped)
        rows.append(
            {
                "module": module,
                "run": result.testsRun,
                "passed": result.testsRun - failed - skipped,
                "failed": failed,
                "skipped": skipped,
                "failures": [t.id() for t, _ in result.failures + result.errors],
                "loops": loops_made() - made_before,
            }
        )
        asyncio.set_event_loop_policy(None)
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            if "error" in r:
                print(f"{r['module']:20} not run: {r['error']}")
            else:
                print(
                    f"{r['module']:20} run {r['run']:4}  passed {r['passed']:4}  "
                    f"failed {r['failed']:3}  skipped {r['skipped']:3}  loops made {r['loops']:4}"
                )
                for f in r["failures"]:
                    print(f"    failed: {f}")

    if args.check:
        unexpected = [
            f for r in rows for f in r.get("failures", []) if f not in KNOWN
        ] + [r["module"] for r in rows if "error" in r]
        if unexpected:
            print("unexpected failures:", *unexpected, sep="\n  ")
            sys.exit(1)


if __name__ == "__main__":
    main()
