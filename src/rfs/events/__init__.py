"""Event system: ``Event``, topic patterns, ports, and backends loaded only when used.

``from rfs.events import InMemoryBroker, Event`` is cheap; a server backend
(``RedisStreamsBroker``, ``JetStreamBroker``, ``RabbitMQBroker``) imports its client library
the first time its name is looked up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Event": "rfs.events.event",
    "EventBase": "rfs.events.event",
    "MAX_DEPTH": "rfs.events.event",
    "MAX_EVENT_SIZE": "rfs.events.event",
    "MAX_SEGMENTS": "rfs.events.topics",
    "MAX_TOPIC_LENGTH": "rfs.events.topics",
    "InvalidTopicError": "rfs.events.errors",
    "DecodeError": "rfs.events.errors",
    "EventError": "rfs.events.errors",
    "PublishError": "rfs.events.errors",
    "BufferFullError": "rfs.events.errors",
    "BrokerClosedError": "rfs.events.errors",
    "HandlerError": "rfs.events.errors",
    "Pattern": "rfs.events.topics",
    "compile_pattern": "rfs.events.topics",
    "matches": "rfs.events.topics",
    "validate_topic": "rfs.events.topics",
    "Broker": "rfs.events.ports",
    "Consumer": "rfs.events.ports",
    "Publisher": "rfs.events.ports",
    "Queue": "rfs.events.ports",
    "Subscription": "rfs.events.ports",
    "Handler": "rfs.events.ports",
    "Backpressure": "rfs.events.backpressure",
    "BoundedBuffer": "rfs.events.backpressure",
    "BatchingConsumer": "rfs.events.batching",
    "Delivery": "rfs.events.subscription",
    "BaseSubscription": "rfs.events.subscription",
    "HEADER_ERROR": "rfs.events.subscription",
    "HEADER_ERROR_TYPE": "rfs.events.subscription",
    "HEADER_DELIVERIES": "rfs.events.subscription",
    "HEADER_ORIGINAL_TOPIC": "rfs.events.subscription",
    "dead_letter_topic": "rfs.events.subscription",
    "InMemoryBroker": "rfs.events.backends.memory",
    "InMemoryPublisher": "rfs.events.backends.memory",
    "InMemoryConsumer": "rfs.events.backends.memory",
    "InMemorySubscription": "rfs.events.backends.memory",
    "MultiprocessQueue": "rfs.events.backends.multiprocess",
    "MultiprocessBroker": "rfs.events.backends.multiprocess",
    "RedisStreamsBroker": "rfs.events.backends.redis_streams",
    "JetStreamBroker": "rfs.events.backends.nats_jetstream",
    "RabbitMQBroker": "rfs.events.backends.rabbitmq",
}

__all__ = [
    "HEADER_DELIVERIES",
    "HEADER_ERROR",
    "HEADER_ERROR_TYPE",
    "HEADER_ORIGINAL_TOPIC",
    "MAX_DEPTH",
    "MAX_EVENT_SIZE",
    "MAX_SEGMENTS",
    "MAX_TOPIC_LENGTH",
    "Backpressure",
    "BaseSubscription",
    "BatchingConsumer",
    "BoundedBuffer",
    "Broker",
    "BrokerClosedError",
    "BufferFullError",
    "Consumer",
    "DecodeError",
    "Delivery",
    "Event",
    "EventBase",
    "EventError",
    "Handler",
    "HandlerError",
    "InMemoryBroker",
    "InMemoryConsumer",
    "InMemoryPublisher",
    "InMemorySubscription",
    "InvalidTopicError",
    "JetStreamBroker",
    "MultiprocessBroker",
    "MultiprocessQueue",
    "Pattern",
    "PublishError",
    "Publisher",
    "Queue",
    "RabbitMQBroker",
    "RedisStreamsBroker",
    "Subscription",
    "compile_pattern",
    "dead_letter_topic",
    "matches",
    "validate_topic",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:
    from rfs.events.backends.memory import (
        InMemoryBroker,
        InMemoryConsumer,
        InMemoryPublisher,
        InMemorySubscription,
    )
    from rfs.events.backends.multiprocess import MultiprocessBroker, MultiprocessQueue
    from rfs.events.backends.nats_jetstream import JetStreamBroker
    from rfs.events.backends.rabbitmq import RabbitMQBroker
    from rfs.events.backends.redis_streams import RedisStreamsBroker
    from rfs.events.backpressure import Backpressure, BoundedBuffer
    from rfs.events.batching import BatchingConsumer
    from rfs.events.errors import (
        BrokerClosedError,
        BufferFullError,
        DecodeError,
        EventError,
        HandlerError,
        InvalidTopicError,
        PublishError,
    )
    from rfs.events.event import MAX_DEPTH, MAX_EVENT_SIZE, Event, EventBase
    from rfs.events.ports import Broker, Consumer, Handler, Publisher, Queue, Subscription
    from rfs.events.subscription import (
        HEADER_DELIVERIES,
        HEADER_ERROR,
        HEADER_ERROR_TYPE,
        HEADER_ORIGINAL_TOPIC,
        BaseSubscription,
        Delivery,
        dead_letter_topic,
    )
    from rfs.events.topics import (
        MAX_SEGMENTS,
        MAX_TOPIC_LENGTH,
        Pattern,
        compile_pattern,
        matches,
        validate_topic,
    )
