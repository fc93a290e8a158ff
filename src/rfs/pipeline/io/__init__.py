"""I/O managers: where task outputs live between tasks (filesystem, fsspec, memory)."""
