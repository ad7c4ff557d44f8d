"""A lab device's TCP listeners: accept on each port given, close at once.

Run as ``python -m muster.collector.lab.listen ADDRESS PORT [PORT ...]``
inside a lab namespace.
"""

import asyncio
import sys


async def _serve(address: str, ports: list[int]) -> None:
    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    servers = [await asyncio.start_server(accept, address, port) for port in ports]
    await asyncio.gather(*(server.serve_forever() for server in servers))


def main() -> None:
    """Listen on the ports given on the command line until killed."""
    address, *ports = sys.argv[1:]
    asyncio.run(_serve(address, [int(port) for port in ports]))


if __name__ == "__main__":
    main()
