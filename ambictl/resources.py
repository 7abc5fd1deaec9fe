"""Where the files that ship with ambictl live, installed (wheel) or in a source checkout."""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    # A wheel carries fonts/ and weights/ inside the package as _data/; a checkout (or an editable
    # install) has them at the repository root beside the package.
    installed = _PKG / "_data" / name
    return installed if installed.is_dir() else _PKG.parent / name


def fonts_dir() -> Path:
    """The curated, open-licensed fonts shipped with ambictl.

    The environment variable AMBICTL_FONTS_DIR, when set and non-empty, names another folder to
    use instead (tests and custom installs; an empty or missing folder means no bundled fonts).
    """
    override = os.environ.get("AMBICTL_FONTS_DIR")
    return Path(override) if override else _data_dir("fonts")


def weights_dir() -> Path:
    """The default trained weights shipped with ambictl."""
    return _data_dir("weights")
