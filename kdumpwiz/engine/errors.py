"""Exceptions raised by the engine, each mapped to a distinct CLI exit code.

The command line turns these into one clear message and a non-zero exit; the
wizard shows the same message. An error never leaves a half-changed file.
"""

from __future__ import annotations

from typing import Optional


class KdumpwizError(Exception):
    """Base class of every error the engine raises on purpose.

    ``exit_code`` is what ``kdumpwiz`` exits with when this error ends a command.
    """

    exit_code = 2

    def __init__(self, message: str, *, hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class EditError(KdumpwizError):
    """A file cannot be edited safely (unparsable, ``+=``, command substitution, ...).

    Carries the path and 1-based line number so the message can name them.
    """

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        line: Optional[int] = None,
        hint: Optional[str] = None,
    ) -> None:
        where = path or "<text>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = path
        self.line = line
        self.reason = message


class IneffectiveEditError(KdumpwizError):
    """The planned edit would not reach the next boot (a file read later overrides it).

    Same exit code as :class:`EditError`: in both cases the boot configuration
    cannot be changed safely as asked, and nothing was written.
    """

    exit_code = 4


class AnswersError(KdumpwizError):
    """The answers (YAML file or wizard input) are malformed or invalid."""

    exit_code = 3


class CrashkernelError(KdumpwizError):
    """A crashkernel value the kernel would reject, or one that is unsafe here."""

    exit_code = 5


class BlockedError(KdumpwizError):
    """kdump is impossible or unsafe on this machine (container, no kexec, ...)."""

    exit_code = 6


class ApplyError(KdumpwizError):
    """Applying or rolling back a plan failed; the message says what changed."""

    exit_code = 7


class LockedError(ApplyError):
    """Another kdumpwiz apply or rollback holds the lock."""

    exit_code = 8


class HostError(KdumpwizError):
    """A file or command of the host could not be read or run as needed."""

    exit_code = 9
