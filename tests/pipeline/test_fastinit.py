"""fast_init: a faster frozen-dataclass __init__ that behaves exactly like the generated one."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from dataclasses import dataclass, field

import pytest

from rfs.pipeline._fastinit import fast_init
from rfs.pipeline.executors.base import TaskAttempt
from rfs.pipeline.store.base import TaskRecord, TaskState


@dataclass(frozen=True)
class Plain:
    a: int
    b: str = "x"
    c: list[int] = field(default_factory=list)


@fast_init
@dataclass(frozen=True)
class Fast:
    a: int
    b: str = "x"
    c: list[int] = field(default_factory=list)


def test_same_signature_values_and_frozenness() -> None:
    """Signature, defaults, factories, equality and immutability match the dataclass init."""
    assert str(inspect.signature(Fast)) == str(inspect.signature(Plain))
    fast, plain = Fast(1), Plain(1)
    assert (fast.a, fast.b, fast.c) == (plain.a, plain.b, plain.c)
    assert Fast(1).c is not Fast(1).c
    assert Fast(1, "y", [2]) == Fast(a=1, b="y", c=[2]) != Fast(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.a = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        Fast()  # type: ignore[call-arg]


def test_records_pickle_and_replace() -> None:
    """Hot-path records still round-trip through pickle and dataclasses.replace."""
    record = TaskRecord("r", "t", TaskState.RUNNING, attempts=2)
    assert pickle.loads(pickle.dumps(record)) == record
    assert dataclasses.replace(record, attempts=3).attempts == 3
    assert inspect.signature(TaskAttempt).parameters["inputs"].default is not None


def test_refuses_classes_it_cannot_speed_up() -> None:
    """Classes with __post_init__ or slots are refused with a clear error."""

    @dataclass(frozen=True)
    class Post:
        a: int

        def __post_init__(self) -> None: ...

    @dataclass(frozen=True, slots=True)
    class Slotted:
        a: int

    for cls in (Post, Slotted):
        with pytest.raises(TypeError, match="fast_init"):
            fast_init(cls)
