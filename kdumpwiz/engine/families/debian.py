"""Debian and Ubuntu: kdump-tools, GRUB with /etc/default/grub.d and update-grub.

The reservation goes into a drop-in that kdumpwiz owns,
``/etc/default/grub.d/zz-kdumpwiz.cfg``. grub-mkconfig sources
``/etc/default/grub`` and then ``grub.d/*.cfg`` in byte order, so ``zz-`` runs
after kdump-tools' own ``kdump-tools.cfg`` and after cloud images'
``50-cloudimg-settings.cfg`` (which *replaces* GRUB_CMDLINE_LINUX_DEFAULT). The
line appends to the variable with a self-reference -- never ``+=``, which dash
rejects and which would break update-grub and every kernel upgrade -- and the
kernel takes the last ``crashkernel=``, so the drop-in wins without rewriting
any line the administrator or a package owns. The plan then re-reads the whole
chain to prove it (a later ``~local.cfg`` could still override it).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from ..editors import cmdline as cmdline_ed
from ..editors import shellvars
from ..errors import EditError
from ..facts import Distro, Facts, Packages
from ..host import Host
from . import FamilyHandler, edit_file, systemd_disable_on_rollback, systemd_enable

DROPIN = "/etc/default/grub.d/zz-kdumpwiz.cfg"
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

#: makedumpfile compression flags.
COMPRESSION_FLAGS = {"default": "-c", "zlib": "-c", "lzo": "-l", "snappy": "-p", "zstd": "-z", "none": ""}

DROPIN_HEADER = """\
# Written by kdumpwiz: memory for the kdump capture kernel.
# grub-mkconfig reads this file after every other grub.d/*.cfg
# (byte order), so its crashkernel= comes last on the kernel
# command line, and the kernel uses the last one.
# Undo: 'kdumpwiz rollback', or delete it and run update-grub.
"""


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


class DebianFamily(FamilyHandler):
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
        return Packages(self.required, have, missing, ("apt-get", "install", "--yes") + missing)

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
        text = host.read_optional(KDUMP_DEFAULTS)
        if text:
            try:
                value = shellvars.get_value(text, "KDUMP_COREDIR", path=KDUMP_DEFAULTS)
            except EditError:
                value = None
            if value and value.startswith("/"):
                return value
        return "/var/crash"

    def extra_facts(self, host: Host) -> Dict[str, object]:
        """``use_kdump``: USE_KDUMP of /etc/default/kdump-tools (None when unknown)."""
        text = host.read_optional(KDUMP_DEFAULTS)
        if text is None:
            return {"use_kdump": None}
        try:
            value = shellvars.get_value(text, "USE_KDUMP", path=KDUMP_DEFAULTS)
        except EditError:
            return {"use_kdump": None}
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
        d = facts.distro
        tiered_arch = facts.arch in ("aarch64", "ppc64le")
        if d.id == "ubuntu":
            # 24.04's kdump-tools (1:1.10.3ubuntu2) follows Debian's 512M-:192M on amd64; the tiered
            # string is documented as "the current default" (field guide §4.2: first release unverified).
            newer = tuple(int(x) for x in (d.version.split(".") + ["0"])[:2] if x.isdigit()) >= (24, 10)
            value = TIERED if (newer or tiered_arch) else "512M-:192M"
            return value, f"the kdump-tools default of Ubuntu {d.version} {facts.arch}"
        if facts.arch == "s390x":
            return "384M-:128M", f"the kdump-tools default of {d.name} s390x"
        if tiered_arch:
            return TIERED, f"the kdump-tools default of {d.name} {facts.arch}"
        value = "384M-:128M" if d.id == "debian" and 0 < d.major <= 12 else "512M-:192M"
        return value, f"the kdump-tools default of {d.name or d.id} {facts.arch}"

    def capture_cpus(self, host: Host, facts: Facts) -> int:
        """nr_cpus=/maxcpus= of KDUMP_CMDLINE_APPEND (1 by default)."""
        append = CMDLINE_APPEND.get(facts.arch, CMDLINE_APPEND_DEFAULT)
        text = host.read_optional(KDUMP_DEFAULTS)
        if text:
            try:
                append = shellvars.get_value(text, "KDUMP_CMDLINE_APPEND", path=KDUMP_DEFAULTS) or append
            except EditError:
                pass
        m = re.search(r"\b(?:nr_cpus|maxcpus)=(\d+)", append)
        return int(m.group(1)) if m else 1

    def plan_changes(self, host, facts, answers, value, suggestion):  # type: ignore[override]
        """The drop-in, /etc/default/kdump-tools, update-grub and the service."""
        from ..bootconfig import grub_debian_files, read_texts
        from ..plan import FamilyChanges, PlannedCommand

        token = f"crashkernel={value}"
        files = []
        notes: List[str] = []
        warnings: List[str] = []
        chain = read_texts(host, grub_debian_files(host))
        for path, text in chain:
            for a in shellvars.parse(text, path=path):
                if a.op == "+=":
                    # dash (grub-mkconfig's /bin/sh) exits 127 on '+=': update-grub already fails
                    # here, and would fail after our change too. Make the admin fix it first.
                    raise EditError(
                        f"'{a.name}+=' is a bash-only construct: grub-mkconfig runs /bin/sh (dash), which stops "
                        "there, so update-grub and kernel upgrades fail on this machine",
                        path=path, line=a.start_line,
                        hint=f'write {a.name}="${a.name} ..." instead, then run kdumpwiz again',
                    )
        boot_change = None
        if facts.boot.configured_crashkernel != value:
            boot_change = edit_file(
                host,
                DROPIN,
                lambda text: shellvars.set_cmdline_param(text, "GRUB_CMDLINE_LINUX_DEFAULT", "crashkernel", token, path=DROPIN),
                f"ask the kernel to reserve memory for the capture kernel ({token})",
                create_with=DROPIN_HEADER + 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT"\n',
            )
            if boot_change:
                files.append(boot_change)
        ours = bool(boot_change) or any(path == DROPIN for path, _ in chain)
        for path, text in chain:
            if path == DROPIN or not ours:
                continue
            if "crashkernel" in text and path != "/etc/default/grub":
                notes.append(
                    f"{path} also asks for crashkernel=; the kernel uses the last crashkernel= on its command "
                    f"line, which is the one in {DROPIN}"
                )
            elif "crashkernel" in text:
                notes.append(f"/etc/default/grub also mentions crashkernel=; {DROPIN} is read later and wins")
            if path.startswith("/etc/default/grub.d/") and _replaces_default(path, text):
                notes.append(
                    f"{path} replaces GRUB_CMDLINE_LINUX_DEFAULT, so values put into /etc/default/grub are "
                    f"ignored on this machine; {DROPIN} is read after it"
                )
        if boot_change:
            notes.append("recovery-mode entries get no crashkernel= (grub puts only GRUB_CMDLINE_LINUX there), as with kdump-tools itself")

        kd = edit_file(host, KDUMP_DEFAULTS, lambda t: self._edit_kdump_tools(t, facts, answers),
                       "configure kdump-tools: enable it, the dump target and makedumpfile options")
        if kd:
            files.append(kd)

        commands = []
        rollback = []
        if boot_change:
            cfg = ("/boot/grub/grub.cfg",)
            commands.append(PlannedCommand(("update-grub",), "regenerate /boot/grub/grub.cfg so the next boot gets "
                                           "the new crashkernel=", produces=cfg))
            rollback.append(PlannedCommand(("update-grub",), "regenerate /boot/grub/grub.cfg from the restored files",
                                           produces=cfg))
        commands.extend(systemd_enable(facts, answers))
        rollback[:0] = systemd_disable_on_rollback(facts, answers)
        if answers.target.type == "ssh":
            notes.append(
                f"SSH target: the key must already be authorised on {answers.target.host} "
                f"(run 'kdump-config propagate' once after the reboot) and {answers.target.path} must exist there"
            )
        if answers.target.type == "nfs":
            notes.append(f"NFS target: {answers.target.host} must be exported read-write to this host; it is mounted on {answers.target.path} while dumping")
        return FamilyChanges(tuple(files), tuple(commands), tuple(notes), tuple(warnings), tuple(rollback), bool(boot_change))

    def _edit_kdump_tools(self, text: str, facts: Facts, answers) -> str:
        p = KDUMP_DEFAULTS
        if answers.enable_service:
            text = shellvars.set_value(text, "USE_KDUMP", "1", path=p)
        target = answers.target
        text = shellvars.set_value(text, "KDUMP_COREDIR", target.path, path=p)
        wanted = {"SSH": "", "NFS": ""}
        if target.type == "ssh":
            wanted["SSH"] = target.host or ""
        elif target.type == "nfs":
            wanted["NFS"] = target.host or ""
        for var, val in wanted.items():
            current = shellvars.get_value(text, var, path=p)
            if val or current:
                text = shellvars.set_value(text, var, val, path=p)
        if target.type == "ssh" and target.key:
            text = shellvars.set_value(text, "SSH_KEY", target.key, path=p)
        if answers.dump_level != 31 or answers.compression != "default":
            flag = COMPRESSION_FLAGS[answers.compression]
            text = shellvars.set_value(text, "MAKEDUMP_ARGS", f"{flag} -d {answers.dump_level}".strip(), path=p)
        if answers.extra_args.split():
            current = shellvars.get_value(text, "KDUMP_CMDLINE_APPEND", path=p)
            if current is None:
                current = CMDLINE_APPEND.get(facts.arch, CMDLINE_APPEND_DEFAULT)
            words = current.split()
            for w in answers.extra_args.split():
                if w not in words:
                    words.append(w)
            text = shellvars.set_value(text, "KDUMP_CMDLINE_APPEND", " ".join(words), path=p)
        return text


def _replaces_default(path: str, text: str) -> bool:
    """True if the file assigns GRUB_CMDLINE_LINUX_DEFAULT without referring to its old value."""
    try:
        for a in shellvars.parse(text, path=path):
            if a.name == "GRUB_CMDLINE_LINUX_DEFAULT" and "GRUB_CMDLINE_LINUX_DEFAULT" not in a.value_text:
                return True
    except EditError:
        return False
    return False
