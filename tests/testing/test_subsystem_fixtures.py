"""The plugin's subsystem fixtures: fresh, isolated objects per test."""

from __future__ import annotations

from typing import Any, Protocol

from rfs.events import Event
from rfs.pipeline import MemoryIOManager, Planner, run_pipeline


async def test_event_broker_delivers_between_its_publisher_and_consumer(event_broker: Any) -> None:
    """The event_broker fixture is a working in-memory bus."""
    subscription = event_broker.consumer().consume("orders.*")
    await event_broker.publisher().publish("orders.created", Event(topic="orders.created", data=1))
    async for event in subscription:
        assert event.topic == "orders.created" and event.data == 1
        break
    await event_broker.close()


def test_di_registry_uses_the_test_profile(di_registry: Any) -> None:
    """di_registry resolves adapters registered for the test profile."""
    from rfs.di import Adapter, Port

    @Port(registry=di_registry)
    class GreeterPort(Protocol):
        def greet(self) -> str: ...

    @Adapter(port=GreeterPort, profile="test", registry=di_registry)
    class FakeGreeter:
        def greet(self) -> str:
            return "hi from test"

    assert di_registry.resolve(GreeterPort).greet() == "hi from test"


async def test_task_registry_and_run_store_are_fresh(task_registry: Any, run_store: Any) -> None:
    """task_registry starts empty; a run recorded in run_store is readable from it."""
    assert task_registry.names() == []

    @task_registry.task
    def answer() -> int:
        return 42

    plan = Planner(task_registry).create_execution_plan()
    run = (await run_pipeline(plan, io_manager=MemoryIOManager(), run_store=run_store)).unwrap()
    assert run.output("answer") == 42
    record = await run_store.get_run(run.run_id)
    assert record is not None and [t.task_name for t in record.tasks] == ["answer"]
