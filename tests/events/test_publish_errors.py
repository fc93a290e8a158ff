"""A publish that cannot reach its server says where it went and what to check."""

from __future__ import annotations

import uuid

from rfs.events import Event, PublishError
from rfs.events.backends.redis_streams import RedisStreamsBroker
from rfs.result import is_failure


async def test_redis_publish_failure_names_host_port_stream_and_the_fix() -> None:
    """Nothing listens on port 1: the Failure names the address, the stream and the fix."""
    stream = f"rfs-test:{uuid.uuid4().hex}"
    broker = RedisStreamsBroker("redis://127.0.0.1:1/0", stream=stream)
    try:
        result = await broker.publish("orders.placed", Event("orders.placed", {"id": 1}))
    finally:
        await broker.close()
    assert is_failure(result) and isinstance(result.error, PublishError)
    message = str(result.error)
    assert f"redis at 127.0.0.1:1, stream {stream!r}" in message
    assert "publish to 'orders.placed' failed" in message and "ConnectionError" in message
    assert "is Redis running and reachable there? Check the url=" in message
