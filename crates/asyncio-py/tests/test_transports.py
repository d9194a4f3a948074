"""asyncio_rs's stream transports (Rust's ``_core.SocketTransport`` and its siblings): each scenario runs on
asyncio_rs and on CPython's own loop, and both must give the expected result.

    python -m unittest discover -s crates/asyncio-py/tests -p 'test_*.py'
"""

import asyncio
import gc
import hashlib
import logging
import os
import socket
import struct
import tempfile
import unittest
import warnings

import asyncio_rs

LOOPS = {"asyncio_rs": asyncio_rs.new_event_loop, "cpython": asyncio.SelectorEventLoop}


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def on_each_loop(test):
    """Runs ``test(self, loop)`` once per loop, closing the loop after."""

    def run(self):
        for name, make in LOOPS.items():
            with self.subTest(loop=name):
                loop = make()
                try:
                    test(self, loop)
                finally:
                    loop.close()

    return run


async def server_and_client(loop, server_protocol, client_protocol):
    """A listening server on loopback and one client connected to it. The server side's
    `connection_made` has run when this returns (the two ends' order is not asyncio's promise)."""
    accepted = asyncio.Event()

    def make():
        protocol = server_protocol()
        made = protocol.connection_made

        def connection_made(transport):
            made(transport)
            accepted.set()

        protocol.connection_made = connection_made
        return protocol

    server = await loop.create_server(make, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, client = await loop.create_connection(client_protocol, "127.0.0.1", port)
    await accepted.wait()
    return server, transport, client


class Collect(asyncio.Protocol):
    """Keeps what it receives; `done` resolves at connection_lost."""

    def __init__(self):
        self.data = bytearray()
        self.events = []
        self.done = asyncio.get_event_loop().create_future()
        self.got = asyncio.Event()

    def connection_made(self, transport):
        self.transport = transport
        self.events.append("made")

    def data_received(self, data):
        self.data += data
        self.got.set()

    def eof_received(self):
        self.events.append("eof")

    def connection_lost(self, exc):
        self.events.append(("lost", type(exc).__name__ if exc else None))
        if not self.done.done():
            self.done.set_result(exc)


class FlowControl(unittest.TestCase):
    @on_each_loop
    def test_a_full_buffer_pauses_and_an_empty_one_resumes_the_writer(self, loop):
        payload = os.urandom(8 * 1024 * 1024)

        class Writer(Collect):
            def __init__(self):
                super().__init__()
                self.paused = asyncio.Event()
                self.resumed = asyncio.Event()

            def pause_writing(self):
                self.events.append("pause")
                self.paused.set()

            def resume_writing(self):
                self.events.append("resume")
                self.resumed.set()

        async def main():
            receivers = []

            def make_receiver():
                receivers.append(Collect())
                return receivers[-1]

            server, transport, writer = await server_and_client(
                loop, make_receiver, Writer
            )
            await asyncio.sleep(0)
            receiver = receivers[0]
            receiver.transport.pause_reading()
            transport.set_write_buffer_limits(high=64 * 1024)
            self.assertEqual(
                transport.get_write_buffer_limits(), (16 * 1024, 64 * 1024)
            )
            transport.write(payload)
            # More than the kernel takes while nobody reads: the rest waits in the buffer.
            self.assertGreater(transport.get_write_buffer_size(), 64 * 1024)
            await asyncio.wait_for(writer.paused.wait(), 10)
            self.assertFalse(writer.resumed.is_set())
            receiver.transport.resume_reading()
            await asyncio.wait_for(writer.resumed.wait(), 10)
            transport.close()
            await receiver.done
            self.assertEqual(transport.get_write_buffer_size(), 0)
            self.assertEqual(
                hashlib.sha256(receiver.data).digest(), hashlib.sha256(payload).digest()
            )
            self.assertEqual(writer.events[:3], ["made", "pause", "resume"])
            server.close()
            await server.wait_closed()

        loop.run_until_complete(main())

    @on_each_loop
    def test_bad_water_marks_are_refused(self, loop):
        async def main():
            server, transport, _ = await server_and_client(loop, Collect, Collect)
            with self.assertRaises(ValueError):
                transport.set_write_buffer_limits(high=10, low=20)
            with self.assertRaises(ValueError):
                transport.set_write_buffer_limits(high=-1)
            self.assertEqual(
                transport.get_write_buffer_limits(), (16 * 1024, 64 * 1024)
            )
            transport.set_write_buffer_limits(low=1000)
            self.assertEqual(transport.get_write_buffer_limits(), (1000, 4000))
            transport.close()
            server.close()

        loop.run_until_complete(main())

    @on_each_loop
    def test_paused_reading_delivers_nothing_until_resumed(self, loop):
        async def main():
            receivers = []
            server, transport, _ = await server_and_client(
                loop, lambda: receivers.append(Collect()) or receivers[-1], Collect
            )
            await asyncio.sleep(0)
            receiver = receivers[0]
            receiver.transport.pause_reading()
            self.assertFalse(receiver.transport.is_reading())
            transport.write(b"one")
            # The client's bytes are in the server's socket buffer: a read would see them.
            await loop.run_in_executor(
                None, wait_readable, receiver.transport.get_extra_info("socket")
            )
            for _ in range(5):
                await asyncio.sleep(0)
            self.assertEqual(receiver.data, b"")
            receiver.transport.resume_reading()
            self.assertTrue(receiver.transport.is_reading())
            await receiver.got.wait()
            self.assertEqual(receiver.data, b"one")
            transport.close()
            await receiver.done
            server.close()

        loop.run_until_complete(main())


def wait_readable(sock):
    import select

    select.select([sock.fileno()], [], [], 5)


class Buffered(unittest.TestCase):
    @on_each_loop
    def test_a_buffered_protocol_reads_into_its_own_buffer(self, loop):
        payload = os.urandom(300_000)

        class Into(asyncio.BufferedProtocol):
            def __init__(self):
                self.buf = bytearray(1000)
                self.data = bytearray()
                self.sizes = []
                self.done = loop.create_future()

            def connection_made(self, transport):
                self.transport = transport

            def get_buffer(self, sizehint):
                return self.buf

            def buffer_updated(self, nbytes):
                self.sizes.append(nbytes)
                self.data += self.buf[:nbytes]

            def eof_received(self):
                return False

            def connection_lost(self, exc):
                self.done.set_result(exc)

        async def main():
            receivers = []
            server, transport, _ = await server_and_client(
                loop, lambda: receivers.append(Into()) or receivers[-1], Collect
            )
            transport.write(payload)
            transport.write_eof()
            await asyncio.sleep(0)
            self.assertIsNone(await receivers[0].done)
            self.assertEqual(bytes(receivers[0].data), payload)
            self.assertLessEqual(max(receivers[0].sizes), 1000)
            transport.close()
            server.close()

        loop.run_until_complete(main())

    @on_each_loop
    def test_an_empty_buffer_is_a_fatal_error(self, loop):
        errors = []
        loop.set_exception_handler(lambda lp, ctx: errors.append(ctx))

        class Empty(asyncio.BufferedProtocol):
            def __init__(self):
                self.done = loop.create_future()

            def get_buffer(self, sizehint):
                return bytearray()

            def buffer_updated(self, nbytes):
                raise AssertionError("unreachable")

            def connection_lost(self, exc):
                self.done.set_result(exc)

        async def main():
            receivers = []
            server, transport, _ = await server_and_client(
                loop, lambda: receivers.append(Empty()) or receivers[-1], Collect
            )
            transport.write(b"x")
            exc = await receivers[0].done
            self.assertIsInstance(exc, RuntimeError)
            self.assertEqual(str(exc), "get_buffer() returned an empty buffer")
            transport.close()
            server.close()

        loop.run_until_complete(main())
        self.assertEqual(
            [c["message"] for c in errors],
            ["Fatal error: protocol.get_buffer() call failed."],
        )


class Errors(unittest.TestCase):
    @on_each_loop
    def test_a_raising_protocol_is_reported_and_its_transport_closed(self, loop):
        errors = []
        loop.set_exception_handler(lambda lp, ctx: errors.append(ctx))

        class Raises(Collect):
            def data_received(self, data):
                raise ValueError("bad data")

        async def main():
            receivers = []
            server, transport, client = await server_and_client(
                loop, lambda: receivers.append(Raises()) or receivers[-1], Collect
            )
            transport.write(b"x")
            exc = await receivers[0].done
            self.assertIsInstance(exc, ValueError)
            self.assertTrue(receivers[0].transport.is_closing())
            # The peer sees the connection end.
            await client.done
            # The loop goes on: a second connection works.
            t2, c2 = await loop.create_connection(
                Collect, "127.0.0.1", server.sockets[0].getsockname()[1]
            )
            t2.close()
            await c2.done
            server.close()
            await server.wait_closed()

        loop.run_until_complete(main())
        # Only the first connection's server side received data.
        self.assertEqual(
            [(c["message"], type(c["exception"])) for c in errors],
            [("Fatal error: protocol.data_received() call failed.", ValueError)],
        )

    @on_each_loop
    def test_writes_after_the_connection_is_lost_are_dropped_then_logged(self, loop):
        async def main():
            server, transport, client = await server_and_client(loop, Collect, Collect)
            transport.abort()
            await client.done
            with self.assertLogs("asyncio", logging.WARNING) as logs:
                for _ in range(6):
                    transport.write(b"late")
                logging.getLogger("asyncio").warning("marker")
            self.assertEqual(
                [r.getMessage() for r in logs.records],
                ["socket.send() raised exception."] * 2 + ["marker"],
            )
            with self.assertRaisesRegex(TypeError, "bytes-like object, not 'str'"):
                transport.write("text")
            server.close()

        loop.run_until_complete(main())

    @on_each_loop
    def test_a_reset_peer_reaches_connection_lost(self, loop):
        async def main():
            receivers = []
            server, transport, _ = await server_and_client(
                loop, lambda: receivers.append(Collect()) or receivers[-1], Collect
            )
            await asyncio.sleep(0)
            sock = transport.get_extra_info("socket")
            # SO_LINGER 0: close() sends a reset instead of a FIN.
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            transport.abort()
            exc = await receivers[0].done
            # A reset reads as ECONNRESET, or as a plain end of stream if it came first.
            self.assertIn(type(exc), (ConnectionResetError, type(None)))
            server.close()

        loop.run_until_complete(main())

    @on_each_loop
    def test_keyboard_interrupt_in_a_protocol_ends_the_run(self, loop):
        class Interrupts(Collect):
            def data_received(self, data):
                raise KeyboardInterrupt

        made = []

        async def main():
            made.extend(await server_and_client(loop, Interrupts, Collect))
            made[1].write(b"x")
            await asyncio.sleep(10)

        with self.assertRaises(KeyboardInterrupt):
            loop.run_until_complete(main())
        server, transport, _ = made
        transport.close()
        server.close()
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))


class ExtraInfo(unittest.TestCase):
    """``get_extra_info`` as CPython's transports answer it (asyncio_rs builds an IPv4
    socket's entries when first asked, from the addresses read when the transport was made)."""

    @on_each_loop
    def test_entries_match_the_socket_and_outlive_the_connection(self, loop):
        async def main():
            servers = []
            server, transport, _ = await server_and_client(
                loop, lambda: servers.append(Collect()) or servers[-1], Collect
            )
            sock = transport.get_extra_info("socket")
            self.assertIsInstance(sock, asyncio.trsock.TransportSocket)
            self.assertIs(transport.get_extra_info("socket"), sock)
            own, peer = sock.getsockname(), sock.getpeername()
            self.assertEqual(transport.get_extra_info("sockname"), own)
            self.assertEqual(transport.get_extra_info("peername"), peer)
            self.assertEqual(transport.get_extra_info("missing", 7), 7)
            self.assertEqual(
                sorted(transport._extra), ["peername", "socket", "sockname"]
            )
            # The accepted end is first asked after its peer reset the connection, when
            # `getpeername()` would fail: the entries are what they were at the start.
            transport.abort()
            await servers[0].done
            end = servers[0].transport
            self.assertEqual(end.get_extra_info("peername"), own)
            self.assertEqual(end.get_extra_info("sockname"), peer)
            self.assertEqual(end.get_extra_info("socket").family, socket.AF_INET)
            server.close()

        loop.run_until_complete(main())

    @on_each_loop
    def test_unix_sockets_fill_their_entries_at_once(self, loop):
        async def main():
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "s")
                servers = []
                server = await loop.create_unix_server(
                    lambda: servers.append(Collect()) or servers[-1], path
                )
                transport, client = await loop.create_unix_connection(Collect, path)
                self.assertEqual(transport.get_extra_info("peername"), path)
                self.assertEqual(transport.get_extra_info("sockname"), "")
                transport.close()
                await client.done
                server.close()

        loop.run_until_complete(main())


class Lifecycle(unittest.TestCase):
    @on_each_loop
    def test_eof_half_close_and_event_order(self, loop):
        async def main():
            class Echo(Collect):
                def eof_received(self):
                    super().eof_received()
                    self.transport.write(bytes(self.data[::-1]))
                    self.transport.close()
                    return True

            servers = []
            server, transport, client = await server_and_client(
                loop, lambda: servers.append(Echo()) or servers[-1], Collect
            )
            self.assertTrue(transport.can_write_eof())
            transport.write(b"abc")
            transport.write_eof()
            with self.assertRaisesRegex(RuntimeError, "after write_eof"):
                transport.write(b"more")
            self.assertIsNone(await client.done)
            self.assertEqual(bytes(client.data), b"cba")
            self.assertEqual(servers[0].events, ["made", "eof", ("lost", None)])
            self.assertEqual(client.events, ["made", "eof", ("lost", None)])
            server.close()

        loop.run_until_complete(main())

    @on_each_loop
    def test_a_reading_transport_nothing_else_refers_to_stays_alive(self, loop):
        # The loop holds a transport while it reads (a selector's handle does in CPython's
        # loop): a server side that only its own protocol refers to is not collected.
        async def main():
            class Echo(asyncio.Protocol):
                def connection_made(self, transport):
                    self.transport = transport

                def data_received(self, data):
                    self.transport.write(data)

            server = await loop.create_server(Echo, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            transport, client = await loop.create_connection(Collect, "127.0.0.1", port)

            async def next_data():
                # Data, or the end: a collected server side resets the connection.
                client.got.clear()
                got = asyncio.ensure_future(client.got.wait())
                await asyncio.wait(
                    [got, client.done], return_when=asyncio.FIRST_COMPLETED
                )
                got.cancel()
                self.assertFalse(client.done.done(), "the server side was reset")

            for i in range(20):
                gc.collect()
                transport.write(b"%d;" % i)
                await next_data()
            while bytes(client.data) != b"".join(b"%d;" % i for i in range(20)):
                await next_data()
            transport.close()
            server.close()
            await client.done

        loop.run_until_complete(main())

    @on_each_loop
    def test_no_descriptor_outlives_its_connection(self, loop):
        async def main():
            sources = (
                loop._core._io_sources()
                if isinstance(loop, asyncio_rs.EventLoop)
                else 0
            )
            gc.collect()  # what earlier tests left for the collector
            before = open_fds()
            servers = []
            server = await loop.create_server(
                lambda: servers.append(Collect()) or servers[-1], "127.0.0.1", 0
            )
            port = server.sockets[0].getsockname()[1]
            for _ in range(30):
                transport, client = await loop.create_connection(
                    Collect, "127.0.0.1", port
                )
                transport.write(b"ping")
                transport.close()
                await client.done
            await asyncio.gather(*(s.done for s in servers))
            self.assertEqual([bytes(s.data) for s in servers], [b"ping"] * 30)
            server.close()
            await server.wait_closed()
            if isinstance(loop, asyncio_rs.EventLoop):
                # Nothing left registered with the reactor but what was there before.
                self.assertEqual(loop._core._io_sources(), sources)
            return before

        before = loop.run_until_complete(main())
        gc.collect()
        self.assertEqual(open_fds(), before)

    @on_each_loop
    def test_an_unclosed_transport_warns_and_closes_its_socket(self, loop):
        async def main():
            server, transport, client = await server_and_client(loop, Collect, Collect)
            transport.pause_reading()
            fd = transport.get_extra_info("socket").fileno()
            server.close()
            return transport, client, fd

        transport, client, fd = loop.run_until_complete(main())
        client.transport = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del transport, client
            gc.collect()
        self.assertTrue(
            any("unclosed transport" in str(w.message) for w in caught),
            [str(w.message) for w in caught],
        )
        with self.assertRaises(OSError):
            os.fstat(fd)


class Datagrams(unittest.TestCase):
    class Endpoint(asyncio.DatagramProtocol):
        def __init__(self):
            self.got = asyncio.Queue()
            self.errors = asyncio.Queue()

        def connection_made(self, transport):
            self.transport = transport

        def datagram_received(self, data, addr):
            self.got.put_nowait((data, addr))

        def error_received(self, exc):
            self.errors.put_nowait(exc)

    @on_each_loop
    def test_udp_datagrams_come_whole_with_their_sender(self, loop):
        async def main():
            a, _ = await loop.create_datagram_endpoint(
                self.Endpoint, local_addr=("127.0.0.1", 0)
            )
            b, pb = await loop.create_datagram_endpoint(
                self.Endpoint, local_addr=("127.0.0.1", 0)
            )
            b_addr = b.get_extra_info("sockname")
            for size in (1, 1000, 60000):
                a.sendto(b"d" * size, b_addr)
            a.sendto(bytearray(b"last"), b_addr)
            got = [await pb.got.get() for _ in range(4)]
            self.assertEqual([len(d) for d, _ in got], [1, 1000, 60000, 4])
            self.assertEqual({addr for _, addr in got}, {a.get_extra_info("sockname")})
            self.assertEqual(a.get_write_buffer_size(), 0)
            a.close()
            b.close()

        loop.run_until_complete(main())

    @on_each_loop
    def test_unix_datagrams_and_their_addresses(self, loop):
        async def main():
            with tempfile.TemporaryDirectory() as d:
                pa_path, pb_path = os.path.join(d, "a"), os.path.join(d, "b")
                a, _ = await loop.create_datagram_endpoint(
                    self.Endpoint, local_addr=pa_path, family=socket.AF_UNIX
                )
                b, pb = await loop.create_datagram_endpoint(
                    self.Endpoint, local_addr=pb_path, family=socket.AF_UNIX
                )
                a.sendto(b"hello", pb_path)
                self.assertEqual(await pb.got.get(), (b"hello", pa_path))
                a.close()
                b.close()

        loop.run_until_complete(main())

    @on_each_loop
    def test_a_connected_endpoint_keeps_to_its_peer_and_hears_refusals(self, loop):
        async def main():
            # A port nobody listens on: bound, then closed.
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.bind(("127.0.0.1", 0))
            dead = probe.getsockname()
            probe.close()
            t, p = await loop.create_datagram_endpoint(self.Endpoint, remote_addr=dead)
            with self.assertRaisesRegex(ValueError, "Invalid address: must be None or"):
                t.sendto(b"x", ("127.0.0.1", 9))
            t.sendto(b"x")
            t.sendto(b"y", dead)
            # The kernel's "port unreachable" reaches error_received.
            exc = await asyncio.wait_for(p.errors.get(), 10)
            self.assertIsInstance(exc, ConnectionRefusedError)
            self.assertFalse(t.is_closing())
            t.close()

        loop.run_until_complete(main())


class Pipes(unittest.TestCase):
    @on_each_loop
    def test_a_read_pipe_delivers_data_then_eof_then_loss(self, loop):
        async def main():
            rfd, wfd = os.pipe()
            transport, protocol = await loop.connect_read_pipe(
                Collect, os.fdopen(rfd, "rb", 0)
            )
            os.write(wfd, b"through the pipe")
            await protocol.got.wait()
            os.close(wfd)
            self.assertIsNone(await protocol.done)
            self.assertEqual(bytes(protocol.data), b"through the pipe")
            self.assertEqual(protocol.events, ["made", "eof", ("lost", None)])
            self.assertTrue(transport.get_extra_info("pipe").closed)
            with self.assertRaises(OSError):
                os.fstat(rfd)

        loop.run_until_complete(main())

    @on_each_loop
    def test_a_write_pipe_learns_its_reader_went(self, loop):
        async def main():
            rfd, wfd = os.pipe()
            transport, protocol = await loop.connect_write_pipe(
                Collect, os.fdopen(wfd, "wb", 0)
            )
            transport.write(b"x" * 1000)
            self.assertEqual(os.read(rfd, 2000), b"x" * 1000)
            # More than the pipe holds: the rest waits in the transport's buffer.
            transport.write(b"y" * (1 << 20))
            self.assertGreater(transport.get_write_buffer_size(), 0)
            os.close(rfd)
            exc = await protocol.done
            self.assertIsInstance(exc, BrokenPipeError)
            self.assertTrue(transport.is_closing())
            self.assertEqual(transport.get_write_buffer_size(), 0)
            with self.assertRaises(OSError):
                os.fstat(wfd)

        loop.run_until_complete(main())

    @on_each_loop
    def test_a_subprocess_talks_through_pipes(self, loop):
        async def main():
            proc = await asyncio.create_subprocess_exec(
                "cat", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
            )
            payload = os.urandom(500_000)
            out, _ = await proc.communicate(payload)
            self.assertEqual(out, payload)
            self.assertEqual(proc.returncode, 0)

        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        finally:
            asyncio.set_event_loop(None)

    def test_asyncio_rs_reaps_children_through_pidfds_without_a_thread(self):
        import threading

        async def main():
            threads = threading.active_count()
            proc = await asyncio.create_subprocess_exec(
                "sh", "-c", "read line; exit 7", stdin=asyncio.subprocess.PIPE
            )
            # While the child runs, no waiting thread was started for it.
            self.assertEqual(threading.active_count(), threads)
            proc.stdin.write(b"go\n")
            self.assertEqual(await proc.wait(), 7)
            return proc.pid

        pid = asyncio_rs.run(main())
        with self.assertRaises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # already reaped


if __name__ == "__main__":
    unittest.main()
