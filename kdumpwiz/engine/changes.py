"""The plain data a plan is made of: file changes and commands.

Kept apart from :mod:`~kdumpwiz.engine.plan` so that the family handlers, which
produce these, and the plan, which collects and proves them, do not import each
other (the family handlers sit below the plan).
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data`` (journal and backups compare by hash)."""
    return hashlib.sha256(data).hexdigest()


def unified_diff(old: Optional[str], new: Optional[str], path: str) -> str:
    """Unified diff old -> new of ``path`` with ``a/``/``b/`` names; None is a missing file (``/dev/null``)."""
    lines = difflib.unified_diff((old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
                                 fromfile="/dev/null" if old is None else f"a{path}",
                                 tofile="/dev/null" if new is None else f"b{path}")
    return "".join(ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n" for ln in lines)


@dataclass(frozen=True)
class FileChange:
    """One file: its old text (None = does not exist yet) and its new text."""

    path: str
    old: Optional[str]
    new: str
    reason: str
    mode: int = 0o644  # only used when the file is created
    encoding: str = "utf-8"  # grubenv is a byte block: latin-1 maps it 1:1

    def old_bytes(self) -> Optional[bytes]:
        """The exact bytes the file must hold before the apply (None: absent)."""
        return None if self.old is None else self.old.encode(self.encoding)

    def new_bytes(self) -> bytes:
        """The exact bytes the apply writes."""
        return self.new.encode(self.encoding)

    @property
    def created(self) -> bool:
        """True when the file does not exist yet."""
        return self.old is None

    @property
    def diff(self) -> str:
        """Unified diff old -> new with ``a/``/``b/`` paths (``/dev/null`` for a new file)."""
        return unified_diff(self.old, self.new, self.path)

    def to_dict(self) -> Dict[str, Any]:
        """JSON form: path, reason, created, diff."""
        return {"path": self.path, "reason": self.reason, "created": self.created, "diff": self.diff}


@dataclass(frozen=True)
class PlannedCommand:
    """A command to run after the files are written, with why."""

    argv: Tuple[str, ...]
    reason: str
    timeout: float = 900.0
    env: Tuple[Tuple[str, str], ...] = ()
    #: Files the command regenerates (grub.cfg): backed up before it runs, so a
    #: rollback can restore them byte for byte instead of regenerating them.
    produces: Tuple[str, ...] = ()
    #: What reverses this command at rollback (``systemctl disable`` for an
    #: enable, the same regenerator for update-grub). A rollback runs it only
    #: when this command was run by the apply, so it undoes only what was done.
    undo: Optional["PlannedCommand"] = None

    def to_dict(self) -> Dict[str, Any]:
        """JSON form: argv (list), reason, the files it regenerates and its undo."""
        return {"argv": list(self.argv), "reason": self.reason, "produces": list(self.produces),
                "undo": list(self.undo.argv) if self.undo else None}


@dataclass(frozen=True)
class FamilyChanges:
    """What a family handler proposes: file edits, commands and explanations."""

    files: Tuple[FileChange, ...]
    commands: Tuple[PlannedCommand, ...]
    notes: Tuple[str, ...] = ()
    warnings: Tuple[str, ...] = ()
    boot_changed: bool = False
    #: When a boot-time tool compares the booted crashkernel= tokens with its own as one string
    #: (SUSE's kdumptool), the exact token list the next boot must carry, in order.
    exact_tokens: Optional[Tuple[str, ...]] = None
