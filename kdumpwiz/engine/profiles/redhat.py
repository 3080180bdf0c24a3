"""The RHEL family: packages, files and the defaults its kdump tools use, per release.

RHEL, CentOS Stream, Rocky, Alma, Oracle, Fedora and Amazon Linux. The default
``crashkernel=`` is what ``kdumpctl get-default-crashkernel`` prints on the
release (kexec-tools up to RHEL 9, kdump-utils from Fedora 40 / RHEL 10); RHEL
8 kernels implement ``crashkernel=auto`` themselves (field guide §2.7, §4.1).
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ..editors import kdumpconf, shellvars
from ..errors import EditError
from ..facts import Distro, Facts, Packages
from ..host import Host
from ..bootconfig import BLS_DIR, grubenv_path
from .base import Profile

KDUMP_CONF = "/etc/kdump.conf"
SYSCONFIG = "/etc/sysconfig/kdump"
GRUB_DEFAULT = "/etc/default/grub"
KERNEL_CMDLINE = "/etc/kernel/cmdline"
TARGET_KEYWORDS = ("raw", "nfs", "ssh", "sshkey", "ext2", "ext3", "ext4", "xfs", "btrfs", "minix", "virtiofs", "dracut_args")
# Only target-ish keywords are switched off; dracut_args stays (it is not a target).
SWITCHED_TARGETS = ("raw", "nfs", "ssh", "sshkey", "ext2", "ext3", "ext4", "xfs", "btrfs", "minix", "virtiofs")

#: kdump-utils' defaults (kdump-lib.sh), current (2025-03 on) and the 2021-2025 RHEL 9 ones.
KU_CURRENT = {
    "x86_64": "2G-64G:256M,64G-:512M",
    "s390x": "2G-64G:256M,64G-:512M",
    "aarch64": "2G-4G:256M,4G-64G:320M,64G-:576M",
    "ppc64le": "2G-4G:384M,4G-16G:512M,16G-64G:1G,64G-128G:2G,128G-:4G",
}
KU_RHEL9 = {
    "x86_64": "1G-4G:192M,4G-64G:256M,64G-:512M",
    "s390x": "1G-4G:192M,4G-64G:256M,64G-:512M",
    "aarch64": "1G-4G:256M,4G-64G:320M,64G-:576M",
    "ppc64le": "2G-4G:384M,4G-16G:512M,16G-64G:1G,64G-128G:2G,128G-:4G",
}

#: RHEL 8 kernels implement crashkernel=auto themselves (never upstream, §2.7).
RHEL8_AUTO = {
    "x86_64": "1G-64G:160M,64G-1T:280M,1T-:512M",
    "s390x": "4G-64G:160M,64G-1T:256M,1T-:512M",
    "aarch64": "2G-:768M",
    "ppc64le": "2G-4G:384M,4G-16G:512M,16G-64G:1G,64G-128G:2G,128G-:4G",
}


def _add_to_sizes(value: str, delta_mib: int) -> str:
    """kdump-utils adds a fixed amount to every size of a range list (64k pages, per-CPU...)."""
    def bump(m: "re.Match[str]") -> str:
        num, unit = int(m.group(1)), m.group(2)
        size = num * (1024 if unit == "G" else 1) + delta_mib
        return f":{size}M"
    return re.sub(r":(\d+)([MG])", bump, value)


class RedHatProfile(Profile):
    """RHEL 8+, its rebuilds, Fedora and Amazon Linux 2023."""

    name = "redhat"
    service_unit = "kdump.service"
    supported_boot_methods = ("grub-bls", "grubenv-kernelopts", "zipl-bls")
    target_types = ("local", "ssh", "nfs", "raw")

    def _uses_kdump_utils(self, distro: Distro) -> bool:
        if distro.id == "fedora":
            return distro.major >= 40
        if distro.id == "amzn":
            return False
        return distro.major >= 10

    def packages(self, host: Host, distro: Distro) -> Packages:
        """kexec-tools (and kdump-utils on Fedora >= 40 / RHEL >= 10), recognised by their files."""
        main = "kdump-utils" if self._uses_kdump_utils(distro) else "kexec-tools"
        required: Tuple[str, ...] = (main, "kexec-tools") if main == "kdump-utils" else ("kexec-tools",)
        have = []
        if any(host.exists(p) for p in ("/usr/bin/kdumpctl", "/usr/sbin/kdumpctl")):
            have.append(main)
        if main == "kdump-utils" and any(host.exists(p) for p in ("/usr/sbin/kexec", "/sbin/kexec")):
            have.append("kexec-tools")
        have_t = tuple(dict.fromkeys(have))
        missing = tuple(p for p in required if p not in have_t)
        return Packages(required, have_t, missing, ("dnf", "install", "--assumeyes") + missing)

    def boot_files(self, host: Host, method: str) -> List[str]:
        """BLS entries, grubenv, /etc/default/grub, /etc/kernel/cmdline, /etc/zipl.conf."""
        files = [f"{BLS_DIR}/{n}" for n in host.listdir(BLS_DIR) if n.endswith(".conf")]
        env = grubenv_path(host)
        if env:
            files.append(env)
        for p in (GRUB_DEFAULT, KERNEL_CMDLINE, "/etc/zipl.conf"):
            if host.exists(p):
                files.append(p)
        return files

    def boot_method_remedy(self, method: str) -> str:
        """Advice for boot paths this family does not handle."""
        if method == "ostree":
            return "use 'rpm-ostree kargs --append=crashkernel=…' (or bootc kargs.d) and 'systemctl enable kdump'"
        if method == "systemd-boot":
            return "edit /etc/kernel/cmdline and regenerate the entries (kernel-install); kdumpctl itself supports only GRUB2 and zipl"
        return "kdumpwiz edits BLS entries for GRUB2 or zipl; configure crashkernel= with 'kdumpctl reset-crashkernel' by hand"

    def current_dump_path(self, host: Host) -> str:
        """``path`` of /etc/kdump.conf when the target is local (no fs/remote target)."""
        text = host.read_optional(KDUMP_CONF)
        if text:
            try:
                if any(kdumpconf.get(text, k) for k in SWITCHED_TARGETS):
                    return "/var/crash"
                value = kdumpconf.get(text, "path")
            except EditError:
                value = None
            if value and value.startswith("/"):
                return value
        return "/var/crash"

    def distro_default(self, host: Host, facts: Facts) -> Optional[Tuple[str, str]]:
        """What ``kdumpctl get-default-crashkernel`` would print for this release."""
        d = facts.distro
        arch = facts.arch
        if d.id != "fedora" and d.id != "amzn" and d.major == 8:
            if arch in RHEL8_AUTO:
                return RHEL8_AUTO[arch], f"RHEL 8's crashkernel=auto table for {arch}"
            return None
        current = (d.id == "fedora" and d.major >= 42) or (d.id not in ("fedora", "amzn") and d.major >= 10)
        table = KU_CURRENT if current else KU_RHEL9
        if arch not in table:
            return None
        value = table[arch]
        extra = 0
        why = []
        if arch == "aarch64" and facts.page_size == 65536:
            extra += 100
            why.append("+100M for 64 KiB pages")
            if any(n.startswith("arm-smmu") for n in host.listdir("/sys/devices/platform")):
                extra += 384
                why.append("+384M for the SMMU")
        if arch == "aarch64" and host.exists("/sys/bus/pci/drivers/mlx5_core"):
            extra += 200 if facts.page_size == 65536 else 150
            why.append("mlx5 network driver")
        if arch == "ppc64le":
            cpus = self.capture_cpus(host, facts)
            extra += cpus
            why.append(f"+1M per capture CPU (nr_cpus={cpus})")
        if extra:
            value = _add_to_sizes(value, extra)
        what = "kdump-utils" if self._uses_kdump_utils(d) else "kexec-tools"
        suffix = f" ({', '.join(why)})" if why else ""
        return value, f"{what}' default for {d.name or d.id} {arch}{suffix}"

    def capture_cpus(self, host: Host, facts: Facts) -> int:
        """nr_cpus= of KDUMP_COMMANDLINE_APPEND in /etc/sysconfig/kdump (1 by default)."""
        text = host.read_optional(SYSCONFIG)
        if text:
            try:
                append = shellvars.get_value(text, "KDUMP_COMMANDLINE_APPEND", path=SYSCONFIG) or ""
            except EditError:
                append = ""
            m = re.search(r"\bnr_cpus=(\d+)", append)
            if m:
                return int(m.group(1))
        return 1
