"""A consumer process for fault tests: handles events slowly, logging each to a file.

Usage: python _worker.py KIND URL NAME GROUP LOGFILE. The test SIGKILLs it mid-batch.
"""

from __future__ import annotations

import asyncio
import os
import sys


async def main(kind: str, url: str, name: str, group: str, log: str) -> None:
    if kind == "redis":
        from rfs.events import RedisStreamsBroker

        broker: object = RedisStreamsBroker(url, stream=name, batch_size=10, claim_idle=60)
    elif kind == "rabbitmq":
        from rfs.events import RabbitMQBroker

        broker = await RabbitMQBroker(url, exchange=name, prefetch=10).connect()
    elif kind == "kafka":
        from rfs.events import KafkaBroker

        broker = KafkaBroker(
            url, prefix=name, batch_size=500, session_timeout=2.0, heartbeat_interval=0.2
        )
    else:
        from rfs.events import JetStreamBroker

        broker = JetStreamBroker(url, stream=name, prefix=name.lower(), batch_size=10, ack_wait=1.0)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    sub = broker.consume("jobs.*", group=group)  # type: ignore[attr-defined]
    if kind == "rabbitmq":
        await sub._ready  # type: ignore[attr-defined]

    async def handle(event: object) -> None:
        if kind != "kafka":  # the Kafka test sends 100,000 events: no time to sleep
            await asyncio.sleep(0.1)
        os.write(fd, f"{event.data}\n".encode())  # type: ignore[attr-defined]

    os.write(fd, b"ready\n")
    await sub.run(handle)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
