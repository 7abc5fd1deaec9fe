"""Errors that the CLI turns into one clear line on stderr and an exit code (never a traceback)."""

from __future__ import annotations


class AmbictlError(Exception):
    """A failure the user can act on. `exit_code` follows the CLI convention: 2 = usage or bad
    input."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(AmbictlError):
    """Bad input from the user: wrong arguments, unsupported characters, missing files."""

    exit_code = 2


class DataError(AmbictlError):
    """A data set, checkpoint or weights file that is missing, corrupt or incompatible."""

    exit_code = 2
