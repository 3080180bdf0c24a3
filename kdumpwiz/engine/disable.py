"""Turn kdump off: every kdumpwiz edit undone, the kdump service stopped and disabled.

What YaST's and Cockpit's "disable" offer, with kdumpwiz's rules: a preview first
(every file as it will be restored, as a unified diff, and the command), nothing
guessed, and refusal before anything is touched when a file kdumpwiz wrote was
changed by someone else since (unless forced).

The machine ends as it was before kdumpwiz, with the kdump service off. The
files go back through :func:`~kdumpwiz.engine.apply.rollback`, one apply at a
time, newest first (so every apply's journal says it was rolled back), and the
service is stopped and disabled with ``systemctl disable --now`` (the capture
kernel is unloaded at once). What the distribution itself put in the boot
configuration before kdumpwiz (kdump-tools' grub.d default, a ``crashkernel=``
that kexec-tools' install added to the boot entries) is not kdumpwiz's to
remove: the preview says it stays and how much it keeps reserved. ``kdumpwiz
apply`` sets kdump up again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import bootconfig, crashkernel
from .apply import ApplyRecord, EventCallback, StateDir, _check_root, _current, _noop, rollback
from .changes import sha256, unified_diff
from .errors import ApplyError
from .facts import Facts
from .host import CommandResult, Host
from .plan import OverlayHost
from .sizing import kernel_reservation, mib


@dataclass(frozen=True)
class Restore:
    """One file as the disable will leave it: the text it gets back, or None when kdumpwiz created it."""

    path: str
    current: Optional[str]
    restored: Optional[str]

    @property
    def diff(self) -> str:
        """Unified diff current -> restored (``/dev/null`` for a file that is removed)."""
        return unified_diff(self.current, self.restored, self.path)

    def to_dict(self) -> Dict[str, Any]:
        """JSON form: path, removed, diff."""
        return {"path": self.path, "removed": self.restored is None, "diff": self.diff}


@dataclass(frozen=True)
class DisablePlan:
    """What ``kdumpwiz disable`` will do; ``is_empty`` when kdump is off and kdumpwiz left nothing."""

    applies: Tuple[str, ...]
    """The applies rolled back, newest first."""
    restores: Tuple[Restore, ...]
    commands: Tuple[Tuple[str, ...], ...]
    notes: Tuple[str, ...]
    reboot_needed: bool

    @property
    def is_empty(self) -> bool:
        """True when disabling would change nothing."""
        return not self.applies and not self.commands

    def to_dict(self) -> Dict[str, Any]:
        """The JSON contract of ``kdumpwiz disable --json`` (before it runs)."""
        return {"applies": list(self.applies), "files": [r.to_dict() for r in self.restores],
                "commands": [list(c) for c in self.commands], "notes": list(self.notes),
                "reboot_needed": self.reboot_needed, "empty": self.is_empty}


@dataclass
class DisableResult:
    """What a disable did."""

    rolled_back: List[str]
    commands_run: List[CommandResult] = field(default_factory=list)
    commands_skipped: List[List[str]] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        """JSON form."""
        return {"rolled_back": self.rolled_back,
                "commands_run": [{"argv": list(r.argv), "returncode": r.returncode} for r in self.commands_run],
                "commands_skipped": self.commands_skipped}


def _to_undo(state: StateDir) -> List[ApplyRecord]:
    """The applies a rollback would pick, newest first (as repeated ``kdumpwiz rollback`` would)."""
    return [rec for rec in reversed(state.records())
            if rec.status in ("applied", "failed", "interrupted") and (rec.status != "applied" or rec.changed)]


def _text(data: Optional[bytes]) -> Optional[str]:
    # grubenv is a byte block (latin-1 maps it 1:1); every other managed file is UTF-8.
    return None if data is None else data.decode("utf-8", errors="surrogateescape")


def plan_disable(host: Host, facts: Facts, *, force: bool = False) -> DisablePlan:
    """Preview the disable on ``host`` (read-only).

    Walks the applies newest first as the rollbacks will, so a file changed by
    someone else between or after them is refused here, before anything is
    written (``force`` restores the backups anyway, as ``rollback --force`` does).
    """
    state = StateDir(host)
    records = _to_undo(state)
    current: Dict[str, Optional[bytes]] = {}
    first: Dict[str, Optional[bytes]] = {}
    for rec in records:
        for i, meta in enumerate(rec.files):
            path = meta["path"]
            if path not in current:
                current[path] = first[path] = _current(host, path)
            now = current[path]
            now_sha = sha256(now) if now is not None else None
            if now_sha == meta["old_sha256"] and not (meta["created"] and now is not None):
                continue  # never written by this apply, or already back
            if now_sha != meta["new_sha256"] and not force:
                raise ApplyError(f"{path} was changed after apply {rec.id}; disabling would lose that change",
                                 hint=f"review it; {host.cli('disable --force')} restores kdumpwiz's backup anyway")
            current[path] = None if meta["created"] else state.read_blob(rec.id, "backup", i)
    restores = tuple(Restore(p, _text(first[p]), _text(current[p])) for p in first if first[p] != current[p])

    unit = facts.service.unit
    commands: List[Tuple[str, ...]] = []
    if facts.service.present and (facts.service.enabled or facts.service.active or facts.kexec.crash_loaded):
        commands.append(("systemctl", "disable", "--now", unit))

    notes: List[str] = []
    overrides = {r.path: r.restored for r in restores}
    after, detail = bootconfig.configured_cmdline(OverlayHost(host, overrides), facts.boot.method, facts.kernel.release)
    still = kernel_reservation(after, facts) if after else None
    if still is not None and still.found and still.reserved_bytes:
        notes.append(f"The boot configuration keeps {crashkernel.spec_cmdline(still.spec or '')} ({detail}), which was "
                     f"there before kdumpwiz: {mib(still.reserved_bytes)} stay reserved at every boot. kdumpwiz does "
                     "not remove what the distribution's kdump package set up; take it out there to get the memory back.")
    running = facts.kexec.crash_size or 0
    reboot_needed = bool(running) and not (still is not None and still.found and still.reserved_bytes)
    if reboot_needed:
        notes.append(f"{mib(running)} are reserved until the next reboot; after it, none.")
    if commands:
        notes.append(f"{unit} is stopped now (the capture kernel is unloaded) and not started at boot; "
                     "'kdumpwiz apply' sets kdump up again.")
    return DisablePlan(tuple(r.id for r in records), restores, tuple(commands), tuple(notes), reboot_needed)


def disable(host: Host, facts: Facts, *, force: bool = False, skip_commands: bool = False,
            on_event: EventCallback = _noop, on_output: Optional[Callable[[str], None]] = None) -> DisableResult:
    """Disable kdump as :func:`plan_disable` shows: roll back every apply, newest first, then the service.

    The preview is made again here, so a file changed since the admin looked is
    still refused before the first rollback.
    """
    _check_root(host)
    plan = plan_disable(host, facts, force=force)
    result = DisableResult(rolled_back=[])
    for apply_id in plan.applies:
        on_event("command", f"roll back apply {apply_id}")
        rollback(host, apply_id, skip_commands=skip_commands, force=force, on_event=on_event, on_output=on_output)
        result.rolled_back.append(apply_id)
    for argv in plan.commands:
        if skip_commands:
            result.commands_skipped.append(list(argv))
            continue
        on_event("command", " ".join(argv))
        done = host.run(list(argv), on_output=on_output)
        result.commands_run.append(done)
        if not done.ok:
            raise ApplyError(f"kdumpwiz's changes are undone, but '{' '.join(argv)}' failed:\n{done.output[-2000:]}",
                             hint=f"run '{' '.join(argv)}' by hand")
    on_event("done", "kdump disabled")
    return result
