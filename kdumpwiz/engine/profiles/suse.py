"""SUSE (SLES, openSUSE Leap/Tumbleweed): the kdump package's files and defaults, per kdump line.

Two kdump lines behave differently (openSUSE/kdump, read and run per branch):

* **kdump 2.0.x** -- SLE 15 SP6 (branch SLE-15-SP6, v2.0.6), SP7 (SLE-15-SP7,
  v2.0.18), Leap 15.6: no ``KDUMP_CRASHKERNEL``, no ``kdumptool commandline``,
  no ``kdump-commandline.service``. ``crashkernel=`` lives only in
  ``GRUB_CMDLINE_LINUX_DEFAULT`` (what YaST writes), and nothing rewrites it.
* **kdump >= 2.1** -- Tumbleweed (master, v2.1.9), SLE/Leap 16 (SLFO-1.2,
  v2.1.6): ``kdump-commandline.service`` runs ``kdumptool commandline -c -U``
  at every boot; it derives the expected tokens from ``KDUMP_CRASHKERNEL``
  (``auto``: ``kdumptool calibrate``), compares them with *all* ``crashkernel=``
  tokens of /proc/cmdline as one string and, unless they match, runs
  ``pbl --add-option ... --config``.

kdumpwiz tells them apart by the unit file the package installs, not by the
os-release version, because the unit is what does the rewriting.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from ..facts import Distro, Facts, Packages
from ..host import Host
from .base import Profile, shell_value

SYSCONFIG = "/etc/sysconfig/kdump"
GRUB_DEFAULT = "/etc/default/grub"
#: kdumptool's fallback (calibrate.cc DEF_RESERVE_KB) when it cannot calibrate.
DEF_RESERVE = {"ppc64le": "384M"}
#: Installed by kdump >= 2.1 only (init/kdump-commandline.service; first in v2.0.19's successor line).
COMMANDLINE_UNIT = "kdump-commandline.service"
_UNIT_DIRS = ("/usr/lib/systemd/system", "/lib/systemd/system", "/etc/systemd/system")


def sysconfig_value(host: Host, key: str) -> Optional[str]:
    """A value of /etc/sysconfig/kdump (None: unset, unreadable or not a plain assignment)."""
    return shell_value(host, SYSCONFIG, key)


def rewrites_bootloader(host: Host) -> bool:
    """True on kdump >= 2.1: kdump-commandline.service re-derives crashkernel= at every boot."""
    return any(host.exists(f"{d}/{COMMANDLINE_UNIT}") for d in _UNIT_DIRS)


def fadump_active(host: Host, facts: Facts) -> bool:
    """KDUMP_FADUMP=true, fadump= on the running command line, or the kernel's fadump sysfs says enabled."""
    if (sysconfig_value(host, "KDUMP_FADUMP") or "").strip().lower() in ("true", "yes", "1"):
        return True
    if any(w.startswith("fadump=") and w != "fadump=off" for w in facts.kexec.running_cmdline.split()):
        return True
    for p in ("/sys/kernel/fadump/enabled", "/sys/kernel/fadump_enabled"):
        if (host.read_optional(p) or "").strip() == "1":
            return True
    return False


class SuseProfile(Profile):
    """SLES and openSUSE with grub2 / grub2-efi."""

    name = "suse"
    service_unit = "kdump.service"
    supported_boot_methods = ("grub-suse",)
    target_types = ("local", "ssh", "nfs")

    def packages(self, host: Host, distro: Distro) -> Packages:
        """kdump (kdumptool) and kexec-tools, recognised by their files."""
        required = ("kdump", "kexec-tools")
        have = []
        if any(host.exists(p) for p in ("/usr/sbin/kdumptool", "/usr/bin/kdumptool")):
            have.append("kdump")
        if any(host.exists(p) for p in ("/usr/sbin/kexec", "/sbin/kexec")):
            have.append("kexec-tools")
        missing = tuple(p for p in required if p not in have)
        return Packages(required, tuple(have), missing, ("zypper", "--non-interactive", "install") + missing)

    def boot_files(self, host: Host, method: str) -> List[str]:
        """/etc/default/grub, the generated grub.cfg, /etc/sysconfig/bootloader."""
        return [p for p in (GRUB_DEFAULT, "/boot/grub2/grub.cfg", "/etc/sysconfig/bootloader") if host.exists(p)]

    def boot_method_remedy(self, method: str) -> str:
        """Advice for boot paths this family does not handle."""
        if method == "suse-bls":
            # pbl --add-option edits only /etc/kernel/cmdline there and its --config does nothing
            # (perl-bootloader grub2-bls/*, 1.25); sdbootutil rewrites the entries' options.
            return ("put the crashkernel= option(s) into /etc/kernel/cmdline (or set KDUMP_CRASHKERNEL and run "
                    "'kdumptool commandline -u', which edits only that file), then run 'sdbootutil "
                    "update-all-entries' so existing boot entries get it, and reboot")
        if method == "ostree":
            return "use 'transactional-update setup-kdump' and reboot"
        return "use YaST kdump ('yast2 kdump') on this boot loader"

    def current_dump_path(self, host: Host) -> str:
        """KDUMP_SAVEDIR when it is a local path or file:// URL."""
        value = sysconfig_value(host, "KDUMP_SAVEDIR") or ""
        if value.startswith("file://"):
            value = value[len("file://"):]
        return value if value.startswith("/") else "/var/crash"

    def distro_default(self, host: Host, facts: Facts) -> Optional[Tuple[str, str]]:
        """kdump's own value where it settled one, else kdumptool's fixed fallback.

        On kdump >= 2.1 with ``KDUMP_CRASHKERNEL=auto`` the configured tokens
        that the running kernel also booted with are kdumptool's calibration
        of this machine (kdump-commandline.service puts them there); the
        fallback is what calibrate.cc uses when it cannot calibrate.
        """
        calibrated = self._calibrated(host, facts)
        if calibrated:
            return calibrated, "kdump's own calibration (KDUMP_CRASHKERNEL=auto, kept by kdump-commandline.service)"
        return DEF_RESERVE.get(facts.arch, "192M"), f"kdumptool's fallback reservation for {facts.arch}"

    def keeps_own_default(self, host: Host, facts: Facts) -> bool:
        """kdump's calibrated tokens are kept by ``auto`` (see the base class)."""
        return self._calibrated(host, facts) is not None

    @staticmethod
    def _calibrated(host: Host, facts: Facts) -> Optional[str]:
        if not rewrites_bootloader(host):
            return None
        if (sysconfig_value(host, "KDUMP_CRASHKERNEL") or "auto").strip() != "auto":
            return None
        configured = facts.boot.configured_crashkernel
        if configured and configured == facts.kexec.running_crashkernel:
            return configured
        return None

    def extra_facts(self, host: Host) -> Dict[str, object]:
        """What decides how SUSE's kdump treats the boot loader on this release."""
        return {
            "kdump_rewrites_bootloader": rewrites_bootloader(host),
            "kdump_crashkernel": sysconfig_value(host, "KDUMP_CRASHKERNEL"),
            "kdump_update_bootloader": sysconfig_value(host, "KDUMP_UPDATE_BOOTLOADER"),
            "kdump_auto_resize": (sysconfig_value(host, "KDUMP_AUTO_RESIZE") or "").strip().lower() in ("true", "yes", "1"),
        }

    def capture_cpus(self, host: Host, facts: Facts) -> int:
        """min(KDUMP_CPUS, online CPUs); KDUMP_CPUS=0 means all."""
        cpus = 32
        value = sysconfig_value(host, "KDUMP_CPUS")
        if value is not None and value.strip().isdigit():
            cpus = int(value.strip())
        return facts.cpus if cpus == 0 else max(1, min(cpus, facts.cpus))
