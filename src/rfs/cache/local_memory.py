"""``LocalMemory`` (seed 003 task 2): an in-memory item store with exact indexes.

Items are mappings (``item["type"]``) or objects (``item.type``) with an ``id``. ``data`` maps
id to item; ``indexes`` holds ``id`` (id -> item), ``type`` and ``owner`` (value -> bucket),
``timestamp`` (timestamp -> bucket), plus any named secondary index. A bucket is a live,
read-only view, so ``query_by_type`` is O(1) however many items match; ``list()`` it for a
snapshot. Time ranges are answered from a sorted list in O(log n + k). Indexes are updated on
``add``, ``update`` and ``delete``; an item changed in place must be passed to ``update``.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

__all__ = ["Bucket", "LocalMemory", "UnindexedQueryError"]

_BUILTIN = ("type", "owner", "timestamp")
_ABSENT = object()


class UnindexedQueryError(KeyError):
    """A query on an attribute that has no index (refused instead of scanning every item)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _field(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, _ABSENT)
    return getattr(item, name, _ABSENT)


def _getter(name: str) -> Callable[[Any], Any]:
    return lambda item: _field(item, name)


class Bucket(Sequence[Any]):
    """The items under one index value, in insertion order: a live read-only view."""

    __slots__ = ("_items",)

    def __init__(self, items: dict[Hashable, Any]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._items.values()))

    def __contains__(self, item: object) -> bool:
        return any(existing is item or existing == item for existing in self._items.values())

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return list(self._items.values())[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Bucket | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Bucket({list(self)!r})"


_EMPTY = Bucket({})


class LocalMemory:
    """Items by id, with O(1) queries by type, owner and any named index.

    ``indexes=("status", ...)`` adds secondary indexes on those attributes (or
    ``add_index(name, key=fn)`` later); a query on an attribute without one raises
    ``UnindexedQueryError``. Thread-safe for writes (one lock); reads take none.
    """

    def __init__(self, indexes: Iterable[str] = (), *, id_field: str = "id") -> None:
        self.id_field = id_field
        self.data: dict[Hashable, Any] = {}
        self.indexes: dict[str, dict[Any, Any]] = {"id": self.data, "type": {}, "owner": {}}
        self.indexes["timestamp"] = {}
        self._extractors: dict[str, Callable[[Any], Any]] = {n: _getter(n) for n in _BUILTIN}
        self._buckets: dict[str, dict[Any, dict[Hashable, Any]]] = {n: {} for n in _BUILTIN}
        self._indexed: dict[Hashable, dict[str, Any]] = {}  # id -> the values it is indexed under
        self._times: list[tuple[Any, int, Hashable]] = []  # sorted (timestamp, seq, id)
        self._seq: dict[Hashable, int] = {}
        self._counter = 0
        self._lock = threading.RLock()
        for name in indexes:
            self.add_index(name)

    def __len__(self) -> int:
        return len(self.data)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.data

    def _id(self, item: Any) -> Hashable:
        item_id = _field(item, self.id_field)
        if item_id is _ABSENT:
            raise ValueError(f"item {item!r} has no {self.id_field!r}")
        return item_id  # type: ignore[no-any-return]

    def add_index(self, name: str, key: Callable[[Any], Any] | None = None) -> None:
        """Index items by ``name`` (an attribute, or ``key(item)``), existing items included."""
        with self._lock:
            if name in self._extractors or name == "id":
                raise ValueError(f"an index named {name!r} exists")
            self._extractors[name] = key or _getter(name)
            self._buckets[name] = {}
            self.indexes[name] = {}
            for item_id, item in self.data.items():
                self._link(name, self._extractors[name](item), item_id, item)
                self._indexed[item_id][name] = self._extractors[name](item)

    # --- writes -----------------------------------------------------------------------------
    def add(self, item: Any) -> None:
        """Insert ``item``, or replace the item with its id (indexes follow)."""
        item_id = self._id(item)
        with self._lock:
            if item_id in self.data:
                self._unindex(item_id)
            self.data[item_id] = item
            self._update_indexes(item_id, item)

    update = add  # replacing an item is how it is updated

    def delete(self, item_id: Hashable) -> bool:
        """Remove the item with ``item_id``; whether there was one."""
        with self._lock:
            if item_id not in self.data:
                return False
            self._unindex(item_id)
            del self.data[item_id]
            return True

    def get(self, item_id: Hashable, default: Any = None) -> Any:
        return self.data.get(item_id, default)

    def _update_indexes(self, item_id: Hashable, item: Any) -> None:
        values = {name: extract(item) for name, extract in self._extractors.items()}
        self._indexed[item_id] = values
        for name, value in values.items():
            self._link(name, value, item_id, item)
        stamp = values["timestamp"]
        if stamp is not _ABSENT and stamp is not None:
            self._counter += 1
            self._seq[item_id] = self._counter
            bisect.insort(self._times, (stamp, self._counter, item_id))

    def _link(self, name: str, value: Any, item_id: Hashable, item: Any) -> None:
        if value is _ABSENT or value is None:
            return
        buckets = self._buckets[name]
        bucket = buckets.get(value)
        if bucket is None:
            bucket = buckets[value] = {}
            self.indexes[name][value] = Bucket(bucket)
        bucket[item_id] = item

    def _unindex(self, item_id: Hashable) -> None:
        values = self._indexed.pop(item_id)
        for name, value in values.items():
            if value is _ABSENT or value is None:
                continue
            bucket = self._buckets[name][value]
            del bucket[item_id]
            if not bucket:
                del self._buckets[name][value]
                del self.indexes[name][value]
        seq = self._seq.pop(item_id, None)
        if seq is not None:
            entry = (values["timestamp"], seq, item_id)
            at = bisect.bisect_left(self._times, entry)
            del self._times[at]

    # --- queries ----------------------------------------------------------------------------
    def query_by_type(self, type_name: Any) -> Bucket:
        """O(1) type 기반 조회: the items of ``type_name``."""
        return self.indexes["type"].get(type_name, _EMPTY)  # type: ignore[no-any-return]

    def query_by_owner(self, owner: Any) -> Bucket:
        """O(1) owner 기반 조회: the items of ``owner``."""
        return self.indexes["owner"].get(owner, _EMPTY)  # type: ignore[no-any-return]

    def query(self, index: str, value: Any) -> Bucket:
        """The items whose ``index`` is ``value``; ``UnindexedQueryError`` without that index."""
        table = self.indexes.get(index)
        if table is None or index == "id":
            known = sorted(self._extractors)
            raise UnindexedQueryError(
                f"no index on {index!r} (indexed: {known}); add it with "
                f"LocalMemory(indexes=[{index!r}]) or add_index({index!r}) instead of scanning"
            )
        return table.get(value, _EMPTY)  # type: ignore[no-any-return]

    def query_by_time_range(self, start: Any = None, end: Any = None) -> list[Any]:
        """Items with ``start <= timestamp < end`` (either bound optional), oldest first,
        in O(log n + k)."""
        times = self._times
        lo = 0 if start is None else bisect.bisect_left(times, (start,))
        hi = len(times) if end is None else bisect.bisect_left(times, (end,), lo)
        data = self.data
        return [data[item_id] for _, _, item_id in times[lo:hi]]
