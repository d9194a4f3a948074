"""The seed programs (`shared/seeds/`, copied verbatim under `tests/seeds/`) run on asyncio_rs
as they are, and print what they print on CPython's own loop, line by line.

Each program runs twice, in its own interpreter: plainly, and after `asyncio_rs.install()`
(so its `asyncio.run` makes our loop; the wrapper also checks that it did). Both runs of every
program go at once: the programs mostly sleep.

A program that fetches web pages gets one change: its URLs point at pages served here, on
loopback (tests send no traffic elsewhere). Programs that need a package from PyPI (aiohttp,
requests, codetiming) are skipped with a message when it is missing, outside CI; CI installs
them. Timings in the output (`elapsed time: 15.0`, `It took 3.0 second(s)`) are masked.

Seeds 000, 001 and 002 lost their indentation in the tutorials' text (000 also carries the
listing's line numbers): their programs here have the indentation restored and the line
numbers dropped, nothing else. The file names give each program's first line in its seed.
A program that does not use asyncio (the tutorials' synchronous "before" versions) runs too:
it must print the same with asyncio_rs installed. A program that uses aiohttp runs a third
time with ``import aiohttp`` made ``import asyncio_rs.http as aiohttp`` (issue 28), and must
print the same again.
"""

import http.server
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

# The URLs the tutorials fetch (each is served here in its place), and the page served.
URLS = (
    "https://www.example.com",
    "http://google.com",
    "http://yahoo.com",
    "http://linkedin.com",
    "http://apple.com",
    "http://microsoft.com",
    "http://facebook.com",
    "http://twitter.com",
)
# Packages from PyPI the programs import.
PACKAGES = ("aiohttp", "requests", "codetiming")
PAGE = (
    b"<!doctype html>\n<html>\n<head>\n    <title>Example Domain</title>\n"
    b'    <meta charset="utf-8" />\n</head>\n<body>\n<div>\n    <h1>Example Domain</h1>\n'
    b"    <p>This domain is for use in illustrative examples in documents.</p>\n</div>\n"
    b"</body>\n</html>\n"
)


# How long the stand-in for each site takes to answer, so that programs fetching with two tasks
# at once finish their fetches in one order on every run. The closest two finishes are 150 ms
# apart: every seed program starts at once, and on a loaded 2-core machine 50 ms gaps were once
# too tight (a task's fetches add their overheads up along its chain).
DELAYS = {
    "google.com": 0.30,
    "yahoo.com": 0.75,
    "linkedin.com": 0.30,
    "apple.com": 0.75,
    "microsoft.com": 0.30,
    "facebook.com": 0.75,
    "twitter.com": 0.30,
}


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(DELAYS.get(self.path.strip("/"), 0))  # the site's latency, simulated
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


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
if "asyncio" in open(sys.argv[1]).read():
    assert made, "the program did not run on asyncio_rs"
"""


def masked(output):
    """The output's lines, timings masked."""
    return [
        re.sub(r"\d+\.\d+", "<t>", line)
        if ("elapsed time" in line or "took" in line)
        else line
        for line in output.decode().splitlines()
    ]


class Seeds(unittest.TestCase):
    def setUp(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.tmp.cleanup()

    def runnable(self, prog):
        """The program to run: the seed itself, or a copy whose URLs point here."""
        text = prog.read_text()
        for package in PACKAGES:
            imported = re.search(rf"^\s*(import|from) {package}\b", text, re.MULTILINE)
            if imported and importlib.util.find_spec(package) is None:
                if os.environ.get("CI"):
                    self.fail(f"{prog.name} needs {package}, which CI installs")
                print(
                    f"skipped {prog.name}: it needs {package} (pip install {package})"
                )
                return None
        if not any(url in text for url in URLS):
            return prog
        port = self.server.server_address[1]
        for url in URLS:
            text = text.replace(url, f"http://127.0.0.1:{port}/{url.split('//')[1]}")
        copy = pathlib.Path(self.tmp.name) / prog.name
        copy.write_text(text)
        return copy

    def ported(self, prog):
        """An aiohttp program with ``import aiohttp`` made ``import asyncio_rs.http as
        aiohttp``, or ``None`` for a program that does not import aiohttp."""
        text = prog.read_text()
        if not re.search(r"^import aiohttp$", text, re.MULTILINE):
            return None
        copy = pathlib.Path(self.tmp.name) / f"ported_{prog.name}"
        copy.write_text(
            re.sub(
                r"^import aiohttp$",
                "import asyncio_rs.http as aiohttp",
                text,
                flags=re.MULTILINE,
            )
        )
        return copy

    def test_every_seed_program_prints_the_same_on_asyncio_rs(self):
        self.assertTrue(SEEDS, "no seed programs found")
        runs = {}
        for seed in SEEDS:
            prog = self.runnable(seed)
            if prog is None:
                continue
            runs[seed] = (
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
            ported = self.ported(prog)
            if ported is not None:
                # The aiohttp program again, on asyncio_rs.http: only its import changed.
                runs[seed] += (
                    subprocess.Popen(
                        [sys.executable, "-c", ON_OURS, str(ported)],
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                    ),
                )
        for prog, (theirs, *ours_all) in runs.items():
            with self.subTest(prog.name):
                want, want_err = theirs.communicate(timeout=120)
                self.assertEqual(theirs.returncode, 0, want_err.decode())
                self.assertTrue(want.strip())
                for ours in ours_all:
                    got, got_err = ours.communicate(timeout=120)
                    self.assertEqual(ours.returncode, 0, got_err.decode())
                    self.assertEqual(masked(got), masked(want))


if __name__ == "__main__":
    unittest.main()
