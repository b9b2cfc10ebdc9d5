"""Running ``musette node serve`` as separate processes on loopback: for the demo's third
act and for the multi-process tests (one place that starts, waits for and stops nodes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from .errors import NodeUnreachableError

__all__ = ["NodeProcess", "free_ports"]


def free_ports(count: int) -> list[int]:
    """``count`` loopback ports free right now (bound together, then released)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


class NodeProcess:
    """One ``musette node serve`` child process over ``home``."""

    def __init__(
        self,
        home: Path,
        port: int,
        *,
        peers: list[str] | None = None,
        interval: float = 0.5,
        log: Path | None = None,
        env: dict[str, str] | None = None,
        options: list[str] | None = None,
    ) -> None:
        self.home = home
        self.port = port
        self.peers = peers or []
        self.interval = interval
        self.log = log or home.parent / f"{home.name}.node.log"
        self.env = {**os.environ, **(env or {})}
        self.options = options or []  # more ``node serve`` options
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> NodeProcess:
        """Start the node and wait until it answers ``/health``."""
        command = [sys.executable, "-m", "node", "--home", str(self.home), "node", "serve"]
        command += ["--port", str(self.port), "--interval", str(self.interval)]
        for peer in self.peers:
            command += ["--peer", peer]
        command += self.options
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=Path(__file__).resolve().parent.parent,
                env=self.env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NodeUnreachableError(
                    f"node on port {self.port} exited ({self.process.returncode}): "
                    f"{self.log.read_text('utf-8', 'replace')[-500:]}"
                )
            try:
                self.health()
                return self
            except NodeUnreachableError:
                time.sleep(0.1)
        self.kill()
        raise NodeUnreachableError(f"node on port {self.port} did not start in {timeout:g} s")

    def health(self) -> dict[str, Any]:
        try:
            response = httpx.get(f"{self.url}/health", timeout=5, trust_env=False)
            value: dict[str, Any] = response.json()
            return value
        except (httpx.HTTPError, ValueError) as e:
            raise NodeUnreachableError(f"{self.url}: {e}") from e

    def stop(self, timeout: float = 30.0) -> int:
        """Interrupt (as Ctrl-C does) and wait; the exit status."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as a crash or power cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
