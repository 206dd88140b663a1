"""A task that tries to open a network connection (a test fixture for `docker run --network none`).

Only ever run inside a container without a network: there the connection
fails at once (no route) and no packet leaves. It refuses to try where the
machine has any interface besides loopback.
"""

import socket


def task(params, index, workers, state):
    others = [name for _, name in socket.if_nameindex() if name != "lo"]
    if others:
        raise RuntimeError(f"refusing to connect: this machine has network interfaces {others}")
    socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: documentation only
    return 1.0
