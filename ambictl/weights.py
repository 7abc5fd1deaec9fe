"""Saving and safely loading weights and checkpoints.

Files are written atomically with torch.save and read with `torch.load(weights_only=True)`, which
refuses pickles that would run code. Each file carries a SHA-256 over its tensors and metadata, so a
damaged or tampered file is refused with a clear message instead of producing garbage.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
from pathlib import Path
from typing import Any

import torch

from . import atomic
from .errors import DataError
from .resources import weights_dir

FORMAT = "ambictl"
VERSION = 1
DEFAULT_WEIGHTS = "ambictl.pt"
DEFAULT_JUDGE = "judge.pt"


def _digest(obj: Any, h: hashlib._Hash) -> None:
    """Feed a nested structure of dicts, lists, tensors and plain values into `h`, in order."""
    if isinstance(obj, dict):
        for k in sorted(obj):
            h.update(repr(k).encode())
            _digest(obj[k], h)
    elif isinstance(obj, (list, tuple)):
        h.update(f"[{len(obj)}".encode())
        for v in obj:
            _digest(v, h)
    elif isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    else:
        h.update(json.dumps(obj, sort_keys=True).encode())


def checksum(payload: dict[str, Any]) -> str:
    h = hashlib.sha256()
    _digest(payload, h)
    return h.hexdigest()


def save(path: str | os.PathLike[str], kind: str, payload: dict[str, Any]) -> str:
    """Atomically write `payload` (tensors, dicts, lists, plain values) with its checksum."""
    digest = checksum(payload)
    buf = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, "kind": kind, "sha256": digest,
                "payload": payload}, buf)
    atomic.write_bytes(path, buf.getvalue())
    return digest


def load(path: str | os.PathLike[str], kind: str) -> dict[str, Any]:
    """Load and verify a file written by `save`; any problem is a DataError with one clear line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no {kind} file at {path}")
    try:
        with warnings.catch_warnings():  # torch's own remarks on a bad file ("pickle protocol
            warnings.simplefilter("ignore")  # 133") would add lines to the one error line
            blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # truncated, random bytes, or a pickle that wants to run code
        raise DataError(f"refusing {path}: it is truncated, not a weights file, or holds "
                        "objects that are not allowed (nothing in it was run)") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise DataError(f"refusing {path}: not an ambictl {kind} file")
    if blob.get("kind") != kind:
        raise DataError(f"refusing {path}: it is a {blob.get('kind')!r} file, not a {kind!r} file")
    if blob.get("version") != VERSION:
        raise DataError(f"refusing {path}: format version {blob.get('version')} is not supported "
                        f"(this ambictl reads version {VERSION})")
    payload = blob.get("payload")
    if not isinstance(payload, dict) or checksum(payload) != blob.get("sha256"):
        raise DataError(f"refusing {path}: checksum mismatch, the file is damaged or was modified")
    return payload


def default_path(name: str = DEFAULT_WEIGHTS) -> Path:
    return weights_dir() / name
