"""What each distribution family *is*: its files, packages, service and defaults.

A :class:`Profile` holds a family's facts -- which packages and service it uses,
where its files live, which ``crashkernel=`` its own tools would choose on a
given release and architecture, how many CPUs its capture kernel brings up --
and nothing about editing. Detection and sizing read profiles; the family
handlers in :mod:`~kdumpwiz.engine.families` add the edit logic on top. This
package imports nothing above the host, the editors and the crashkernel model,
so the sizing that depends on it never reaches back into planning (the first
build had plan, families and sizing importing each other in a circle).

:func:`family_for` picks the family from the os-release ``ID`` *and*
``ID_LIKE`` tokens (RHEL 9 and Amazon Linux 2023 carry only "fedora"; Oracle 7
and SLES carry none), never from ``ID_LIKE`` alone when the ``ID`` is known.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from ..editors import shellvars
from ..errors import EditError
from ..facts import Distro, Facts, Packages
from ..host import Host

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


def shell_value(host: Host, path: str, name: str) -> Optional[str]:
    """The value of ``name`` in the shell-sourced file ``path``.

    None when the file is missing or unreadable, the variable is unset, or the
    file is one kdumpwiz's shell model will not evaluate: detection reports
    "unknown" for those rather than guessing.
    """
    text = host.read_optional(path)
    if text is None:
        return None
    try:
        return shellvars.get_value(text, name, path=path)
    except EditError:
        return None


class Profile:
    """The facts of one distribution family. Subclasses fill in the details."""

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

    def keeps_own_default(self, host: Host, facts: Facts) -> bool:
        """True when :meth:`distro_default` is the family's own measurement of this machine.

        Then ``auto`` keeps it even below kdumpwiz's estimate (with a warning):
        SUSE's kdumptool calibrates on the machine itself, and replacing its
        value would also fight kdump-commandline.service at every boot.
        """
        return False

    def extra_facts(self, host: Host) -> Dict[str, object]:
        """Family-specific facts for ``Facts.extra`` (e.g. Debian's USE_KDUMP)."""
        return {}

    def capture_cpus(self, host: Host, facts: Facts) -> int:
        """CPUs the capture kernel brings up (its nr_cpus=)."""
        return 1

    def capture_append(self, host: Host, facts: Facts) -> str:
        """What the kdump service appends to the capture kernel's command line ('' when unknown)."""
        return ""
