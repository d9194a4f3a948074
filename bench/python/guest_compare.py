"""Guest mode side by side: asyncio_rs inside Qt (``asyncio_rs.guest.qt``) and Tk
(``asyncio_rs.guest.tk``) against qasync's ``QEventLoop`` (asyncio's own loop rebuilt on Qt's)
running the same program. Each run is its own process; runs are interleaved; medians of
``--runs``.

What a GUI program feels:
- timer lateness: 200 ``asyncio.sleep(0.005)`` while the GUI's loop runs (median, p99);
- the GUI's timer rate kept: a 10 ms GUI timer during a burst of 10,000 tasks (5 steps of
  5 µs of CPU each), as a share of its nominal rate, and its longest gap;
- the burst's duration (what guest mode costs the loop's own throughput);
- loop callbacks per second: a ``call_soon`` chain for 0.3 s while the GUI timer runs.

    python guest_compare.py [--runs 5] [--json] [--binding PyQt6]

Qt runs offscreen; Tk needs Xvfb (skipped without it).
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
TESTS = HERE.parent.parent / "crates" / "asyncio-py" / "tests"

PROGRAM = r'''
import asyncio, json, statistics, sys, time

TICK = 0.010
ticks = []

async def measure():
    late = []
    for _ in range(200):
        t = time.perf_counter()
        await asyncio.sleep(0.005)
        late.append(time.perf_counter() - t - 0.005)
    late.sort()
    go = asyncio.Event()

    async def one():
        await go.wait()
        for _ in range(5):
            t = time.perf_counter()
            while time.perf_counter() - t < 5e-6:
                pass
            await asyncio.sleep(0)

    tasks = [asyncio.ensure_future(one()) for _ in range(10_000)]
    await asyncio.sleep(0.05)
    go.set()  # one callback waking 10,000 waiters: the measurement starts after it
    start = time.perf_counter()
    await asyncio.gather(*tasks)
    end = time.perf_counter()
    during = [t for t in ticks if start <= t <= end]
    gaps = [b - a for a, b in zip([start] + during, during + [end])]
    loop = asyncio.get_running_loop()
    count = [0]
    stop_at = time.perf_counter() + 0.3
    done = loop.create_future()

    def chain():
        count[0] += 1
        if time.perf_counter() < stop_at:
            loop.call_soon(chain)
        else:
            done.set_result(None)

    loop.call_soon(chain)
    await done
    return {
        "lateness_median_ms": statistics.median(late) * 1e3,
        "lateness_p99_ms": late[int(len(late) * 0.99)] * 1e3,
        "gui_rate_kept": len(during) / ((end - start) / TICK),
        "gui_max_gap_ms": max(gaps) * 1e3,
        "burst_ms": (end - start) * 1e3,
        "loop_callbacks_per_s": count[0] / 0.3,
    }

def tick():
    ticks.append(time.perf_counter())

mode = sys.argv[1]
if mode in ("asyncio_rs-qt", "qasync-qt"):
    import importlib, os
    binding = os.environ["QT_API"]
    QtCore = importlib.import_module(binding + ".QtCore")
    QtWidgets = importlib.import_module(binding + ".QtWidgets")
    app = QtWidgets.QApplication([])
    timer = QtCore.QTimer()
    timer.setInterval(int(TICK * 1000))
    timer.timeout.connect(tick)
    timer.start()
    if mode == "qasync-qt":
        import qasync
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            result = loop.run_until_complete(measure())
    else:
        import asyncio_rs.guest
        run = asyncio_rs.guest.qt(measure())
        app.exec()
        result = run.result()
else:
    import tkinter
    import asyncio_rs.guest
    root = tkinter.Tk()
    def tk_tick():
        tick()
        root.after(int(TICK * 1000), tk_tick)
    root.after(int(TICK * 1000), tk_tick)
    run = asyncio_rs.guest.tk(root, measure())
    root.mainloop()
    result = run.result()
print(json.dumps(result))
'''

FIELDS = (
    ("lateness_median_ms", "timer lateness, median (ms)", "{:.3f}"),
    ("lateness_p99_ms", "timer lateness, p99 (ms)", "{:.3f}"),
    ("gui_rate_kept", "GUI timer rate kept in the burst", "{:.0%}"),
    ("gui_max_gap_ms", "GUI timer's longest gap (ms)", "{:.1f}"),
    ("burst_ms", "10,000-task burst (ms)", "{:.0f}"),
    ("loop_callbacks_per_s", "loop callbacks/s", "{:,.0f}"),
)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--binding",
        default="PyQt6",
        help="the Qt binding for both (qasync aborts with none_dealloc on PySide6 6.12)",
    )
    args = ap.parse_args()
    modes = ["asyncio_rs-qt", "qasync-qt"]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_API=args.binding)
    xvfb = None
    try:
        sys.path.insert(0, str(TESTS))
        from xvfb import Xvfb

        xvfb = Xvfb()
        env["DISPLAY"] = xvfb.display
        modes.append("asyncio_rs-tk")
    except Exception as e:  # noqa: BLE001 - any reason: Tk is left out, and said so
        print(f"asyncio_rs-tk left out: {e}", file=sys.stderr)
    results = {m: [] for m in modes}
    try:
        for _ in range(args.runs):
            for mode in modes:  # interleaved
                out = subprocess.run(
                    [sys.executable, "-c", PROGRAM, mode],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=300,
                    check=True,
                )
                results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        if xvfb is not None:
            xvfb.stop()
    medians = {
        m: {k: statistics.median(r[k] for r in runs) for k, _, _ in FIELDS}
        for m, runs in results.items()
    }
    if args.json:
        print(
            json.dumps(
                {"runs": args.runs, "binding": args.binding, "medians": medians}, indent=2
            )
        )
        return
    width = max(len(label) for _, label, _ in FIELDS)
    print(f"medians of {args.runs} runs, interleaved; Qt through {args.binding}")
    print(" " * width + "".join(f"{m:>16}" for m in modes))
    for key, label, fmt in FIELDS:
        print(f"{label:<{width}}" + "".join(f"{fmt.format(medians[m][key]):>16}" for m in modes))


if __name__ == "__main__":
    main()
