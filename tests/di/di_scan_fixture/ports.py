"""Ports of the scan test package."""

from __future__ import annotations

from typing import Protocol

from rfs.di import Port, Registry

SCRATCH = Registry()


@Port(registry=SCRATCH)
class Greeter(Protocol):
    """Says hello."""

    def greet(self) -> str: ...
