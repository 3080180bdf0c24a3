"""SUSE (SLES, openSUSE Leap/Tumbleweed): the kdump package's files and defaults."""

from __future__ import annotations

from typing import List, Optional, Tuple

from ..editors import shellvars
from ..errors import EditError
from ..facts import Distro, Facts, Packages
from ..host import Host
from .base import Profile

SYSCONFIG = "/etc/sysconfig/kdump"
GRUB_DEFAULT = "/etc/default/grub"
#: kdumptool's fallback (calibrate.cc DEF_RESERVE_KB) when it cannot calibrate.
DEF_RESERVE = {"ppc64le": "384M"}


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
            return "set KDUMP_CRASHKERNEL in /etc/sysconfig/kdump and run 'kdumptool commandline -u' (or use YaST kdump)"
        if method == "ostree":
            return "use 'transactional-update setup-kdump' and reboot"
        return "use YaST kdump ('yast2 kdump') on this boot loader"

    def current_dump_path(self, host: Host) -> str:
        """KDUMP_SAVEDIR when it is a local path or file:// URL."""
        text = host.read_optional(SYSCONFIG)
        if text:
            try:
                value = shellvars.get_value(text, "KDUMP_SAVEDIR", path=SYSCONFIG) or ""
            except EditError:
                value = ""
            if value.startswith("file://"):
                value = value[len("file://"):]
            if value.startswith("/"):
                return value
        return "/var/crash"

    def distro_default(self, host: Host, facts: Facts) -> Optional[Tuple[str, str]]:
        """kdumptool's fixed fallback; its real calibration is what our estimate stands in for."""
        return DEF_RESERVE.get(facts.arch, "192M"), f"kdumptool's fallback reservation for {facts.arch}"

    def capture_cpus(self, host: Host, facts: Facts) -> int:
        """min(KDUMP_CPUS, online CPUs); KDUMP_CPUS=0 means all."""
        cpus = 32
        text = host.read_optional(SYSCONFIG)
        if text:
            try:
                value = shellvars.get_value(text, "KDUMP_CPUS", path=SYSCONFIG)
            except EditError:
                value = None
            if value is not None and value.strip().isdigit():
                cpus = int(value.strip())
        return facts.cpus if cpus == 0 else max(1, min(cpus, facts.cpus))
