"""A node's HTTP app served by uvicorn on a free loopback port, in a thread: real HTTP
for the tests, without a process of its own."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from node.api import ApiLimits, create_app
from node.service import NodeService

__all__ = ["served"]


@contextmanager
def served(service: NodeService, limits: ApiLimits) -> Iterator[tuple[httpx.Client, str]]:
    """(a client bound to the app, its base URL); the service is closed afterwards."""
    # proto IPPROTO_TCP, so that asyncio sets TCP_NODELAY on accepted connections
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(create_app(service, limits), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    client = httpx.Client(base_url=url, trust_env=False, timeout=30)
    try:
        yield client, url
    finally:
        client.close()
        server.should_exit = True
        thread.join(timeout=10)
        service.close()
        sock.close()
