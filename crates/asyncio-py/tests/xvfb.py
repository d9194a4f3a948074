"""An X server for the Tk tests: Debian's ``Xvfb``, started on a free display in a temporary
directory, its framebuffer kept in a file there (``-fbdir``) so tests can look at the screen.
Without Xvfb or tkinter the tests are skipped with a message (under CI they fail: CI installs
both)."""

import atexit
import os
import pathlib
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib


def need_tk():
    """Skips (fails under CI) without tkinter or Xvfb."""
    missing = []
    try:
        import tkinter  # noqa: F401
    except ImportError:
        missing.append("tkinter (apt install python3-tk, or a Python built with Tk)")
    if shutil.which("Xvfb") is None:
        missing.append("Xvfb (apt install xvfb)")
    if missing:
        if os.environ.get("CI"):
            raise AssertionError(f"missing, which CI installs: {', '.join(missing)}")
        raise unittest.SkipTest(f"needs {' and '.join(missing)}")


class Xvfb:
    """A running Xvfb; ``display`` is its name (``":N"``)."""

    def __init__(self, width=480, height=320):
        need_tk()
        self.dir = tempfile.TemporaryDirectory(prefix="xvfb-")
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(w),
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                f"{width}x{height}x24",
                "-fbdir",
                self.dir.name,
            ],
            pass_fds=(w,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(w)
        number = b""
        with os.fdopen(r, "rb") as f:
            number = f.readline().strip()
        if not number:
            self.proc.kill()
            self.proc.wait()
            self.dir.cleanup()
            raise RuntimeError("Xvfb did not start")
        self.display = ":" + number.decode()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.dir.cleanup()

    def screen(self):
        """The screen now: (width, height, rows of RGB bytes)."""
        data = (pathlib.Path(self.dir.name) / "Xvfb_screen0").read_bytes()
        return _xwd_rgb(data)

    def screenshot(self, path, width=None, height=None):
        """Writes the screen (its top left ``width`` x ``height``, if given) as a PNG."""
        full_width, full_height, rows = self.screen()
        width = min(width or full_width, full_width)
        height = min(height or full_height, full_height)
        _write_png(path, width, height, [row[: width * 3] for row in rows[:height]])


_shared = None


def shared():
    """The process's Xvfb, started on first use and stopped when the process exits: Tk keeps
    some state per process, so one process talks to one X server."""
    global _shared
    if _shared is None:
        _shared = Xvfb()
        atexit.register(_shared.stop)
    return _shared


def _xwd_rgb(data):
    # XWD: a big-endian header of 25 CARD32s, the window name, the colour map, then the
    # pixels (ZPixmap, 32 bits per pixel here, in the server's byte order).
    header = struct.unpack(">25I", data[:100])
    header_size, width, height = header[0], header[4], header[5]
    byte_order, bits_per_pixel, bytes_per_line = header[7], header[11], header[12]
    ncolors = header[19]
    if bits_per_pixel != 32:
        raise ValueError(f"{bits_per_pixel} bits per pixel: only 32 is read")
    start = header_size + ncolors * 12
    rows = []
    for y in range(height):
        line = data[start + y * bytes_per_line : start + y * bytes_per_line + width * 4]
        if byte_order == 0:  # LSBFirst: B, G, R, X
            b, g, r = line[0::4], line[1::4], line[2::4]
        else:  # MSBFirst: X, R, G, B
            r, g, b = line[1::4], line[2::4], line[3::4]
        rgb = bytearray(width * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = r, g, b
        rows.append(bytes(rgb))
    return width, height, rows


def _write_png(path, width, height, rows):
    def chunk(kind, body):
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + row for row in rows)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
    pathlib.Path(path).write_bytes(png)
