"""The seed programs (`shared/seeds/`, copied verbatim under `tests/seeds/`) run on asyncio_rs
as they are, and print what they print on CPython's own loop, line by line.

Each program runs twice, in its own interpreter: plainly, and after `asyncio_rs.install()`
(so its `asyncio.run` makes our loop; the wrapper also checks that it did). Both runs of every
program go at once: the programs mostly sleep.
"""

import pathlib
import subprocess
import sys
import unittest

SEEDS = sorted((pathlib.Path(__file__).parent / "seeds").glob("*.py"))

ON_OURS = """
import runpy, sys
import asyncio_rs
made = []
init = asyncio_rs.EventLoop.__init__
def counted(self, *a, **k):
    made.append(1)
    init(self, *a, **k)
asyncio_rs.EventLoop.__init__ = counted
asyncio_rs.install()
runpy.run_path(sys.argv[1], run_name="__main__")
assert made, "the program did not run on asyncio_rs"
"""


class Seeds(unittest.TestCase):
    def test_every_seed_program_prints_the_same_on_asyncio_rs(self):
        self.assertTrue(SEEDS, "no seed programs found")
        runs = {}
        for prog in SEEDS:
            runs[prog] = (
                subprocess.Popen(
                    [sys.executable, str(prog)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                ),
                subprocess.Popen(
                    [sys.executable, "-c", ON_OURS, str(prog)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                ),
            )
        for prog, (theirs, ours) in runs.items():
            with self.subTest(prog.name):
                want, want_err = theirs.communicate(timeout=120)
                got, got_err = ours.communicate(timeout=120)
                self.assertEqual(theirs.returncode, 0, want_err.decode())
                self.assertEqual(ours.returncode, 0, got_err.decode())
                self.assertTrue(want.strip())
                self.assertEqual(got.decode().splitlines(), want.decode().splitlines())


if __name__ == "__main__":
    unittest.main()
