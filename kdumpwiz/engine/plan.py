"""The plan: every file change and every command, decided before anything is written.

A :class:`Plan` is plain data. Its diffs are computed from the same old/new
texts that :mod:`~kdumpwiz.engine.apply` writes, so what Review shows is
exactly what Apply does. :func:`build_plan` is the only way to make one: it asks
the family handler for edits, then proves -- by re-reading the boot
configuration with the edits applied in memory -- that the planned
``crashkernel=`` is really the one the next boot gets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from . import bootconfig, crashkernel
from .changes import FileChange, PlannedCommand
from .answers import Answers
from .errors import BlockedError, CrashkernelError, IneffectiveEditError, KdumpwizError
from .facts import Facts
from .families import handler
from .host import Host
from .sizing import BAND, Checked, Suggestion, check_value, kernel_reservation, suggest


@dataclass(frozen=True)
class Plan:
    """Everything an apply will do, and why. ``is_empty`` after a successful apply."""

    hostname: str
    family: str
    arch: str
    boot_method: str
    crashkernel: str
    reserved_bytes: int
    suggestion: Suggestion
    checked: Checked
    answers: Answers
    files: Tuple[FileChange, ...]
    commands: Tuple[PlannedCommand, ...]
    notes: Tuple[str, ...]
    warnings: Tuple[str, ...]
    reboot_needed: bool

    @property
    def rollback_commands(self) -> Tuple[PlannedCommand, ...]:
        """What a rollback runs, newest first: the undo of every command the apply runs."""
        return tuple(c.undo for c in reversed(self.commands) if c.undo is not None)

    @property
    def is_empty(self) -> bool:
        """True when applying would change nothing."""
        return not self.files and not self.commands

    def to_dict(self) -> Dict[str, Any]:
        """The JSON contract of ``kdumpwiz plan --json``."""
        return {
            "hostname": self.hostname,
            "family": self.family,
            "arch": self.arch,
            "boot_method": self.boot_method,
            "crashkernel": self.crashkernel,
            "reserved_bytes": self.reserved_bytes,
            "suggestion": self.suggestion.to_dict(),
            "check": self.checked.to_dict(),
            "answers": self.answers.to_dict(),
            "files": [f.to_dict() for f in self.files],
            "commands": [list(c.argv) for c in self.commands],
            "command_details": [c.to_dict() for c in self.commands],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "rollback_commands": [list(c.argv) for c in self.rollback_commands],
            "reboot_needed": self.reboot_needed,
            "empty": self.is_empty,
        }


class OverlayHost(Host):
    """A read-only view of a host with some files replaced in memory.

    Used to read the boot configuration *as it will be after the plan*,
    without writing anything.
    """

    def __init__(self, base: Host, overrides: Mapping[str, Optional[str]]) -> None:
        super().__init__(base.root, base.runner)
        self._base = base
        self._over = dict(overrides)
        # The base's read scope (Host.reading): the files not overridden are the same files.
        self._scope = base._scope

    def read_bytes(self, p: str) -> bytes:  # noqa: D102 - same as Host
        if p in self._over:
            text = self._over[p]
            if text is None:
                return super().read_bytes("/nonexistent/" + p)
            return text.encode("latin-1") if _is_grubenv(p) else text.encode("utf-8")
        return super().read_bytes(p)

    def read_text(self, p: str) -> str:  # noqa: D102
        if p in self._over and self._over[p] is not None:
            return self._over[p]  # type: ignore[return-value]
        return super().read_text(p)

    def exists(self, p: str) -> bool:  # noqa: D102
        if p in self._over:
            return self._over[p] is not None
        return super().exists(p)

    def is_file(self, p: str) -> bool:  # noqa: D102
        if p in self._over:
            return self._over[p] is not None
        return super().is_file(p)

    def listdir(self, p: str) -> List[str]:  # noqa: D102
        names = set(super().listdir(p))
        prefix = p.rstrip("/") + "/"
        for path, text in self._over.items():
            if path.startswith(prefix) and "/" not in path[len(prefix):]:
                name = path[len(prefix):]
                if text is None:
                    names.discard(name)
                else:
                    names.add(name)
        return sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape"))


def _is_grubenv(path: str) -> bool:
    return os.path.basename(path) == "grubenv"


def build_plan(host: Host, facts: Facts, answers: Answers) -> Plan:
    """Decide every change for ``answers`` on ``host``; raises instead of guessing.

    Raises :class:`BlockedError` when detection found blockers or packages are
    missing, :class:`CrashkernelError` for a value the kernel would reject or
    that is unsafe here, :class:`~kdumpwiz.engine.errors.EditError` when a file
    cannot be edited safely, and :class:`KdumpwizError` when the edited boot
    configuration would not produce the planned value.
    """
    with host.reading():  # every file read once, however many helpers ask (bench/speed)
        return _build_plan(host, facts, answers)


def _build_plan(host: Host, facts: Facts, answers: Answers) -> Plan:
    """The body of :func:`build_plan`, inside its read scope."""
    if facts.blockers:
        # Every blocker with its own remedy: fixing only the first and trying again is a slow way to learn the rest.
        raise BlockedError(
            "kdump cannot be set up here:\n" + "\n".join(f"  - {b.reason}\n    -> {b.remedy}" for b in facts.blockers),
        )
    assert facts.family is not None
    fam = handler(facts.family)
    if facts.packages.missing:
        raise BlockedError(
            f"required package(s) not installed: {' '.join(facts.packages.missing)}",
            hint=f"install them first: {' '.join(facts.packages.install_argv)}",
        )
    answers.validate()
    fam.check_target(answers.target)
    fam.check_options(answers)
    suggestion = suggest(host, facts)
    value = resolve_auto(facts, suggestion) if answers.crashkernel == "auto" else answers.crashkernel
    checked = check_value(value, facts, suggestion, force=answers.force_crashkernel)
    if not checked.ok:
        raise CrashkernelError(f"crashkernel={value}: {checked.problems[0]}", hint=checked.hint)
    changes = fam.plan_changes(host, facts, answers, value, suggestion)
    overrides = {c.path: c.new for c in changes.files}
    after, detail = bootconfig.configured_cmdline(OverlayHost(host, overrides), facts.boot.method, facts.kernel.release)
    if after is None:
        raise KdumpwizError(f"cannot read the boot configuration back after the planned edit: {detail}")
    got = kernel_reservation(after, facts)
    want = checked.reservation
    if (got.spec != want.spec or got.reserved_bytes != want.reserved_bytes or got.low_bytes != want.low_bytes
            or got.high != want.high):
        raise IneffectiveEditError(
            f"after the planned edit the next boot would use {crashkernel.spec_cmdline(got.spec or '') or 'no crashkernel='} "
            f"({detail}), not {crashkernel.spec_cmdline(value)}; kdumpwiz will not write a change that does not take effect",
            hint="a configuration file that is read later overrides the value; see the boot files listed by "
            "'kdumpwiz detect'",
        )
    if changes.exact_tokens is not None:
        booted = tuple(w for w in after.split() if w.startswith("crashkernel="))
        if booted != changes.exact_tokens:
            raise IneffectiveEditError(
                f"after the planned edit the next boot would carry {' '.join(booted) or 'no crashkernel='} "
                f"({detail}), while kdump expects exactly {' '.join(changes.exact_tokens)}: kdump-commandline.service "
                "would rewrite the boot loader at every boot",
                hint="remove the other crashkernel= options from /etc/default/grub, then plan again",
            )
    reboot_needed = facts.offline or facts.kexec.running_crashkernel != value or not (facts.kexec.crash_size or 0)
    notes = list(changes.notes)
    if facts.offline:
        notes.append(
            "This is an offline image: the reservation is made when a machine boots it, and the size above holds "
            "for the RAM given with --ram. Boot it and run 'kdumpwiz verify' there."
        )
    elif reboot_needed:
        notes.append(
            "A reboot is needed: the kernel reserves crash-kernel memory only while it boots. "
            "After the reboot run 'kdumpwiz verify'."
        )
    warnings = list(checked.warnings) + list(changes.warnings)
    return Plan(
        hostname=facts.hostname,
        family=facts.family,
        arch=facts.arch,
        boot_method=facts.boot.method,
        crashkernel=value,
        reserved_bytes=checked.reservation.reserved_bytes,
        suggestion=suggestion,
        checked=checked,
        answers=answers,
        files=changes.files,
        commands=changes.commands,
        notes=tuple(notes),
        warnings=tuple(warnings),
        reboot_needed=reboot_needed,
    )


def resolve_auto(facts: Facts, suggestion: Suggestion) -> str:
    """The value ``crashkernel: auto`` stands for on this machine (what Review will show)."""
    return _keep_configured(facts, suggestion) or suggestion.value


def _keep_configured(facts: Facts, suggestion: Suggestion) -> Optional[str]:
    """The value already configured for the next boot, if it is good enough to keep.

    Rewriting a working distribution default to an equivalent spelling is churn
    in a boot file for nothing, so ``auto`` keeps a configured value that is
    valid, canonical and reserves at least the suggested amount.  Where the
    suggestion rests on measurements (Debian x86_64, docs/sizing-data.md), a
    configured value more than 1.3 times the suggestion is not kept: the data
    shows that memory is not needed, and the suggestion says so.
    """
    token = facts.boot.configured_crashkernel
    if not token or crashkernel.spec_problem(token, facts.arch) is not None:
        return None
    res = kernel_reservation(crashkernel.spec_cmdline(token), facts)
    if res.reserved_bytes < suggestion.reserved_bytes or not check_value(token, facts, suggestion).ok:
        return None
    if suggestion.trusted_below_default and res.reserved_bytes > BAND * suggestion.reserved_bytes:
        return None
    return token
