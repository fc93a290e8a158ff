"""Seed 002's integration example, run unchanged but for the ``rfs`` imports.

The seed leaves its event classes undefined; they are declared here as ``Event`` subclasses.
After the seed's code, the script runs the ``etl`` pipeline once and prints what the
scheduler's event trigger made of it (``test_seed_example.py`` checks the output).
"""

import asyncio

from rfs.events import Event, InMemoryBroker, InMemoryConsumer, InMemoryPublisher
from rfs.pipeline import MemoryIOManager, MemoryRunStore, run_pipeline, task
from rfs.scheduler import Scheduler, create_cron_trigger, create_event_trigger


class DataExtractedEvent(Event):
    pass


class DataTransformedEvent(Event):
    pass


class StartExtractEvent(Event):
    pass


class StartTransformEvent(Event):
    pass


async def main() -> None:
    # --- the seed's code, verbatim from here -------------------------------------------------
    # Event System 설정
    broker = InMemoryBroker()
    publisher = InMemoryPublisher(broker)
    consumer = InMemoryConsumer(broker)

    # Task 정의
    @task(name="extract", tags=["etl"])
    async def extract_data():
        data = {"rows": [1, 2, 3, 4, 5]}
        await publisher.publish(
            "data.extracted", DataExtractedEvent(topic="data.extracted", data=data)
        )
        return data

    @task(name="transform", tags=["etl"], dependencies=["extract"])
    async def transform_data(data: dict):
        transformed = [x * 2 for x in data["rows"]]
        await publisher.publish(
            "data.transformed", DataTransformedEvent(topic="data.transformed", data=transformed)
        )
        return transformed

    # Scheduler 설정
    scheduler = Scheduler(publisher)

    # 1. 매일 오전 3시에 데이터 추출 시작
    extract_trigger = create_cron_trigger(
        cron_expression="0 3 * * *", event_factory=lambda: StartExtractEvent(topic="pipeline.start")
    )

    # 2. 추출 완료 시 자동으로 변환 시작
    transform_trigger = create_event_trigger(
        consumer=consumer,
        source_topic="data.extracted",
        event_factory=lambda event: StartTransformEvent(
            topic="pipeline.transform", data=event.data
        ),
    )

    # 등록 및 시작
    await scheduler.register_trigger("daily_extract", extract_trigger, "pipeline.start")
    await scheduler.register_trigger("auto_transform", transform_trigger, "pipeline.transform")
    await scheduler.start()
    # --- end of the seed's code ----------------------------------------------------------------

    watcher = consumer.consume("pipeline.transform")
    await asyncio.sleep(0)
    for info in scheduler.list():
        print("trigger", info.name, info.kind, info.next_fire_time is not None)
    # the whole seed pipeline runs: transform's only parameter receives extract's output
    outcome = await run_pipeline(
        tags=["etl"], io_manager=MemoryIOManager(), run_store=MemoryRunStore()
    )
    print("run", outcome.is_success())
    print("transform output", outcome.unwrap().output("transform"))
    started = await asyncio.wait_for(anext(aiter(watcher)), 5)
    print("transform started", type(started).__name__, started.data)
    await scheduler.stop()
    await watcher.close()
    await broker.close()


if __name__ == "__main__":
    asyncio.run(main())
