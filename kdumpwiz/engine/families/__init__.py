"""Distribution families: which files each one owns and how its boot loader takes a command line.

A family handler turns (facts, answers, crashkernel value) into file edits and
commands, using the pure editors. :func:`family_for` picks the family from the
os-release ``ID`` *and* ``ID_LIKE`` tokens (RHEL 9 and Amazon Linux 2023 carry
only "fedora"; Oracle 7 and SLES carry none), never from ``ID_LIKE`` alone when
the ``ID`` is known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

from ..errors import AnswersError, EditError, HostError
from ..facts import Distro, Facts, Packages
from ..host import Host

if TYPE_CHECKING:  # pragma: no cover
    from ..answers import Answers, Target
    from ..plan import FamilyChanges, FileChange
    from ..sizing import Suggestion

DEBIAN_IDS = {"debian", "ubuntu", "linuxmint", "pop", "raspbian", "elementary", "zorin", "kali", "devuan"}
REDHAT_IDS = {"rhel", "centos", "rocky", "almalinux", "oracle", "ol", "fedora", "amzn", "cloudlinux",
              "scientific", "eurolinux", "circle", "navy"}
SUSE_IDS = {"sles", "sled", "opensuse", "opensuse-leap", "opensuse-tumbleweed", "sle-micro", "sl-micro", "suse"}


def family_for(distro: Distro) -> Optional[str]:
    """"debian", "redhat", "suse" or None for ``distro``."""
    if distro.id in DEBIAN_IDS:
        return "debian"
    if distro.id in REDHAT_IDS:
        return "redhat"
    if distro.id in SUSE_IDS:
        return "suse"
    like = set(distro.like)
    # An unknown ID (a derivative) is accepted through ID_LIKE, in an order
    # that puts the most specific token first ("rhel fedora" is Red Hat).
    if like & {"ubuntu", "debian"}:
        return "debian"
    if like & {"rhel", "fedora", "centos"}:
        return "redhat"
    if like & {"suse", "opensuse", "sles"}:
        return "suse"
    return None


class FamilyHandler:
    """What one distribution family owns. Subclasses fill in the details."""

    name = ""
    service_unit = ""
    supported_boot_methods: Tuple[str, ...] = ()
    target_types: Tuple[str, ...] = ("local", "ssh", "nfs")

    def packages(self, host: Host, distro: Distro) -> Packages:
        """Which kdump packages are installed and which are missing."""
        raise NotImplementedError

    def boot_files(self, host: Host, method: str) -> List[str]:
        """The boot configuration files of ``method`` that exist on ``host``."""
        raise NotImplementedError

    def boot_method_remedy(self, method: str) -> str:
        """What to do when ``method`` is not supported."""
        return f"configure crashkernel= for the {method} boot path by hand (see the field guide); kdumpwiz refuses to guess"

    def current_dump_path(self, host: Host) -> str:
        """The local dump directory configured today (default /var/crash)."""
        return "/var/crash"

    def distro_default(self, host: Host, facts: Facts) -> Optional[Tuple[str, str]]:
        """(crashkernel value, where it comes from) that the distribution's tools would use."""
        return None

    def extra_facts(self, host: Host) -> Dict[str, object]:
        """Family-specific facts for ``Facts.extra`` (e.g. Debian's USE_KDUMP)."""
        return {}

    def capture_cpus(self, host: Host, facts: Facts) -> int:
        """CPUs the capture kernel brings up (its nr_cpus=)."""
        return 1

    def check_target(self, target: "Target") -> None:
        """Refuse a dump target this family's kdump cannot write to."""
        if target.type not in self.target_types:
            raise AnswersError(
                f"target.type: {target.type!r} is not supported by the {self.name} kdump service "
                f"(supported: {', '.join(self.target_types)})"
            )

    def plan_changes(
        self, host: Host, facts: Facts, answers: "Answers", value: str, suggestion: "Suggestion"
    ) -> "FamilyChanges":
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
) -> Optional["FileChange"]:
    """Apply ``transform`` to the text of ``path``; a FileChange if anything differs.

    A missing file starts as ``create_with`` (or is an error when None). Files
    that are symlinks, directories or unreadable are refused rather than
    replaced, because replacing a symlink with a file silently forks the config.
    """
    from ..plan import FileChange

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


def systemd_enable(facts: Facts, answers: "Answers") -> List["PlannedCommandT"]:
    """``systemctl enable`` for the kdump unit when it is not enabled yet."""
    from ..plan import PlannedCommand

    if answers.enable_service and not facts.service.enabled:
        return [PlannedCommand(("systemctl", "enable", facts.service.unit),
                               f"start {facts.service.unit} at every boot so the capture kernel gets loaded")]
    return []


def systemd_disable_on_rollback(facts: Facts, answers: "Answers") -> List["PlannedCommandT"]:
    """Undo :func:`systemd_enable` when rolling back."""
    from ..plan import PlannedCommand

    if answers.enable_service and not facts.service.enabled:
        return [PlannedCommand(("systemctl", "disable", facts.service.unit),
                               f"{facts.service.unit} was not enabled before kdumpwiz enabled it")]
    return []


PlannedCommandT = object  # typing alias for the lazy import above

_HANDLERS: Dict[str, FamilyHandler] = {}


def handler(family: Optional[str]) -> FamilyHandler:
    """The handler of ``family`` ("debian", "redhat" or "suse")."""
    if not _HANDLERS:
        from .debian import DebianFamily
        from .redhat import RedHatFamily
        from .suse import SuseFamily

        for h in (DebianFamily(), RedHatFamily(), SuseFamily()):
            _HANDLERS[h.name] = h
    if family not in _HANDLERS:
        raise KeyError(f"unknown family {family!r}")
    return _HANDLERS[family]  # type: ignore[index]
