"""MemoryBackend: LRU by entries and bytes, TTL, tags, prefixes, thread safety."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.cache import Entry, MemoryBackend

from .conftest import Clock


def entry(value: object, clock: Clock, ttl: float = 10, tags: tuple[str, ...] = ()) -> Entry:
    return Entry(value, clock() + ttl, clock() + ttl, tags)


def test_lru_evicts_the_least_recently_used(clock: Clock) -> None:
    """Past max_entries the entry read longest ago goes first."""
    backend = MemoryBackend(max_entries=2, clock=clock)
    backend.put("a", entry(1, clock))
    backend.put("b", entry(2, clock))
    assert backend.peek("a") is not None
    backend.put("c", entry(3, clock))
    assert backend.peek("b") is None and backend.peek("a") is not None
    assert backend.stats()["evictions"] == 1


def test_max_bytes_bounds_the_measured_size(clock: Clock) -> None:
    """Entries are evicted until the measured bytes fit; an oversized value is refused."""
    backend = MemoryBackend(max_entries=None, max_bytes=100, sizer=len, clock=clock)
    for name in "abcd":
        backend.put(name, entry("x" * 30, clock))
    assert backend.bytes == 90 and len(backend) == 3 and backend.peek("a") is None
    backend.put("big", entry("x" * 101, clock))
    assert backend.peek("big") is None and backend.stats()["rejected"] == 1


def test_expired_entries_are_gone(clock: Clock) -> None:
    """An entry past its stale_until is a miss and is dropped."""
    backend = MemoryBackend(clock=clock)
    backend.put("a", entry(1, clock, ttl=5))
    clock.advance(6)
    assert backend.peek("a") is None
    assert len(backend) == 0 and backend.stats()["expirations"] == 1


def test_tags_and_prefixes(clock: Clock) -> None:
    """remove_tags drops the tagged entries; remove_prefix the keys starting with it."""
    backend = MemoryBackend(clock=clock)
    backend.put("user:1", entry(1, clock, tags=("team:a",)))
    backend.put("user:2", entry(2, clock, tags=("team:b",)))
    backend.put("order:1", entry(3, clock, tags=("team:a",)))
    assert backend.remove_tags(["team:a"]) == 2
    assert backend.peek("user:2") is not None
    assert backend.remove_prefix("user:") == 1
    assert len(backend) == 0


def test_concurrent_threads_keep_the_bounds() -> None:
    """Four threads putting, reading and deleting never break the bound or raise."""
    backend = MemoryBackend(max_entries=50)
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(3000):
                key = f"k{(i * 7 + offset) % 200}"
                backend.put(key, Entry(i, 1e12, 1e12, (f"t{i % 5}",)))
                backend.peek(f"k{i % 200}")
                if i % 97 == 0:
                    backend.remove_tags([f"t{i % 5}"])
                if i % 89 == 0:
                    backend.remove_prefix("k1")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(backend) <= 50


ops = st.lists(
    st.tuples(st.sampled_from(["put", "peek", "tag", "prefix"]), st.integers(0, 9)), max_size=60
)


@settings(max_examples=60)
@given(ops)
def test_matches_a_model(steps: list[tuple[str, int]]) -> None:
    """Against a brute-force ordered list: same keys, same LRU order, same evictions."""
    clock = Clock()
    backend = MemoryBackend(max_entries=4, clock=clock)
    model: list[tuple[str, str]] = []  # (key, tag), least recently used first
    for op, n in steps:
        key, tag = f"k{n}", f"t{n % 3}"
        if op == "put":
            model = [item for item in model if item[0] != key] + [(key, tag)]
            model = model[-4:]
            backend.put(key, entry(n, clock, tags=(tag,)))
        elif op == "peek":
            found = [item for item in model if item[0] == key]
            assert (backend.peek(key) is not None) == bool(found)
            model = [item for item in model if item[0] != key] + found
        elif op == "tag":
            removed = [item for item in model if item[1] == tag]
            assert backend.remove_tags([tag]) == len(removed)
            model = [item for item in model if item[1] != tag]
        else:
            removed = [item for item in model if item[0].startswith(key)]
            assert backend.remove_prefix(key) == len(removed)
            model = [item for item in model if not item[0].startswith(key)]
    assert len(backend) == len(model)
    assert all(backend.peek(key) is not None for key, _ in model)
