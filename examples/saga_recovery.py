"""A saga whose process is SIGKILLed mid-step, finished by ``SagaLog.recover()`` in another.

The child process books a trip (flight, hotel, car) and is killed right after the hotel
booking, before the saga logs it. This process then recovers: the hotel step runs again
with the same idempotency key, recognises its booking, and the saga completes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rfs import Success
from rfs.saga import Saga, SagaLog, StepContext

trip = Saga("example_book_trip")


def book(kind: str) -> Any:
    def action(ctx: dict[str, Any], step: StepContext) -> Success[str]:
        ledger = Path(ctx["ledger"])
        bookings = json.loads(ledger.read_text()) if ledger.exists() else {}
        if step.idempotency_key in bookings:
            print(f"  {kind}: already booked under {step.idempotency_key}, skipping")
        else:
            bookings[step.idempotency_key] = kind
            ledger.write_text(json.dumps(bookings))
            print(f"  {kind}: booked (pid {os.getpid()}, attempt {step.attempt})")
        if kind == "hotel" and os.environ.get("EXAMPLE_KILL_AFTER_HOTEL"):
            os.kill(os.getpid(), signal.SIGKILL)  # dies before the saga logs the step
        return Success(kind)

    return action


for _kind in ("flight", "hotel", "car"):
    trip.add_step(_kind, book(_kind), lambda ctx: None)


async def run_victim(url: str, ledger: str) -> None:
    async with SagaLog(url) as log:
        await trip.execute({"ledger": ledger}, execution_id="trip-1", log=log)


async def recover(url: str) -> None:
    async with SagaLog(url) as log:
        before = await log.load("trip-1")
        assert before is not None
        print(f"log says trip-1 is {before.status.value}; recovering")
        report = (await log.recover()).unwrap()
        print(f"recovered: {report.completed} completed, {report.compensated} compensated")
        after = await log.load("trip-1")
        assert after is not None
        print(
            f"trip-1 is now {after.status.value}: "
            + ", ".join(
                f"{e.kind.value}({e.step})" if e.step else e.kind.value for e in after.events
            )
        )


def main() -> None:
    if len(sys.argv) == 3:  # the victim
        asyncio.run(run_victim(sys.argv[1], sys.argv[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'sagas.db'}"
        ledger = str(Path(tmp) / "bookings.json")
        env = {**os.environ, "EXAMPLE_KILL_AFTER_HOTEL": "1"}
        print("child process books the trip:")
        child = subprocess.run(
            [sys.executable, "-m", "examples.saga_recovery", url, ledger], env=env, check=False
        )
        print(f"child exited with {child.returncode} (SIGKILL is -9)")
        asyncio.run(recover(url))
        print(f"bookings: {sorted(json.loads(Path(ledger).read_text()).values())}")


if __name__ == "__main__":
    main()
