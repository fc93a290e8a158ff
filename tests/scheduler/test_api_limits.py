"""The trigger API authenticates before reading a body and caps its size, on a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .api_server import TOKEN

SERVER = Path(__file__).with_name("api_server.py")
ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
HUGE = 150 * MIB


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, int]]:
    """(pid, port) of a uvicorn process serving one API trigger."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    proc = subprocess.Popen([sys.executable, str(SERVER), str(port)], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1)
                break
            except OSError:
                assert proc.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield proc.pid, port
    finally:
        proc.terminate()
        proc.wait(10)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class PeakRss:
    """Samples a process's resident memory every 20 ms while a request runs (MiB)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = self.peak = rss_mib(pid)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, rss_mib(self.pid))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib(self.pid))

    @property
    def growth(self) -> float:
        return self.peak - self.before


def post(port: int, headers: dict[str, str], body: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a POST to the hook trigger; return the response bytes and how much body was sent.

    A reader thread collects the response while the body is still being sent, so an early
    answer is seen even when the server then closes the connection.
    """
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(15)
    head = "POST /triggers/hook/fire HTTP/1.1\r\nHost: test\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    received: list[bytes] = []

    def read() -> None:
        try:
            while data := sock.recv(65536):
                received.append(data)
        except OSError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent = 0
    try:
        sock.sendall(head.encode())
        for chunk in body:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # the server closed the connection: it will not read the rest
    reader.join(15)
    sock.close()
    return b"".join(received), sent


def raw_body(total: int) -> Iterator[bytes]:
    chunk = b"[" * MIB  # deeply nested JSON, were anyone to parse it
    for _ in range(total // MIB):
        yield chunk


def chunked_body(total: int) -> Iterator[bytes]:
    for piece in raw_body(total):
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def test_unauthenticated_huge_body_is_401_and_not_read(
    server: tuple[int, int], record_property: pytest.RecordProperty
) -> None:
    """A 150 MB body without a token: 401, the server reads almost none of it, RSS stays flat."""
    pid, port = server
    with PeakRss(pid) as rss:
        response, sent = post(port, {"Content-Length": str(HUGE)}, raw_body(HUGE))
    figures = f"server RSS {rss.before:.1f} MiB, peak {rss.peak:.1f} MiB, sent {sent / MIB:.1f} MiB"
    record_property("unauthenticated_150mb", figures)
    print(f"unauthenticated 150 MB: {figures}")
    assert response.startswith(b"HTTP/1.1 401")
    assert sent < HUGE // 4  # the server closed the connection instead of draining the body
    assert rss.growth < 20


def test_authenticated_oversized_body_is_413(server: tuple[int, int]) -> None:
    """With the token, a declared 150 MB body is refused with 413 before it is read."""
    pid, port = server
    headers = {"Content-Length": str(HUGE), "Authorization": f"Bearer {TOKEN}"}
    with PeakRss(pid) as rss:
        response, sent = post(port, headers, raw_body(HUGE))
    assert response.startswith(b"HTTP/1.1 413")
    assert sent < HUGE // 4 and rss.growth < 20


def test_chunked_body_over_the_limit_is_413_and_reading_stops(
    server: tuple[int, int],
) -> None:
    """A chunked body (no Content-Length) is counted while it streams: 413 after the cap."""
    pid, port = server
    headers = {"Transfer-Encoding": "chunked", "Authorization": f"Bearer {TOKEN}"}
    with PeakRss(pid) as rss:
        response, sent = post(port, headers, chunked_body(HUGE))
    print(f"chunked: RSS {rss.before:.1f}, peak {rss.peak:.1f} MiB, sent {sent / MIB:.1f} MiB")
    assert response.startswith(b"HTTP/1.1 413")
    assert sent < HUGE // 4 and rss.growth < 20


def test_small_body_fires(server: tuple[int, int]) -> None:
    """A body under the limit with the token fires the trigger (202)."""
    _, port = server
    body = b'{"ref": "main"}'
    headers = {"Content-Length": str(len(body)), "Authorization": f"Bearer {TOKEN}"}
    response, _ = post(port, {**headers, "Connection": "close"}, iter([body]))
    assert response.startswith(b"HTTP/1.1 202")
