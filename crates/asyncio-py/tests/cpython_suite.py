"""Runs CPython's own asyncio tests (the interpreter's `test.test_asyncio`) on a loop:
`asyncio_rs` (the default) or `cpython` (the interpreter's own, for comparison).

    python tests/cpython_suite.py [--loop asyncio_rs|cpython] [--json] [MODULE ...]

Every loop the tests make through asyncio's policy is ours; `test_events`'s loop-contract
mixins run through a subclass whose `create_event_loop` returns ours. Prints a line per module:
run, passed, failed (failures and errors), skipped.
"""

import argparse
import asyncio
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


def policy_for(name):
    if name == "cpython":
        return asyncio.DefaultEventLoopPolicy
    import asyncio_rs

    return asyncio_rs.EventLoopPolicy


def loop_contract_suite(name):
    """test_events's loop contract (UnixEventLoopTestsMixin + SubprocessTestsMixin) on `name`."""
    from test.test_asyncio import test_events, utils as test_utils

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
    if module == "test_events":
        return loop_contract_suite(name)
    mod = __import__(f"test.test_asyncio.{module}", fromlist=["*"])
    return unittest.defaultTestLoader.loadTestsFromModule(mod)


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
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()
    rows = []
    for module in args.modules or MODULES:
        asyncio.set_event_loop_policy(policy_for(args.loop)())
        try:
            suite = suite_for(module, args.loop)
        except Exception as e:  # a module this Python does not have
            rows.append({"module": module, "error": repr(e)})
            continue
        if args.only:
            suite = unittest.TestSuite(t for t in iter_tests(suite) if args.only in t.id())
        stream = sys.stderr if args.verbose else open("/dev/null", "w")
        result = unittest.TextTestRunner(stream=stream, verbosity=2 if args.verbose else 0).run(suite)
        failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
        skipped = len(result.skipped)
        rows.append(
            {
                "module": module,
                "run": result.testsRun,
                "passed": result.testsRun - failed - skipped,
                "failed": failed,
                "skipped": skipped,
                "failures": [t.id() for t, _ in result.failures + result.errors],
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
                    f"failed {r['failed']:3}  skipped {r['skipped']:3}"
                )


if __name__ == "__main__":
    main()
