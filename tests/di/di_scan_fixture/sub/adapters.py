"""Adapters and a use case of the scan test package."""

from __future__ import annotations

from di_scan_fixture.ports import SCRATCH, Greeter

from rfs.di import Adapter, UseCase


@Adapter(port=Greeter, profile="test", registry=SCRATCH)
class PlainGreeter:
    """The test profile's greeter."""

    def greet(self) -> str:
        return "hello"


@Adapter(port=Greeter, profile="prod", registry=SCRATCH)
class LoudGreeter:
    """The prod profile's greeter."""

    def greet(self) -> str:
        return "HELLO"


@UseCase(registry=SCRATCH)
class Welcome:
    """Uses whichever greeter the profile selects."""

    def __init__(self, greeter: Greeter) -> None:
        self.greeter = greeter

    def run(self) -> str:
        return self.greeter.greet() + "!"


class NotAnnotated:
    """Ignored by scan."""
