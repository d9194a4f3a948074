"""Echo servers for asyncio-bench: `asyncio` (streams, as asyncio's docs show), `uvloop`
(a Protocol on uvloop, its fastest form), or `streams LOOP` (the streams server on LOOP:
asyncio, uvloop, rloop or asyncio_rs; the py-echo-streams workload). Binds 127.0.0.1:0,
prints the port, serves."""

import asyncio
import socket
import sys


async def handle(reader, writer):
    sock = writer.get_extra_info("socket")
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except AttributeError:
        pass  # rloop's socket wrapper has no setsockopt (asyncio's loops set it already)
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main(kind):
    loop = asyncio.get_running_loop()
    if kind == "uvloop":
        server = await loop.create_server(Echo, "127.0.0.1", 0)
    else:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def new_loop(name):
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    if name == "rloop":
        import rloop

        return rloop.new_event_loop()
    if name == "asyncio_rs":
        import asyncio_rs

        return asyncio_rs.new_event_loop()
    return asyncio.new_event_loop()


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "streams":
        with asyncio.Runner(loop_factory=lambda: new_loop(sys.argv[2])) as runner:
            runner.run(main("asyncio"))
        sys.exit(0)
    if kind == "uvloop":
        import uvloop

        uvloop.install()
    asyncio.run(main(kind))
