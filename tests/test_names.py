"""Canonical names across subsystems and their old spellings (docs/conventions.md)."""

from __future__ import annotations

import rfs
import rfs.pipeline
import rfs.saga
import rfs.scheduler
import rfs.tx
from rfs.async_tasks.lifecycle import EventPublisher as TasksPublisher
from rfs.events import InMemoryBroker
from rfs.events.ports import Consumer, Publisher
from rfs.pipeline.events import EventPublisher
from rfs.saga import serializers
from rfs.scheduler.targets import Publisher as SchedulerPublisher
from rfs.scheduler.triggers import Consumer as SchedulerConsumer


def test_one_publisher_and_one_consumer_port() -> None:
    """Every subsystem's publisher/consumer port is the one in rfs.events.ports."""
    assert EventPublisher is Publisher and TasksPublisher is Publisher
    assert SchedulerPublisher is Publisher and SchedulerConsumer is Consumer
    assert isinstance(InMemoryBroker(), Publisher)


def test_old_names_are_the_canonical_objects() -> None:
    """Old spellings are aliases, not copies."""
    assert serializers.JsonSerializer is serializers.JsonCodec
    assert serializers.PickleSerializer is serializers.PickleCodec
    assert rfs.scheduler.SQLStateStore is rfs.scheduler.SqlStateStore
    assert rfs.pipeline.get_registry() is rfs.pipeline.default_registry()
    assert rfs.saga.get_saga_registry() is rfs.saga.default_registry()
    assert rfs.tx.get_manager is rfs.tx.default_manager


def test_saga_codecs_round_trip_bytes() -> None:
    """A saga codec turns a value into bytes and back."""
    codec = serializers.get_serializer("json")
    assert isinstance(codec, serializers.JsonCodec)
    assert codec.loads(codec.dumps({"a": [1, 2]})) == {"a": [1, 2]}


def test_saga_registry_find_is_get() -> None:
    """SagaRegistry.find returns the saga or None, as the old get does."""
    registry = rfs.saga.SagaRegistry()
    assert registry.find("missing") is None and registry.get("missing") is None


def test_all_lists_canonical_names_and_v4_names_still_import() -> None:
    """rfs.__all__ holds no v4 spelling, yet ``rfs.Mono`` and friends still resolve."""
    for name in ("Mono", "Flux", "ResultAsync", "ServiceScope", "AnnotationRegistry"):
        assert name not in rfs.__all__
        assert getattr(rfs, name) is not None
    assert "Registry" in rfs.__all__ and "MonoResult" in rfs.__all__


def test_old_celery_app_path_re_exports_the_same_objects() -> None:
    """``rfs.pipeline.celery_app`` (the old path) gives the executor module's own objects."""
    import rfs.pipeline.celery_app as old
    import rfs.pipeline.executors.celery_app as new

    assert old.__all__ == new.__all__
    assert all(getattr(old, name) is getattr(new, name) for name in new.__all__)
