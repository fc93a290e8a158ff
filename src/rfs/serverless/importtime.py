"""Parse ``python -X importtime`` output into a tree of imports with their costs.

Each line is ``import time: <self us> | <cumulative us> | <indent><module>``; a module's
imports are printed before it, indented two more spaces. Lines that do not match (the
application's own stderr) are skipped, so any text parses.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ImportNode", "lazy_import_candidates", "parse_importtime"]

_PREFIX = "import time:"


@dataclass
class ImportNode:
    """One imported module: its own time and its time with everything it imported (µs)."""

    name: str
    self_us: int
    cumulative_us: int
    children: list[ImportNode] = field(default_factory=list)

    def walk(self) -> list[ImportNode]:
        """This node and all below it, depth first."""
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found

    def to_dict(self, depth: int = 2) -> dict[str, Any]:
        out: dict[str, Any] = {"module": self.name, "self_us": self.self_us}
        out["cumulative_us"] = self.cumulative_us
        if depth > 0 and self.children:
            ranked = sorted(self.children, key=lambda n: -n.cumulative_us)
            out["imports"] = [c.to_dict(depth - 1) for c in ranked]
        return out


def parse_importtime(text: str) -> list[ImportNode]:
    """The top-level imports of ``text`` (``-X importtime`` stderr), in import order."""
    pending: dict[int, list[ImportNode]] = {}
    for line in text.splitlines():
        if not line.startswith(_PREFIX):
            continue
        parts = line[len(_PREFIX) :].split("|", 2)
        if len(parts) != 3:
            continue
        own, total, name_part = parts
        name = name_part.strip()
        if not (own.strip().isdigit() and total.strip().isdigit()) or not name:
            continue  # the header line, or garbage
        level = max(0, (len(name_part) - len(name_part.lstrip(" ")) - 1) // 2)
        node = ImportNode(name, int(own), int(total), pending.pop(level + 1, []))
        for deeper in [k for k in pending if k > level]:
            node.children.extend(pending.pop(deeper))  # malformed nesting: keep, do not lose
        pending.setdefault(level, []).append(node)
    roots: list[ImportNode] = []
    for level in sorted(pending):
        roots.extend(pending[level])
    return roots


def lazy_import_candidates(
    roots: list[ImportNode], app_package: str, *, min_us: int = 2_000, share: float = 0.05
) -> list[ImportNode]:
    """Imports made by the application's own modules (``app_package`` and below) that are not
    its own nor the standard library, and cost at least ``min_us`` and ``share`` of the total:
    candidates for importing inside the function that needs them."""
    total = sum(r.cumulative_us for r in roots) or 1
    stdlib = sys.stdlib_module_names
    found: dict[str, ImportNode] = {}

    def own(name: str) -> bool:
        return name == app_package or name.startswith(app_package + ".")

    for root in roots:
        for node in root.walk():
            if not own(node.name):
                continue
            for child in node.children:
                heavy = child.cumulative_us >= max(min_us, share * total)
                if heavy and not own(child.name) and child.name.split(".")[0] not in stdlib:
                    found.setdefault(child.name, child)
    return sorted(found.values(), key=lambda n: -n.cumulative_us)
