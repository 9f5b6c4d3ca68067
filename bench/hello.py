"""A Litestar hello-world: the framework's own limit on this machine, served like `coach serve`.

    python -m uvicorn bench.hello:app --port 8001 --no-access-log
"""

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def hello() -> str:
    return "Hello, world!"


app = Litestar(route_handlers=[hello], debug=False)
