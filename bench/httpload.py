"""A load tool for the benchmarks: `wrk` when it is installed, else a small asyncio client.

Both keep `connections` keep-alive connections busy for `seconds` against one URL on the
loopback interface and return the requests per second. Every URL in one run is measured
with the same tool and connection count, so the ratios between them are fair.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Result:
    requests: int
    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def bad(self) -> int:
        """Responses other than 2xx and 3xx."""
        return sum(count for status, count in self.statuses.items() if status >= 400)


def tool_name(prefer: str = "auto") -> str:
    if prefer == "auto":
        return "wrk" if shutil.which("wrk") else "asyncio"
    return prefer


def run(url: str, *, seconds: float, connections: int, headers: dict[str, str],
        tool: str = "auto") -> Result:
    """Measure one URL with the chosen tool."""
    if tool_name(tool) == "wrk":
        return run_wrk(url, seconds=seconds, connections=connections, headers=headers)
    return asyncio.run(run_asyncio(url, seconds=seconds, connections=connections,
                                   headers=headers))


def run_wrk(url: str, *, seconds: float, connections: int, headers: dict[str, str]) -> Result:
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603 (wrk with our own arguments)
        [*command, url], capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", output).group(1))
    elapsed = re.search(r"requests in ([\d.]+)(m?s)", output)
    seconds_taken = float(elapsed.group(1)) / (1000 if elapsed.group(2) == "ms" else 1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    statuses = {200: total}
    if bad:
        statuses = {200: total - int(bad.group(1)), 599: int(bad.group(1))}
    if errors and sum(int(n) for n in errors.groups()):
        statuses[598] = sum(int(n) for n in errors.groups())
    return Result(requests=total, seconds=seconds_taken, statuses=statuses)


def _request_bytes(url: str, headers: dict[str, str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return parts.hostname, parts.port or 80, ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one response; return its status. Handles Content-Length and chunked bodies."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    match = re.search(rb"content-length: *(\d+)", lower)
    if match:
        await reader.readexactly(int(match.group(1)))
    elif b"transfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def run_asyncio(url: str, *, seconds: float, connections: int,
                      headers: dict[str, str]) -> Result:
    host, port, request = _request_bytes(url, headers)
    result = Result(requests=0, seconds=0.0)
    deadline = time.perf_counter() + seconds

    async def one_connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                result.requests += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    return result
