"""Import weight and port conformance of ``rfs.events``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.events import Broker, InvalidTopicError, Subscription, compile_pattern


def test_in_memory_use_imports_no_server_client() -> None:
    """Using the in-memory broker loads none of redis, nats, aio_pika or aiokafka."""
    code = (
        "import sys, asyncio\n"
        "from rfs.events import InMemoryBroker, Event, BatchingConsumer\n"
        "async def main():\n"
        "    b = InMemoryBroker(); s = b.consume('a.*')\n"
        "    await b.publish('a.b', Event()); await b.close()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in ('redis', 'nats', 'aio_pika', 'aiokafka') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_every_backend_implements_the_ports(broker_factory: Callable[..., Any]) -> None:
    """Each backend is a ``Broker`` and its subscriptions are ``Subscription``s."""
    broker = await broker_factory()
    sub = broker.consume("x.*")
    assert isinstance(broker, Broker)
    assert isinstance(sub, Subscription)
    await sub.close()


@settings(deadline=None)
@given(st.text(alphabet="ab.*|- !", max_size=12))
def test_any_text_compiles_or_is_refused_with_a_reason(text: str) -> None:
    """Any string either compiles or raises ``InvalidTopicError`` naming a segment."""
    try:
        compile_pattern(text)
    except InvalidTopicError as error:
        assert "segment" in str(error) or "at least one segment" in str(error)
