"""Adapters of the scheduler's ports; each imports its third-party library itself."""
