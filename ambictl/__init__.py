"""ambictl: generate ambigrams, lettering that reads as one word upright and another turned."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {"make_ambigram": "ambigram", "Ambigram": "ambigram"}


def __getattr__(name: str) -> Any:
    """`ambictl.make_ambigram` and `ambictl.Ambigram` load torch on first use, not on import,
    so `import ambictl` (and the CLI's start-up) stays fast."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Ambigram", "__version__", "make_ambigram"]
