"""asyncio_rs inside Tk's mainloop: a live counter kept by a task, and a Fetch button whose
Tk callback starts a task on the loop (an HTTP request with ``asyncio_rs.http``) and shows
its result. One thread: Tk waits, and runs the loop's steps when the loop has work.

    python guest_tk.py [URL]

Closing the window cancels the run: the counter's task and any fetch in flight.
"""

import asyncio
import sys
import tkinter
from tkinter import ttk

import asyncio_rs.guest
import asyncio_rs.http


class App:
    """The window; ``main()`` is the guest run's coroutine."""

    def __init__(self, root, url):
        self.root = root
        root.title("asyncio_rs in Tk")
        frame = ttk.Frame(root, padding=12)
        frame.grid(sticky="nsew")
        self.counter = ttk.Label(frame, text="0.0 s", font=("TkFixedFont", 28))
        self.counter.grid(row=0, column=0, columnspan=2, pady=(0, 8))
        self.url = tkinter.StringVar(value=url)
        ttk.Entry(frame, textvariable=self.url, width=36).grid(row=1, column=0)
        self.button = ttk.Button(frame, text="Fetch", command=self.on_fetch)
        self.button.grid(row=1, column=1, padx=(6, 0))
        self.progress = ttk.Progressbar(frame, mode="indeterminate", length=300)
        self.progress.grid(row=2, column=0, columnspan=2, pady=8)
        self.status = ttk.Label(frame, text="idle", width=44)
        self.status.grid(row=3, column=0, columnspan=2, sticky="w")
        self.fetch_task = None

    async def main(self):
        """Keeps the counter live until the run is cancelled (the window closes)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            self.counter["text"] = f"{loop.time() - start:6.1f} s"
            await asyncio.sleep(0.1)

    def on_fetch(self):
        """Tk's callback for the button: a task on the guest loop, between two steps."""
        if self.fetch_task is not None and not self.fetch_task.done():
            self.fetch_task.cancel()
        self.fetch_task = asyncio.get_running_loop().create_task(
            self.fetch(self.url.get())
        )

    async def fetch(self, url):
        self.status["text"] = f"fetching {url} ..."
        self.progress.start(15)
        try:
            async with (
                asyncio_rs.http.ClientSession() as session,
                session.get(url) as resp,
            ):
                body = await resp.read()
            self.status["text"] = f"{resp.status} {resp.reason}: {len(body)} bytes"
        except asyncio.CancelledError:
            self.status["text"] = "cancelled"
            raise
        except (OSError, asyncio_rs.http.ClientError) as e:  # shown: the window stays
            self.status["text"] = f"failed: {e}"
        finally:
            self.progress.stop()


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080/"
    root = tkinter.Tk()
    app = App(root, url)
    run = asyncio_rs.guest.tk(root, app.main())
    root.mainloop()
    print(run)


if __name__ == "__main__":
    main()
