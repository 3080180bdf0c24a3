"""The RHEL family: packages, files and the defaults its kdump tools use, per release.

RHEL, CentOS Stream, Rocky, Alma, Oracle, Fedora and Amazon Linux. The default
``crashkernel=`` is what ``kdumpctl get-default-crashkernel`` prints on the
release (kexec-tools up to RHEL 9, kdump-utils from Fedora 40 / RHEL 10); RHEL
8 kernels implement ``crashkernel=auto`` themselves (field guide §2.7, §4.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from ..editors import kdumpconf
from ..errors import EditError
from ..facts import Distro, Facts, Packages
from ..host import Host
from .. import rpmdb
from ..bootconfig import BLS_DIR, grubenv_path
from .base import Profile, shell_value

KDUMP_CONF = "/etc/kdump.conf"
SYSCONFIG = "/etc/sysconfig/kdump"
GRUB_DEFAULT = "/etc/default/grub"
KERNEL_CMDLINE = "/etc/kernel/cmdline"
# Only target-ish keywords are switched off; dracut_args stays (it is not a target).
SWITCHED_TARGETS = ("raw", "nfs", "ssh", "sshkey", "ext2", "ext3", "ext4", "xfs", "btrfs", "minix", "virtiofs")

# What `kdumpctl get-default-crashkernel` prints, per installed version. Ran in a sandbox (real
# kdumpctl/kdump-lib.sh, fake /proc/iomem, /sys and journalctl) at: kexec-tools 2.0.25-13.el9_2.1
# and 2.0.26-8.el9 (OpenELA el9 imports c613fef, 1dc98e5), kdump-utils v1.0.42 ... v1.0.61 (rhkdump/
# kdump-utils tags; main 63f248c). Changes: fe18f93 (v1.0.53) x86_64/s390x 2G-64G; ca42bd6 (v1.0.54)
# aarch64 2G-4G; 0d38985 (v1.0.60) ppc64le +1M x nr_cpus; 4841bc6 (kexec-tools 2.0.27-4 Fedora, every
# kdump-utils) +64M with SME/SEV; 05c4861/7a2c4cb (2.0.26-6) aarch64 64K/SMMU/mlx5 terms.
OLD_X86 = "1G-4G:192M,4G-64G:256M,64G-:512M"
NEW_X86 = "2G-64G:256M,64G-:512M"
OLD_AARCH64 = "1G-4G:256M,4G-64G:320M,64G-:576M"
NEW_AARCH64 = "2G-4G:256M,4G-64G:320M,64G-:576M"
PPC64LE_KDUMP = "2G-4G:384M,4G-16G:512M,16G-64G:1G,64G-128G:2G,128G-:4G"
PPC64LE_FADUMP = ("4G-16G:768M,16G-64G:1G,64G-128G:2G,128G-1T:4G,1T-2T:6G,2T-4T:12G,4T-8T:20G,8T-16T:36G,"
                  "16T-32T:64G,32T-64T:128G,64T-:180G")
#: The journal line kdump-utils greps (is_sme_or_sev_active); SEV-ES/SNP lines do not match it.
SME_SEV_RE = re.compile(r"^Memory Encryption Features active: AMD (SME|SEV)$", re.M)


@dataclass(frozen=True)
class KdumpTool:
    """The package that provides kdumpctl on this machine, and what its version implies."""

    package: str                 # "kdump-utils" or "kexec-tools"
    version: Optional[str]       # version-release, None when the rpm database could not be read
    new_x86: bool                # 2G-64G:256M table (fe18f93)
    new_aarch64: bool            # 2G-4G first range (ca42bd6)
    per_cpu: bool                # ppc64le +1M x nr_cpus (0d38985)
    sme: bool                    # +64M when SME/SEV is active (4841bc6)
    aarch64_terms: bool          # 64K pages, SMMU, mlx5 (05c4861, 7a2c4cb)

    @property
    def label(self) -> str:
        """``kdump-utils 1.0.51-11.el10_0`` (or the package name alone)."""
        return f"{self.package} {self.version}" if self.version else self.package


def _at_least(pkg: rpmdb.RpmPackage, version: str) -> bool:
    return rpmdb.vercmp(pkg.version, version) >= 0


def kdump_tool(host: Host, distro: Distro) -> KdumpTool:
    """kdumpctl's package and version from the root's rpm database (a release guess without one).

    RHEL 10.0's kdump-utils 1.0.51-11.el10_0 prints the 2G-64G x86_64 table
    that upstream has from 1.0.53 on (Red Hat's RHEL 10 documentation lists
    2 GB-64 GB: 256 MB), so el10 builds count as carrying fe18f93 (inferred
    from the documentation; the el10 dist-git was not read).
    """
    found = rpmdb.installed(host, ("kdump-utils", "kexec-tools"))
    ku = found.get("kdump-utils")
    if ku is not None:
        el10 = ".el10" in ku.release
        return KdumpTool("kdump-utils", f"{ku.version}-{ku.release}", new_x86=el10 or _at_least(ku, "1.0.53"),
                         new_aarch64=_at_least(ku, "1.0.54"), per_cpu=_at_least(ku, "1.0.60"), sme=True,
                         aarch64_terms=True)
    kt = found.get("kexec-tools")
    if kt is not None:
        evr = (kt.epoch, kt.version, kt.release)
        el9 = ".el9" in kt.release
        # el9 builds: no SME term (ran 2.0.26-8.el9; 9.4+ builds were not read); Fedora from 2.0.27-4.
        sme = not el9 and rpmdb.evr_cmp(evr, (kt.epoch, "2.0.27", "4")) >= 0
        terms = rpmdb.evr_cmp(evr, (kt.epoch, "2.0.26", "6")) >= 0
        return KdumpTool("kexec-tools", f"{kt.version}-{kt.release}", new_x86=False, new_aarch64=False,
                         per_cpu=False, sme=sme, aarch64_terms=terms)
    # No readable database (RHEL 8's Berkeley DB, a minimal image): what the release ships.
    ku_release = (distro.id == "fedora" and distro.major >= 40) or (distro.id not in ("fedora", "amzn")
                                                                     and distro.major >= 10)
    if ku_release:
        return KdumpTool("kdump-utils", None, new_x86=True, new_aarch64=distro.id == "fedora", per_cpu=False,
                         sme=True, aarch64_terms=True)
    return KdumpTool("kexec-tools", None, new_x86=False, new_aarch64=False, per_cpu=False, sme=False,
                     aarch64_terms=distro.major >= 9 or distro.id in ("fedora", "amzn"))


def memsize(mib: int) -> str:
    """kdump-lib.sh memsize_add's spelling: the largest unit that divides the size exactly."""
    for unit, factor in (("T", 1 << 20), ("G", 1 << 10)):
        if mib % factor == 0:
            return f"{mib // factor}{unit}"
    return f"{mib}M"


def kernel_log(host: Host) -> str:
    """This boot's kernel messages: the journal on the live system, /var/log/dmesg in a tree.

    kdump-utils greps ``journalctl --dmesg``; a copied root or a fixture has no
    running journal, so the boot log file stands in for it there.
    """
    if host.is_live and host.which("journalctl"):
        res = host.run(["journalctl", "-q", "--dmesg", "-o", "cat", "--no-pager"], timeout=20)
        if res.ok:
            return res.stdout
    # dmesg's own output starts each line with "[    1.234567] "; the journal's cat output does not.
    return re.sub(r"^\[\s*\d+\.\d+\] ?", "", host.read_optional("/var/log/dmesg") or "", flags=re.M)


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
        size = num * {"M": 1, "G": 1024, "T": 1 << 20}[unit] + delta_mib
        return f":{memsize(size)}"
    return re.sub(r":(\d+)([MGT])", bump, value)


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
        """What ``kdumpctl get-default-crashkernel`` prints on this machine, for its installed version."""
        d = facts.distro
        arch = facts.arch
        if d.id != "fedora" and d.id != "amzn" and d.major == 8:
            if arch in RHEL8_AUTO:
                return RHEL8_AUTO[arch], f"RHEL 8's crashkernel=auto table for {arch}"
            return None
        tool = kdump_tool(host, d)
        fadump = arch == "ppc64le" and self.fadump_mode(host, facts)
        if arch in ("x86_64", "s390x"):
            value = NEW_X86 if tool.new_x86 else OLD_X86
        elif arch == "aarch64":
            value = NEW_AARCH64 if tool.new_aarch64 else OLD_AARCH64
        elif arch == "ppc64le":
            value = PPC64LE_FADUMP if fadump else PPC64LE_KDUMP
        else:
            return None
        extra = 0
        why = []
        if arch in ("x86_64", "s390x") and tool.sme and facts.extra.get("memory_encryption"):
            extra += 64
            why.append("+64M: AMD memory encryption (SME/SEV) is active")
        if arch == "aarch64" and tool.aarch64_terms:
            if facts.page_size == 65536:
                extra += 100
                why.append("+100M for 64 KiB pages")
                if any(n.startswith("arm-smmu") for n in host.listdir("/sys/devices/platform")):
                    extra += 384
                    why.append("+384M for the SMMU")
            if host.exists("/sys/bus/pci/drivers/mlx5_core"):
                extra += 200 if facts.page_size == 65536 else 150
                why.append("mlx5 network driver")
        if arch == "ppc64le" and tool.per_cpu:
            cpus = self.capture_cpus(host, facts)
            extra += cpus
            why.append(f"+1M per capture CPU (nr_cpus={cpus})")
        if extra or tool.sme:
            # kdump-utils passes every value through memsize_add since 4841bc6, even with nothing to add.
            value = _add_to_sizes(value, extra)
        source = tool.label if tool.version else f"{tool.label} (version unknown: no readable rpm database)"
        mode = " fadump" if fadump else ""
        suffix = f" ({', '.join(why)})" if why else ""
        return value, f"{source}'s{mode} default for {d.name or d.id} {arch}{suffix}"

    @staticmethod
    def fadump_mode(host: Host, facts: Facts) -> bool:
        """fadump is on: the kernel says so (sysfs; el9 reads the legacy file) or the boot asks for it."""
        for p in ("/sys/kernel/fadump/enabled", "/sys/kernel/fadump_enabled"):
            if (host.read_optional(p) or "").strip() == "1":
                return True
        words = (facts.boot.configured_cmdline or facts.kexec.running_cmdline or "").split()
        return any(w in ("fadump=on", "fadump=nocma") for w in words)

    def extra_facts(self, host: Host) -> Dict[str, object]:
        """``memory_encryption``: "SME"/"SEV" when the kernel log has kdump-utils' line, else None."""
        match = SME_SEV_RE.search(kernel_log(host))
        return {"memory_encryption": match.group(1) if match else None}

    def capture_append(self, host: Host, facts: Facts) -> str:
        """KDUMP_COMMANDLINE_APPEND of /etc/sysconfig/kdump (kdumpctl adds it to the capture command line)."""
        return shell_value(host, SYSCONFIG, "KDUMP_COMMANDLINE_APPEND") or ""

    def capture_cpus(self, host: Host, facts: Facts) -> int:
        """kdumpctl's find_nr_cpus: the last valid nr_cpus= of the dump mode's APPEND variable, else 1.

        The variable follows the *system's* dump mode (FADUMP_COMMANDLINE_APPEND when
        /sys/kernel/fadump says enabled), as DEFAULT_DUMP_MODE does in kdumpctl.
        """
        system_fadump = any((host.read_optional(p) or "").strip() == "1"
                            for p in ("/sys/kernel/fadump/enabled", "/sys/kernel/fadump_enabled"))
        var = "FADUMP_COMMANDLINE_APPEND" if system_fadump else "KDUMP_COMMANDLINE_APPEND"
        append = shell_value(host, SYSCONFIG, var) or ""
        cpus = 1
        for word in append.split():
            if word.startswith("nr_cpus=") and re.fullmatch(r"[1-9][0-9]*", word[len("nr_cpus="):]):
                cpus = int(word[len("nr_cpus="):])
        return cpus
