"""Echo servers for asyncio-bench: `asyncio` (streams, as asyncio's docs show) or `uvloop`
(a Protocol on uvloop, its fastest form). Binds 127.0.0.1:0, prints the port, serves."""

import asyncio
import socket
import sys


async def handle(reader, writer):
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "uvloop":
        import uvloop

        uvloop.install()
    asyncio.run(main(kind))
