"""Atomic writes: a file or folder appears complete under its final name, or not at all.

Everything ambictl writes goes through here, so an interrupted run never leaves a half-written
file behind and an existing file is only replaced once its successor is complete.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to a temp file beside `path`, fsync it, then rename it into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def staging_dir(final: str | os.PathLike[str], *, replace: bool = False) -> Iterator[Path]:
    """Yield a fresh temp folder beside `final`; on success it is renamed to `final`.

    On any exception (Ctrl-C included) the temp folder is removed and `final` is untouched.
    With `replace`, an existing `final` is swapped out only after the new one is complete.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp's 0o700 would leave the result readable by its owner only
        yield tmp
        if final.exists() and replace:
            old = final.with_name(f".{final.name}.old-{os.getpid()}")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# The kernel's virtual file systems: a path there is never a place for output files.
_VIRTUAL = {"/proc": "the kernel's process information", "/sys": "the kernel's device tree"}


def _virtual_root(path: Path) -> str | None:
    """'/proc' or '/sys' when `path` lies in one of them (on Linux), else None."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: let the write itself report it
        return None
    for root in _VIRTUAL:
        if resolved == Path(root) or Path(root) in resolved.parents:
            return root if Path(root).is_dir() else None
    return None


def _refuse_virtual(path: Path) -> None:
    from .errors import UsageError

    root = _virtual_root(path)
    if root is not None:
        raise UsageError(f"cannot write {path}: {root} is a virtual file system ({_VIRTUAL[root]}"
                         "), not a place for files; choose a path on a disk")


def plain_reason(e: OSError) -> str:
    """An OSError in plain words: 'permission denied', 'a read-only file system', ..."""
    import errno

    words = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
             errno.EROFS: "the file system is read-only", errno.ENOSPC: "the disk is full",
             errno.ENOTDIR: "a part of the path is a file, not a folder",
             errno.ENOENT: "the folder does not exist", errno.EDQUOT: "the disk quota is used up"}
    return words.get(e.errno or 0, (e.strerror or str(e)).lower())


def check_writable_file(path: str | os.PathLike[str]) -> Path:
    """Fail early (before long work) when `path`'s folder is missing or not writable."""
    from .errors import UsageError

    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    _refuse_virtual(path)
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"cannot write {path}: {parent} is a file, not a folder")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write {path}: folder {parent} is not writable")
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder")
    return path


def probe_writable_file(path: str | os.PathLike[str]) -> Path:
    """check_writable_file, then the atomic writer's own first step (a temp file beside `path`):
    a permission check alone misses a read-only file system, and lies for root."""
    from .errors import UsageError

    p = check_writable_file(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as e:
        raise UsageError(f"cannot write {p}: {plain_reason(e)} in folder {p.parent}") from None
    os.close(fd)
    os.unlink(tmp)
    return p


def probe_output_dir(path: str | os.PathLike[str], *, beside: bool = False) -> Path:
    """Fail early when the folder `path` cannot be created or written: it is a file, a part of
    its path is a file, it lies in /proc or /sys, or the folder that will take the new entries
    refuses one (tried for real). That folder is `path` itself when it exists, else its nearest
    existing ancestor; with `beside` (a folder built by staging_dir beside its final place and
    renamed in), always the ancestor. Nothing is left behind."""
    from .errors import UsageError

    path = Path(path)
    _refuse_virtual(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"cannot write to {path}: it is a file, not a folder; "
                         "choose a folder name")
    base = path.parent if beside else path
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise UsageError(f"cannot create {path}: {base} is a file, not a folder")
    try:
        shutil.rmtree(tempfile.mkdtemp(prefix=".ambictl-probe.", dir=base))
    except OSError as e:
        raise UsageError(f"cannot write to {path}: {plain_reason(e)} in folder {base}") from None
    return path
