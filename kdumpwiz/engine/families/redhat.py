"""The RHEL family (RHEL, CentOS Stream, Rocky, Alma, Oracle, Fedora, Amazon Linux).

Boot entries are BLS files. Which file the next boot really reads depends on
the release, and the others get rewritten behind your back (field guide §7.2):
RHEL 8 expands ``$kernelopts`` from grubenv; ``grub2-mkconfig`` rewrites BLS
``options`` from ``GRUB_CMDLINE_LINUX`` on RHEL 9.0/9.1 and Fedora and grubenv
``kernelopts`` on RHEL 8; new kernels take ``/etc/kernel/cmdline``. So every one
of these that exists gets the same ``crashkernel=`` -- each through a
format-preserving editor, each visible in the diff -- rather than trusting
grubby's regex, which also clobbers ``GRUB_CMDLINE_LINUX_DEFAULT``.

A value other than the distribution default needs ``auto_reset_crashkernel no``
in /etc/kdump.conf, or kdump-utils resets it at the next package update.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ..editors import bls as bls_ed
from ..editors import cmdline as cmdline_ed
from ..editors import grubenv as grubenv_ed
from ..editors import kdumpconf, shellvars
from ..errors import EditError
from ..facts import Distro, Facts, Packages
from ..host import Host
from . import FamilyHandler, edit_file, systemd_disable_on_rollback, systemd_enable

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

COMPRESSION_FLAGS = {"zlib": "-c", "lzo": "-l", "snappy": "-p", "zstd": "-z", "none": ""}


def _add_to_sizes(value: str, delta_mib: int) -> str:
    """kdump-utils adds a fixed amount to every size of a range list (64k pages, per-CPU...)."""
    def bump(m: "re.Match[str]") -> str:
        num, unit = int(m.group(1)), m.group(2)
        size = num * (1024 if unit == "G" else 1) + delta_mib
        return f":{size}M"
    return re.sub(r":(\d+)([MG])", bump, value)


class RedHatFamily(FamilyHandler):
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
        from ..bootconfig import BLS_DIR, grubenv_path

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
            from ..sizing import RHEL8_AUTO

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

    def plan_changes(self, host, facts, answers, value, suggestion):  # type: ignore[override]
        """BLS entries / grubenv / /etc/default/grub / /etc/kernel/cmdline, kdump.conf, zipl, service."""
        from ..bootconfig import bls_entries, grubenv_path
        from ..plan import FamilyChanges, FileChange, PlannedCommand

        token = f"crashkernel={value}"
        reason = f"reserve memory for the capture kernel ({token})"
        files: List[FileChange] = []
        notes: List[str] = []
        warnings: List[str] = []
        for entry in bls_entries(host):
            if entry.uses_kernelopts:
                continue

            def set_options(text: str, path: str = entry.path) -> str:
                options = bls_ed.get(text, "options", path=path)
                if options is None:
                    # An entry without options would boot with no root= at all if we added one.
                    raise EditError("BLS entry has no 'options' line; kdumpwiz will not invent one", path=path)
                return bls_ed.set_value(text, "options", cmdline_ed.set_param(options, "crashkernel", token), path=path)

            change = edit_file(host, entry.path, set_options, f"{reason} for {entry.version or entry.path}")
            if change:
                files.append(change)
        env_path = grubenv_path(host)
        if env_path:
            data = host.read_bytes(env_path)
            env = grubenv_ed.parse(data, path=env_path)
            if "kernelopts" in env:
                new = grubenv_ed.set_var(data, "kernelopts", cmdline_ed.set_param(env["kernelopts"], "crashkernel", token), path=env_path)
                if new != data:
                    files.append(FileChange(env_path, data.decode("latin-1"), new.decode("latin-1"),
                                            f"{reason}: BLS entries using $kernelopts read it from here",
                                            encoding="latin-1"))
        if host.exists(GRUB_DEFAULT):
            change = edit_file(
                host, GRUB_DEFAULT,
                lambda t: shellvars.set_cmdline_param(t, "GRUB_CMDLINE_LINUX", "crashkernel", token, path=GRUB_DEFAULT),
                f"{reason}: grub2-mkconfig and new kernels take GRUB_CMDLINE_LINUX, and would otherwise undo the change",
            )
            if change:
                files.append(change)
        if host.exists(KERNEL_CMDLINE):
            change = edit_file(
                host, KERNEL_CMDLINE,
                lambda t: cmdline_ed.set_param(t, "crashkernel", token),
                f"{reason}: kernels installed later take their command line from here",
            )
            if change:
                files.append(change)
        boot_changed = bool(files)

        default = self.distro_default(host, facts)
        custom = default is None or default[0] != value
        conf = edit_file(host, KDUMP_CONF, lambda t: self._edit_kdump_conf(t, facts, answers, custom),
                         "kdump target, core collector and crashkernel reset policy")
        if conf:
            files.append(conf)
        if custom and (host.read_optional(KDUMP_CONF) or "").find("auto_reset_crashkernel") >= 0:
            notes.append("auto_reset_crashkernel no: otherwise kdump-utils resets crashkernel= to its default "
                         "when it or a kernel is updated")
        if answers.extra_args.split():
            sc = edit_file(host, SYSCONFIG, lambda t: self._append_words(t, answers.extra_args),
                           "extra capture-kernel arguments")
            if sc:
                files.append(sc)

        commands: List[PlannedCommand] = []
        rollback: List[PlannedCommand] = []
        if facts.boot.method == "zipl-bls" and boot_changed:
            commands.append(PlannedCommand(("zipl",), "write the changed BLS entries into the s390x boot record"))
            rollback.append(PlannedCommand(("zipl",), "write the restored BLS entries into the boot record"))
        commands.extend(systemd_enable(facts, answers))
        rollback[:0] = systemd_disable_on_rollback(facts, answers)
        if answers.target.type == "ssh":
            notes.append(f"SSH target: run 'kdumpctl propagate' once to authorise the key on {answers.target.host}")
        if answers.target.type == "raw":
            warnings.append(f"raw target: everything on {answers.target.device} is overwritten by the dump")
        notes.append("kdump.service builds the kdump initrd on its first start after the reboot")
        return FamilyChanges(tuple(files), tuple(commands), tuple(notes), tuple(warnings), tuple(rollback), boot_changed)

    def _edit_kdump_conf(self, text: str, facts: Facts, answers, custom: bool) -> str:
        target = answers.target
        if custom and "auto_reset_crashkernel" in text:
            text = kdumpconf.set_directive(text, "auto_reset_crashkernel", "no")
        keep = {"local": (), "ssh": ("ssh", "sshkey"), "nfs": ("nfs",), "raw": ("raw",)}[target.type]
        for keyword in SWITCHED_TARGETS:
            if keyword not in keep:
                text = kdumpconf.comment_out(text, keyword)
        if target.type == "ssh":
            text = kdumpconf.set_directive(text, "ssh", target.host or "")
            if target.key:
                text = kdumpconf.set_directive(text, "sshkey", target.key)
        elif target.type == "nfs":
            text = kdumpconf.set_directive(text, "nfs", target.host or "")
        elif target.type == "raw":
            text = kdumpconf.set_directive(text, "raw", target.device or "")
        if target.type != "raw":
            text = kdumpconf.set_directive(text, "path", target.path)
        collector = kdumpconf.get(text, "core_collector") or "makedumpfile -l --message-level 7 -d 31"
        new_collector = self._collector(collector, facts, answers)
        if new_collector != collector or kdumpconf.get(text, "core_collector") is None:
            text = kdumpconf.set_directive(text, "core_collector", new_collector)
        return text

    def _collector(self, current: str, facts: Facts, answers) -> str:
        words = current.split()
        if not words or words[0] != "makedumpfile":
            if answers.dump_level != 31 or answers.compression != "default":
                raise EditError("core_collector is not makedumpfile; kdumpwiz will not rewrite a custom collector",
                                path=KDUMP_CONF)
            return current
        out: List[str] = [words[0]]
        i = 1
        while i < len(words):
            w = words[i]
            if w == "-d" and i + 1 < len(words):
                out += ["-d", str(answers.dump_level)]
                i += 2
                continue
            if answers.compression != "default" and w in ("-c", "-l", "-p", "-z"):
                i += 1
                continue
            if w == "-F" and answers.target.type not in ("ssh", "raw"):
                i += 1
                continue
            out.append(w)
            i += 1
        if "-d" not in out:
            out += ["-d", str(answers.dump_level)]
        if answers.compression != "default" and COMPRESSION_FLAGS[answers.compression]:
            out.insert(1, COMPRESSION_FLAGS[answers.compression])
        if answers.target.type in ("ssh", "raw") and "-F" not in out:
            out.insert(1, "-F")
        return " ".join(out)

    @staticmethod
    def _append_words(text: str, extra: str) -> str:
        current = shellvars.get_value(text, "KDUMP_COMMANDLINE_APPEND", path=SYSCONFIG) or ""
        words = current.split()
        for w in extra.split():
            if w not in words:
                words.append(w)
        return shellvars.set_value(text, "KDUMP_COMMANDLINE_APPEND", " ".join(words), path=SYSCONFIG)
