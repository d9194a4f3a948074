"""Transports whose state and I/O are Rust's (``_core.SocketTransport`` and its siblings): sockets, datagram
sockets, read and write pipes.

The classes here only give them asyncio's transport classes (``isinstance`` checks such as
the sendfile fallback's look for ``_FlowControlMixin``), the parts that differ between Python
versions, and ``repr``. Reading, writing, buffering, flow control and closing run in Rust,
with the semantics of CPython's ``_SelectorSocketTransport``, ``_SelectorDatagramTransport``,
``_UnixReadPipeTransport`` and ``_UnixWritePipeTransport``.
"""

import inspect
import os
import stat
import warnings
from asyncio import (
    base_events,
    constants,
    futures,
    protocols,
    sslproto,
    transports,
    trsock,
)

from . import _core

# Python 3.13 passes the transport to Server._attach/_detach; earlier versions pass nothing.
_SERVER_TAKES_TRANSPORT = (
    len(inspect.signature(base_events.Server._attach).parameters) > 1
)


def _socket_extra(extra, sock):
    """The socket's entries of ``get_extra_info``, as CPython's transports fill them."""
    extra["socket"] = trsock.TransportSocket(sock)
    try:
        extra["sockname"] = sock.getsockname()
    except OSError:
        extra["sockname"] = None
    if "peername" not in extra:
        try:
            extra["peername"] = sock.getpeername()
        except OSError:
            extra["peername"] = None


def _repr_head(transport, io):
    """The start of a transport's repr, as CPython's: its class, closed or closing, its fd."""
    info = [transport.__class__.__name__]
    if io is None or io._sock is None:
        info.append("closed")
    elif io.is_closing():
        info.append("closing")
    if io is not None:
        info.append(f"fd={io._sock_fd}")
    return info


def _close_unclosed(transport, _warn=warnings.warn):
    """``__del__``: a transport collected open warns and closes its socket or pipe."""
    io = getattr(transport, "_io", None)
    try:
        sock = None if io is None else io._sock
    except RuntimeError:
        # Collected on another thread: the Rust state goes home to its loop's thread, and the
        # socket closes when the last reference to it goes there.
        return
    if sock is not None:
        _warn(f"unclosed transport {transport!r}", ResourceWarning, source=transport)
        sock.close()


class _SocketTransport(transports._FlowControlMixin, transports.Transport):
    """A TCP or Unix socket transport."""

    # No per-instance dict: the state is in `_io`; `write` is its bound method; `_extra_d`
    # is `get_extra_info`'s dict once built, `_sock_kept` the socket until then.
    __slots__ = ("__weakref__", "_extra_d", "_io", "_sock_kept", "write")

    _start_tls_compatible = True
    _sendfile_compatible = constants._SendfileMode.TRY_NATIVE
    max_size = 256 * 1024

    # The mixin's attributes live in the Rust state.
    _loop = property(lambda self: self._io._loop)
    _protocol = property(lambda self: self._io.get_protocol())
    _protocol_paused = property(lambda self: self._io._protocol_paused)
    _high_water = property(lambda self: self._io.get_write_buffer_limits()[1])
    _low_water = property(lambda self: self._io.get_write_buffer_limits()[0])
    _sock = property(lambda self: self._io._sock)
    _sock_fd = property(lambda self: self._io._sock_fd)
    _closing = property(lambda self: self._io.is_closing())
    _conn_lost = property(lambda self: self._io._conn_lost)
    _eof = property(lambda self: self._io._eof)
    _paused = property(lambda self: self._io._paused)
    _server = property(lambda self: self._io._server)
    _empty_waiter = property(lambda self: self._io._empty_waiter)

    def __init__(self, loop, sock, protocol, waiter=None, extra=None, server=None):
        buffered = isinstance(protocol, protocols.BufferedProtocol)
        io = _core.SocketTransport(
            self, loop, sock, protocol, buffered, server, _SERVER_TAKES_TRANSPORT
        )
        self._io = io
        if io._names_kept and (not extra or extra.keys() == {"peername"}):
            # An IPv4 socket with nothing else to record: the entries are built from the
            # addresses Rust read when first asked for (an accepted socket's `peername` is
            # what `getpeername()` gives).
            self._extra_d = None
            self._sock_kept = sock
        else:
            self._extra_d = {} if extra is None else extra
            self._sock_kept = None
            _socket_extra(self._extra_d, sock)
        # The hot path: no Python frame between the caller and Rust.
        self.write = io.write
        if server is not None:
            if _SERVER_TAKES_TRANSPORT:
                server._attach(self)
            else:
                server._attach()
        loop._transports[sock.fileno()] = self
        # Small writes go out at once (no Nagle delay), as on CPython's loop.
        base_events._set_nodelay(sock)
        loop.call_soon(protocol.connection_made, self)
        # Reading starts once connection_made() has run.
        loop.call_soon(io._start_reading)
        if waiter is not None:
            loop.call_soon(futures._set_result_unless_cancelled, waiter, None)

    @property
    def _extra(self):
        """``get_extra_info``'s entries, as CPython's transport fills them when it is made."""
        extra = self._extra_d
        if extra is None:
            sockname, peername = self._io._names()
            extra = self._extra_d = {
                "socket": trsock.TransportSocket(self._sock_kept),
                "sockname": sockname,
                "peername": peername,
            }
            self._sock_kept = None
        return extra

    @_extra.setter
    def _extra(self, extra):
        self._extra_d = extra
        self._sock_kept = None

    def __repr__(self):
        io = getattr(self, "_io", None)
        info = _repr_head(self, io)
        if io is not None:
            lp = io._loop
            if lp is not None and not lp.is_closed():
                reading, writing = io._polling()
                info.append("read=polling" if reading else "read=idle")
                state = "polling" if writing else "idle"
                info.append(f"write=<{state}, bufsize={io.get_write_buffer_size()}>")
        return "<{}>".format(" ".join(info))

    __del__ = _close_unclosed

    def get_protocol(self):
        return self._io.get_protocol()

    def set_protocol(self, protocol):
        self._io.set_protocol(
            protocol, isinstance(protocol, protocols.BufferedProtocol)
        )

    def is_closing(self):
        return self._io.is_closing()

    def is_reading(self):
        return self._io.is_reading()

    def pause_reading(self):
        self._io.pause_reading()

    def resume_reading(self):
        self._io.resume_reading()

    def close(self):
        self._io.close()

    def abort(self):
        self._io.abort()

    def write_eof(self):
        self._io.write_eof()

    def can_write_eof(self):
        return True

    def writelines(self, list_of_data):
        self._io.write(b"".join(list_of_data))

    def get_write_buffer_size(self):
        return self._io.get_write_buffer_size()

    def get_write_buffer_limits(self):
        return self._io.get_write_buffer_limits()

    def set_write_buffer_limits(self, high=None, low=None):
        self._io.set_write_buffer_limits(high, low)

    def _force_close(self, exc):
        self._io._force_close(exc)

    def _fatal_error(self, exc, message="Fatal error on transport"):
        self._io._fatal_error(exc, message)

    def _make_empty_waiter(self):
        if self._io._empty_waiter is not None:
            raise RuntimeError("Empty waiter is already set")
        waiter = self._io._loop.create_future()
        if not self._io.get_write_buffer_size():
            waiter.set_result(None)
        self._io._set_empty_waiter(waiter)
        return waiter

    def _reset_empty_waiter(self):
        self._io._set_empty_waiter(None)


class _DatagramTransport(transports._FlowControlMixin, transports.DatagramTransport):
    """A UDP (or Unix datagram) transport."""

    __slots__ = ("__weakref__", "_address", "_io", "sendto")

    max_size = 256 * 1024

    _loop = _SocketTransport._loop
    _protocol = _SocketTransport._protocol
    _protocol_paused = _SocketTransport._protocol_paused
    _high_water = _SocketTransport._high_water
    _low_water = _SocketTransport._low_water
    _sock = _SocketTransport._sock
    _sock_fd = _SocketTransport._sock_fd
    _closing = _SocketTransport._closing
    _conn_lost = _SocketTransport._conn_lost

    def __init__(self, loop, sock, protocol, address=None, waiter=None, extra=None):
        self._extra = {} if extra is None else extra
        _socket_extra(self._extra, sock)
        io = _core.DatagramTransport(
            self,
            loop,
            sock,
            protocol,
            address=address,
            peer_connected=bool(self._extra["peername"]),
        )
        self._io = io
        self._address = address
        # The hot path: no Python frame between the caller and Rust.
        self.sendto = io.sendto
        loop._transports[sock.fileno()] = self
        loop.call_soon(protocol.connection_made, self)
        loop.call_soon(io._start_reading)
        if waiter is not None:
            loop.call_soon(futures._set_result_unless_cancelled, waiter, None)

    __repr__ = _SocketTransport.__repr__
    __del__ = _SocketTransport.__del__
    get_protocol = _SocketTransport.get_protocol
    set_protocol = _SocketTransport.set_protocol
    is_closing = _SocketTransport.is_closing
    close = _SocketTransport.close
    abort = _SocketTransport.abort
    get_write_buffer_size = _SocketTransport.get_write_buffer_size
    get_write_buffer_limits = _SocketTransport.get_write_buffer_limits
    set_write_buffer_limits = _SocketTransport.set_write_buffer_limits
    _force_close = _SocketTransport._force_close
    _fatal_error = _SocketTransport._fatal_error


class _PipeTransport:
    """What the read and write pipe transports share."""

    _loop = property(lambda self: self._io._loop)
    _protocol = property(lambda self: self._io.get_protocol())
    _pipe = property(
        lambda self: self._io._sock, lambda self, pipe: self._io._set_sock(pipe)
    )
    _fileno = property(lambda self: self._io._sock_fd)
    _closing = property(lambda self: self._io.is_closing())

    def _setup(self, loop, pipe, protocol, extra, kind, allowed, message):
        self._extra = {} if extra is None else extra
        self._extra["pipe"] = pipe
        mode = os.fstat(pipe.fileno()).st_mode
        if not any(check(mode) for check in allowed):
            raise ValueError(message)
        os.set_blocking(pipe.fileno(), False)
        io = kind(self, loop, pipe, protocol)
        self._io = io
        loop.call_soon(protocol.connection_made, self)
        return io, mode

    def __repr__(self):
        io = getattr(self, "_io", None)
        info = _repr_head(self, io)
        if io is not None:
            lp = io._loop
            if io._sock is not None and lp is not None and not lp.is_closed():
                reading, writing = io._polling()
                info.append("polling" if reading or writing else "idle")
                if isinstance(self, transports.WriteTransport):
                    info.append(f"bufsize={io.get_write_buffer_size()}")
            else:
                info.append("open" if io._sock is not None else "closed")
        return "<{}>".format(" ".join(info))

    __del__ = _close_unclosed

    def get_protocol(self):
        return self._io.get_protocol()

    def set_protocol(self, protocol):
        self._io.set_protocol(protocol, False)

    def is_closing(self):
        return self._io.is_closing()

    def close(self):
        self._io.close()

    def _fatal_error(self, exc, message="Fatal error on pipe transport"):
        self._io._fatal_error(exc, message)


class _ReadPipeTransport(_PipeTransport, transports.ReadTransport):
    """The read end of a pipe (or a socket, or a character device)."""

    max_size = 256 * 1024

    def __init__(self, loop, pipe, protocol, waiter=None, extra=None):
        io, _ = self._setup(
            loop,
            pipe,
            protocol,
            extra,
            _core.ReadPipeTransport,
            (stat.S_ISFIFO, stat.S_ISSOCK, stat.S_ISCHR),
            "Pipe transport is for pipes/sockets only.",
        )
        loop.call_soon(io._start_reading)
        if waiter is not None:
            loop.call_soon(futures._set_result_unless_cancelled, waiter, None)

    def is_reading(self):
        return self._io.is_reading()

    def pause_reading(self):
        self._io.pause_reading()

    def resume_reading(self):
        self._io.resume_reading()


class _WritePipeTransport(
    _PipeTransport, transports._FlowControlMixin, transports.WriteTransport
):
    """The write end of a pipe (or a socket, or a character device)."""

    _protocol_paused = property(lambda self: self._io._protocol_paused)
    _high_water = property(lambda self: self._io.get_write_buffer_limits()[1])
    _low_water = property(lambda self: self._io.get_write_buffer_limits()[0])

    def __init__(self, loop, pipe, protocol, waiter=None, extra=None):
        io, mode = self._setup(
            loop,
            pipe,
            protocol,
            extra,
            _core.WritePipeTransport,
            (stat.S_ISFIFO, stat.S_ISSOCK, stat.S_ISCHR),
            "Pipe transport is only for pipes, sockets and character devices",
        )
        self.write = io.write
        # Watching the descriptor for reading tells when the reader goes (pipes, sockets).
        if stat.S_ISSOCK(mode) or stat.S_ISFIFO(mode):
            loop.call_soon(io._start_reading)
        if waiter is not None:
            loop.call_soon(futures._set_result_unless_cancelled, waiter, None)

    def writelines(self, list_of_data):
        self._io.write(b"".join(list_of_data))

    def can_write_eof(self):
        return True

    def write_eof(self):
        self._io.write_eof()

    def abort(self):
        self._io.abort()

    def get_write_buffer_size(self):
        return self._io.get_write_buffer_size()

    def get_write_buffer_limits(self):
        return self._io.get_write_buffer_limits()

    def set_write_buffer_limits(self, high=None, low=None):
        self._io.set_write_buffer_limits(high, low)


def make_ssl_transport(
    loop,
    rawsock,
    protocol,
    sslcontext,
    waiter=None,
    *,
    server_side=False,
    server_hostname=None,
    extra=None,
    server=None,
    **timeouts,
):
    """asyncio's own SSL protocol over a Rust socket transport (as CPython's loop does)."""
    ssl_protocol = sslproto.SSLProtocol(
        loop, protocol, sslcontext, waiter, server_side, server_hostname, **timeouts
    )
    _SocketTransport(loop, rawsock, ssl_protocol, extra=extra, server=server)
    return ssl_protocol._app_transport
