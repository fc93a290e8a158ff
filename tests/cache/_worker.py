"""A process calling one Redis-cached function: ``python _worker.py URL PREFIX MODE``.

It prints ``ready``, waits for a line on stdin, calls ``load("k")`` and prints the outcome.
The loader counts its calls in Redis (``<prefix>calls``) so the test sees every process's.
MODE ``hang`` makes the loader print ``loading`` and never return (to be SIGKILLed).
"""

from __future__ import annotations

import asyncio
import sys

import redis.asyncio as aioredis

from rfs.cache import RedisBackend, cached
from rfs.result import Success


async def main(url: str, prefix: str, mode: str) -> None:
    counter = aioredis.Redis.from_url(url)
    backend = RedisBackend(url, prefix=prefix, lock_timeout=1.0)

    @cached(ttl=60, backend=backend)
    async def load(key: str) -> Success[str]:
        await counter.incr(f"{prefix}calls")
        if mode == "hang":
            print("loading", flush=True)
            await asyncio.Event().wait()
        await asyncio.sleep(0.3)
        return Success(f"value-of-{key}")

    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    outcome = await load("k")
    print(f"outcome {outcome.unwrap()}", flush=True)
    await backend.aclose()
    await counter.aclose()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
