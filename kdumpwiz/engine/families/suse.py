"""SUSE (SLES, openSUSE Leap/Tumbleweed): the kdump package and /etc/sysconfig/kdump.

On SUSE the source of truth is ``KDUMP_CRASHKERNEL`` in /etc/sysconfig/kdump:
since kdump 2.0.19 ``kdump-commandline.service`` rewrites the boot loader's
``crashkernel=`` from it at every boot, so a boot-loader-only edit is undone
(field guide §7.3). kdumpwiz sets ``KDUMP_CRASHKERNEL`` *and* writes the same
token into ``GRUB_CMDLINE_LINUX_DEFAULT`` (where perl-bootloader puts it) and
regenerates grub.cfg, so the first reboot already reserves the memory and the
service finds nothing to change.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from ..editors import shellvars
from ..errors import EditError
from ..facts import Distro, Facts, Packages
from ..host import Host
from . import FamilyHandler, edit_file, systemd_disable_on_rollback, systemd_enable

SYSCONFIG = "/etc/sysconfig/kdump"
GRUB_DEFAULT = "/etc/default/grub"
#: kdumptool's fallback (calibrate.cc DEF_RESERVE_KB) when it cannot calibrate.
DEF_RESERVE = {"ppc64le": "384M"}
DUMPFORMAT = {"zlib": "compressed", "lzo": "lzo", "snappy": "snappy", "zstd": "zstd", "none": "ELF"}


class SuseFamily(FamilyHandler):
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

    def plan_changes(self, host, facts, answers, value, suggestion):  # type: ignore[override]
        """KDUMP_CRASHKERNEL and friends, GRUB_CMDLINE_LINUX_DEFAULT, grub2-mkconfig, service."""
        from ..plan import FamilyChanges, PlannedCommand

        token = f"crashkernel={value}"
        files = []
        notes: List[str] = []
        boot = edit_file(
            host, GRUB_DEFAULT,
            lambda t: shellvars.set_cmdline_param(t, "GRUB_CMDLINE_LINUX_DEFAULT", "crashkernel", token, path=GRUB_DEFAULT),
            f"reserve memory for the capture kernel ({token}) from the next boot on",
        )
        if boot:
            files.append(boot)
        sc = edit_file(host, SYSCONFIG, lambda t: self._edit_sysconfig(t, answers, token),
                       "KDUMP_CRASHKERNEL is what kdump keeps the boot loader in line with; dump target and format")
        if sc:
            files.append(sc)
        commands = []
        rollback = []
        if boot:
            cfg = ("/boot/grub2/grub.cfg",)
            commands.append(PlannedCommand(("grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"),
                                           "regenerate /boot/grub2/grub.cfg so the next boot gets the new crashkernel=",
                                           produces=cfg))
            rollback.append(PlannedCommand(("grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"),
                                           "regenerate /boot/grub2/grub.cfg from the restored /etc/default/grub",
                                           produces=cfg))
        commands.extend(systemd_enable(facts, answers))
        rollback[:0] = systemd_disable_on_rollback(facts, answers)
        notes.append("KDUMP_CRASHKERNEL is set to the same value, so kdump's boot-time check "
                     "(kdump-commandline.service) keeps the boot loader as it is")
        if answers.target.type == "ssh":
            notes.append(f"SSH target: the key must be authorised on {answers.target.host}; SUSE kdump has no propagate command")
        return FamilyChanges(tuple(files), tuple(commands), tuple(notes), (), tuple(rollback), bool(boot))

    def _edit_sysconfig(self, text: str, answers, token: str) -> str:
        p = SYSCONFIG
        text = shellvars.set_value(text, "KDUMP_CRASHKERNEL", token, path=p)
        target = answers.target
        if target.type == "local":
            current = shellvars.get_value(text, "KDUMP_SAVEDIR", path=p) or ""
            if current not in (target.path, f"file://{target.path}"):
                text = shellvars.set_value(text, "KDUMP_SAVEDIR", target.path, path=p)
        elif target.type == "ssh":
            text = shellvars.set_value(text, "KDUMP_SAVEDIR", f"ssh://{target.host}{target.path}", path=p)
            if target.key:
                text = shellvars.set_value(text, "KDUMP_SSH_IDENTITY", target.key, path=p)
        elif target.type == "nfs":
            server, _, export = (target.host or "").partition(":")
            text = shellvars.set_value(text, "KDUMP_SAVEDIR", f"nfs://{server}{export.rstrip('/')}{target.path}", path=p)
        current_level = shellvars.get_value(text, "KDUMP_DUMPLEVEL", path=p)
        if answers.dump_level != 31 or (current_level not in (None, "31")):
            text = shellvars.set_value(text, "KDUMP_DUMPLEVEL", str(answers.dump_level), path=p)
        if answers.compression != "default":
            text = shellvars.set_value(text, "KDUMP_DUMPFORMAT", DUMPFORMAT[answers.compression], path=p)
        if answers.extra_args.split():
            append = (shellvars.get_value(text, "KDUMP_COMMANDLINE_APPEND", path=p) or "").split()
            for w in answers.extra_args.split():
                if w not in append:
                    append.append(w)
            text = shellvars.set_value(text, "KDUMP_COMMANDLINE_APPEND", " ".join(append), path=p)
        return text
