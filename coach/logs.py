"""One log line per request, and tracebacks of unhandled errors in the log only."""

from __future__ import annotations

import atexit
import logging
import queue
import time
from logging.handlers import QueueHandler, QueueListener

from litestar.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("coach.request")


def configure_logging(level: int = logging.INFO) -> None:
    """Send the app's log lines to stderr once.

    A thread writes them: a slow terminal or a full pipe never holds up a request.
    """
    root = logging.getLogger("coach")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        lines: queue.SimpleQueue = queue.SimpleQueue()
        listener = QueueListener(lines, handler)
        listener.start()
        atexit.register(listener.stop)  # writes what is left in the queue
        root.addHandler(QueueHandler(lines))
    root.setLevel(level)
    root.propagate = False


def loggable_path(path: str) -> str:
    """Return the path with any invite token replaced; query strings are never logged.

    Control characters are escaped, so that a path cannot start a forged log line.
    """
    if path.startswith("/i/"):
        return "/i/***"
    return "".join(
        f"\\x{ord(char):02x}" if ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 else char
        for char in path
    )


def request_log_middleware(app: ASGIApp) -> ASGIApp:
    """Log method, path, status and duration of every HTTP request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info(
                "%s %s %s %.1fms", scope["method"], loggable_path(scope["path"]), status, elapsed_ms
            )

    return middleware
