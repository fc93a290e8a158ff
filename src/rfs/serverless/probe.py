"""The child process of ``rfs coldstart``: load an application, make it ready, report, exit.

Run by path (``python probe.py FD TARGET PATH``) so that nothing of rfs is imported unless
the application imports it. TARGET is ``module``, ``module:attr``, ``file.py`` or
``file.py:attr`` ("" measures a bare interpreter). An attribute that is an ASGI application
gets its lifespan startup and one ``GET PATH``; a function is called (awaited when async) and
an ASGI application it returns is served the same way. One line goes to FD: ``ready
DETAIL``, ``usage MESSAGE`` (the target cannot be found or does not parse) or ``error
MESSAGE``; then the process exits at once, since only startup is measured.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # no typing import in the measured process
if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any

    Message = MutableMapping[str, Any]


def _load(target: str) -> Any:
    import importlib.util

    where, _, attr = target.partition(":")
    if where.endswith(".py"):  # imported as a module named after the file, like uvicorn does
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise LookupError(f"no such file: {where}")
        sys.path.insert(0, os.path.dirname(path))
        where = os.path.splitext(os.path.basename(path))[0]
    else:
        sys.path.insert(0, os.getcwd())
    if importlib.util.find_spec(where.split(".")[0]) is None:
        raise LookupError(f"no module named {where.split('.')[0]!r}")
    __import__(where)  # the import statement's path, so -X importtime reports it
    module = sys.modules[where]
    obj: Any = module
    for part in attr.split(".") if attr else ():
        if not hasattr(obj, part):
            raise LookupError(f"{where} has no attribute {part!r}")
        obj = getattr(obj, part)
    return obj


def _is_asgi(obj: Any) -> bool:
    """An ASGI 3 application: an async callable taking (scope, receive, send)."""
    import inspect

    if inspect.isclass(obj) or not callable(obj):
        return False
    call = obj if inspect.isroutine(obj) else type(obj).__call__
    if not inspect.iscoroutinefunction(call):
        return False
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 3


async def _serve_once(app: Any, path: str) -> str:
    import asyncio

    startup: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})

    async def lifespan_send(message: Message) -> None:
        if not startup.done() and message["type"].startswith("lifespan.startup"):
            startup.set_result(message)

    state: dict[str, Any] = {}
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    life = asyncio.ensure_future(app(scope, inbox.get, lifespan_send))
    await asyncio.wait({life, startup}, return_when=asyncio.FIRST_COMPLETED)
    if startup.done() and startup.result()["type"] == "lifespan.startup.failed":
        raise RuntimeError(f"lifespan startup failed: {startup.result().get('message', '')}")
    if life.done() and not life.cancelled():
        life.exception()  # an app without lifespan support: serve it without
    status: list[int] = []
    request = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1),
        "server": ("localhost", 80),
        "state": dict(state),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(request, receive, send)
    return f"HTTP {status[0] if status else '?'} {path}"


def _ready(obj: Any, path: str) -> str:
    import asyncio
    import inspect

    if _is_asgi(obj):
        return asyncio.run(_serve_once(obj, path))
    if callable(obj) and not isinstance(obj, type(sys)):
        value = obj()
        if inspect.isawaitable(value):

            async def wait() -> Any:
                return await value

            value = asyncio.run(wait())
        if _is_asgi(value):
            return asyncio.run(_serve_once(value, path))
        return "called"
    return "imported"


def main() -> None:
    fd, target, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    try:
        detail = _ready(_load(target), path) if target else "interpreter"
        line = f"ready {detail}"
    except (LookupError, SyntaxError) as exc:
        line = f"usage {type(exc).__name__}: {exc}"
    except BaseException as exc:
        line = f"error {type(exc).__name__}: {exc}"
    os.write(fd, (line.replace("\n", " ") + "\n").encode())
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
