"""Distribution families' edit logic: which files to change and which commands to run.

A family handler turns (facts, answers, crashkernel value) into file edits and
commands, using the pure editors. What a family *is* -- its packages, paths and
default tables -- lives in its :mod:`~kdumpwiz.engine.profiles` profile, which
detection and sizing read without touching this package; the handlers sit
above both and below the plan, which collects and proves their changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, List, Optional, Tuple

from ..changes import FamilyChanges, FileChange, PlannedCommand
from ..errors import AnswersError, EditError, HostError
from ..facts import Facts
from ..host import Host
from ..profiles.base import Profile

if TYPE_CHECKING:  # pragma: no cover
    from ..answers import Answers, Target
    from ..sizing import Suggestion


class FamilyHandler:
    """How one distribution family is configured. Subclasses fill in the details."""

    profile: Profile

    @property
    def name(self) -> str:
        """The family's name ("debian", "redhat", "suse")."""
        return self.profile.name

    def check_target(self, target: "Target") -> None:
        """Refuse a dump target this family's kdump cannot write to."""
        if target.type not in self.profile.target_types:
            raise AnswersError(
                f"target.type: {target.type!r} is not supported by the {self.name} kdump service "
                f"(supported: {', '.join(self.profile.target_types)})"
            )

    #: The variable that says how many dumps to keep (None: this family's kdump has no such setting).
    KEEP_DUMPS_VAR: Optional[str] = None
    #: The failure actions this family's kdump can be told to take.
    FAILURE_ACTIONS: Tuple[str, ...] = ()

    def check_options(self, answers: "Answers") -> None:
        """Refuse an option this family's kdump has no setting for, rather than drop it silently."""
        if answers.keep_dumps is not None and self.KEEP_DUMPS_VAR is None:
            raise AnswersError(f"keep_dumps: the {self.name} kdump service keeps every dump and has no setting for "
                               "how many; remove old dumps yourself (or leave keep_dumps out)")
        if answers.failure_action != "default" and answers.failure_action not in self.FAILURE_ACTIONS:
            offered = ", ".join(self.FAILURE_ACTIONS) or "none"
            raise AnswersError(f"failure_action: {answers.failure_action!r} cannot be set for the {self.name} kdump "
                               f"service (offered: {offered}); leave it at 'default'")

    def plan_changes(
        self, host: Host, facts: Facts, answers: "Answers", value: str, suggestion: "Suggestion"
    ) -> FamilyChanges:
        """File edits and commands that configure kdump with ``crashkernel=value``."""
        raise NotImplementedError


def edit_file(
    host: Host,
    path: str,
    transform: Callable[[str], str],
    reason: str,
    *,
    create_with: Optional[str] = None,
    mode: int = 0o644,
) -> Optional[FileChange]:
    """Apply ``transform`` to the text of ``path``; a FileChange if anything differs.

    A missing file starts as ``create_with`` (or is an error when None). Files
    that are symlinks, directories or unreadable are refused rather than
    replaced, because replacing a symlink with a file silently forks the config.
    """
    if host.lexists(path) and host.is_symlink(path):
        raise EditError("is a symbolic link; kdumpwiz edits only regular files", path=path,
                        hint="edit the file it points to, or replace the link by a copy")
    if host.is_dir(path):
        raise EditError("is a directory, expected a file", path=path)
    if host.lexists(path):
        try:
            old: Optional[str] = host.read_text(path)
        except HostError as exc:
            raise EditError(exc.message, path=path) from None
        start = old
    else:
        if create_with is None:
            raise EditError("does not exist", path=path, hint="is the kdump package installed?")
        old = None
        start = create_with
    new = transform(start)  # type: ignore[arg-type]
    if old is not None and new == old:
        return None
    return FileChange(path=path, old=old, new=new, reason=reason, mode=mode)


def systemd_enable(facts: Facts, answers: "Answers") -> List[PlannedCommand]:
    """``systemctl enable`` for the kdump unit when it is not enabled yet.

    Its undo (``systemctl disable``) runs at rollback only if this command ran:
    a unit that was enabled before kdumpwiz stays enabled, and an apply with
    ``--skip-commands`` leaves nothing for the rollback to disable.
    """
    if answers.enable_service and not facts.service.enabled:
        unit = facts.service.unit
        return [PlannedCommand(("systemctl", "enable", unit),
                               f"start {unit} at every boot so the capture kernel gets loaded",
                               undo=PlannedCommand(("systemctl", "disable", unit),
                                                   f"{unit} was not enabled before kdumpwiz enabled it"))]
    return []


def regenerate(argv: tuple, path: str, reason: str, undo_reason: str) -> PlannedCommand:
    """A command that regenerates ``path`` (grub.cfg) and, at rollback, regenerates it from the restored files."""
    return PlannedCommand(argv, reason, produces=(path,),
                          undo=PlannedCommand(argv, undo_reason, produces=(path,)))
