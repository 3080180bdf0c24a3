"""Debian and Ubuntu: kdump-tools' packages, files and per-release defaults.

The default ``crashkernel=`` lives in one shell line that kdump-tools ships
per architecture, ``/etc/default/grub.d/kdump-tools.cfg``; before the package
is installed kdumpwiz predicts it from the release (field guide §4.2).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from ..editors import cmdline as cmdline_ed
from ..editors import shellvars
from ..errors import EditError
from ..facts import Distro, Facts, Packages
from ..host import Host
from .base import Profile, shell_value

KDUMP_TOOLS_CFG = "/etc/default/grub.d/kdump-tools.cfg"
KDUMP_DEFAULTS = "/etc/default/kdump-tools"
DPKG_STATUS = "/var/lib/dpkg/status"
TIERED = "2G-4G:320M,4G-32G:512M,32G-64G:1024M,64G-128G:2048M,128G-:4096M"

#: KDUMP_CMDLINE_APPEND defaults per architecture (debian/rules, field guide §4.2).
CMDLINE_APPEND = {
    "aarch64": "reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1",
    "ppc64le": "reset_devices systemd.unit=kdump-tools-dump.service maxcpus=1 irqpoll noirqdistrib usbcore.nousb",
}
CMDLINE_APPEND_DEFAULT = "reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll usbcore.nousb"


def dpkg_installed(status: str) -> Dict[str, str]:
    """Package -> version for every package dpkg lists as "install ok installed"."""
    out: Dict[str, str] = {}
    for stanza in re.split(r"\n\s*\n", status):
        fields: Dict[str, str] = {}
        for line in stanza.splitlines():
            if ":" in line and not line.startswith((" ", "\t")):
                key, _, val = line.partition(":")
                fields[key.strip()] = val.strip()
        if fields.get("Status", "").endswith("install ok installed") and "Package" in fields:
            out[fields["Package"]] = fields.get("Version", "")
    return out


class DebianProfile(Profile):
    """Debian, Ubuntu and derivatives."""

    name = "debian"
    service_unit = "kdump-tools.service"
    supported_boot_methods = ("grub-debian",)
    target_types = ("local", "ssh", "nfs")
    required = ("kdump-tools", "kexec-tools", "makedumpfile")
    _markers = {"kdump-tools": "/usr/sbin/kdump-config", "kexec-tools": "/sbin/kexec", "makedumpfile": "/usr/bin/makedumpfile"}

    def packages(self, host: Host, distro: Distro) -> Packages:
        """Installed packages from dpkg's status file (file markers when it is absent)."""
        status = host.read_optional(DPKG_STATUS)
        if status is not None:
            installed = dpkg_installed(status)
            have = tuple(p for p in self.required if p in installed)
        else:
            have = tuple(p for p, marker in self._markers.items() if host.exists(marker))
        missing = tuple(p for p in self.required if p not in have)
        names = missing
        if missing and (distro.id == "ubuntu" or "ubuntu" in distro.like):
            # Ubuntu's own way in: the linux-crashdump metapackage (depends on kdump-tools,
            # which brings kexec-tools and makedumpfile; suggests crash). The three are named
            # too, so a package missing from the meta's dependencies still arrives.
            names = ("linux-crashdump",) + missing
        return Packages(self.required, have, missing, ("apt-get", "install", "--yes") + names)

    def boot_files(self, host: Host, method: str) -> List[str]:
        """/etc/default/grub, every grub.d/*.cfg and the generated grub.cfg."""
        from ..bootconfig import grub_debian_files

        files = grub_debian_files(host)
        if host.exists("/boot/grub/grub.cfg"):
            files.append("/boot/grub/grub.cfg")
        return files

    def boot_method_remedy(self, method: str) -> str:
        """Advice for boot paths this family does not handle."""
        if method == "zipl-debian":
            return "on s390x add crashkernel= to parameters= in /etc/zipl.conf and run zipl (kdump-tools' postinst does this)"
        return "kdumpwiz edits GRUB through /etc/default/grub.d and update-grub; install grub or configure crashkernel= by hand"

    def current_dump_path(self, host: Host) -> str:
        """KDUMP_COREDIR from /etc/default/kdump-tools."""
        value = shell_value(host, KDUMP_DEFAULTS, "KDUMP_COREDIR")
        return value if value and value.startswith("/") else "/var/crash"

    def extra_facts(self, host: Host) -> Dict[str, object]:
        """``use_kdump``: USE_KDUMP of /etc/default/kdump-tools (None when unknown)."""
        value = shell_value(host, KDUMP_DEFAULTS, "USE_KDUMP")
        return {"use_kdump": None if value is None else value.strip() == "1"}

    def distro_default(self, host: Host, facts: Facts) -> Optional[Tuple[str, str]]:
        """kdump-tools' drop-in if installed, else the packaged default for this release/arch."""
        text = host.read_optional(KDUMP_TOOLS_CFG)
        if text:
            try:
                value = shellvars.evaluate([(KDUMP_TOOLS_CFG, text)], ["GRUB_CMDLINE_LINUX_DEFAULT"],
                                           {"GRUB_CMDLINE_LINUX_DEFAULT": ""})["GRUB_CMDLINE_LINUX_DEFAULT"]
                found = cmdline_ed.get_params(value, "crashkernel")
                if found and found[-1]:
                    return found[-1], f"kdump-tools' default ({KDUMP_TOOLS_CFG})"
            except EditError:
                pass
        return self.packaged_default(facts)

    @staticmethod
    def packaged_default(facts: Facts) -> Tuple[str, str]:
        """What the release's kdump-tools package would install as kdump-tools.cfg on this arch.

        arm64 and ppc64el have had the tiered value since 2018 (debian/kdump-tools.grub.{arm64,ppc64el});
        the "default" file for amd64 and the rest is 384M-:128M in Debian 12 (1:1.8.1) and 512M-:192M
        from 1:1.9 on (Debian 13 ships 1:1.10.7 with it, read from the trixie .deb). Ubuntu changed
        amd64 to the tiered value in its own delta by 24.04 (1:1.10.3ubuntu2: captures of 24.04
        machines; 24.10-26.04 /proc/cmdline captures and the 26.04 server guide), while 22.04
        (1:1.6.10ubuntu2) keeps 512M-:192M. s390x takes its value from the postinst's zipl preset.
        """
        d = facts.distro
        tiered_arch = facts.arch in ("aarch64", "ppc64le")
        if facts.arch == "s390x":
            return "384M-:128M", f"the kdump-tools default of {d.name or d.id} s390x (zipl preset)"
        if d.id == "ubuntu":
            version = tuple(int(x) for x in (d.version.split(".") + ["0"])[:2] if x.isdigit())
            value = TIERED if (tiered_arch or version >= (24, 4)) else "512M-:192M"
            return value, f"the kdump-tools default of Ubuntu {d.version} {facts.arch}"
        if tiered_arch:
            return TIERED, f"the kdump-tools default of {d.name or d.id} {facts.arch}"
        value = "384M-:128M" if d.id == "debian" and 0 < d.major <= 12 else "512M-:192M"
        return value, f"the kdump-tools default of {d.name or d.id} {facts.arch}"

    def capture_cpus(self, host: Host, facts: Facts) -> int:
        """nr_cpus=/maxcpus= of KDUMP_CMDLINE_APPEND (1 by default)."""
        m = re.search(r"\b(?:nr_cpus|maxcpus)=(\d+)", self.capture_append(host, facts))
        return int(m.group(1)) if m else 1

    def capture_append(self, host: Host, facts: Facts) -> str:
        """KDUMP_CMDLINE_APPEND, or kdump-tools' built-in default for the architecture."""
        return (shell_value(host, KDUMP_DEFAULTS, "KDUMP_CMDLINE_APPEND")
                or CMDLINE_APPEND.get(facts.arch, CMDLINE_APPEND_DEFAULT))
