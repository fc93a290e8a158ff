"""The top-level package: lazy exports and a cheap import."""

from __future__ import annotations

import pytest

import rfs
from _procs import third_party_imports_of


def test_lazy_exports_resolve_to_their_modules() -> None:
    """Every name in ``rfs.__all__`` resolves, and to the object its module defines."""
    import importlib

    for name in rfs.__all__:
        if name == "__version__":
            continue
        module = importlib.import_module(rfs._EXPORTS[name])
        assert getattr(rfs, name) is getattr(module, name)


def test_unknown_attribute_raises_attribute_error() -> None:
    """A missing name raises AttributeError naming it, as a normal module does."""
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = rfs.no_such_name  # type: ignore[attr-defined]


def test_import_rfs_loads_no_third_party_package() -> None:
    """``import rfs`` imports only the standard library (a serverless cold-start feature)."""
    assert third_party_imports_of("import rfs") == ""
