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

from typing import List

from ..bootconfig import grub_debian_files, read_texts
from .. import crashkernel
from ..changes import FamilyChanges
from ..editors import shellvars
from ..errors import EditError
from ..facts import Facts
from ..profiles.debian import CMDLINE_APPEND, CMDLINE_APPEND_DEFAULT, KDUMP_DEFAULTS, DebianProfile
from .base import FamilyHandler, edit_file, regenerate, systemd_enable

DROPIN = "/etc/default/grub.d/zz-kdumpwiz.cfg"
#: kexec-tools' defaults: with LOAD_KEXEC=true its init script turns every reboot
#: into a kexec (debconf kexec-tools/load_kexec defaults to true on Debian 12/13).
KEXEC_DEFAULTS = "/etc/default/kexec"

#: makedumpfile compression flags.
COMPRESSION_FLAGS = {"default": "-c", "zlib": "-c", "lzo": "-l", "snappy": "-p", "zstd": "-z", "none": ""}

DROPIN_HEADER = """\
# Written by kdumpwiz: memory for the kdump capture kernel.
# grub-mkconfig reads this file after every other grub.d/*.cfg
# (byte order), so its crashkernel= comes last on the kernel
# command line, and the kernel uses the last one.
# Undo: 'kdumpwiz rollback', or delete it and run update-grub.
"""


class DebianFamily(FamilyHandler):
    """Debian, Ubuntu and derivatives."""

    profile = DebianProfile()

    def plan_changes(self, host, facts, answers, value, suggestion):  # type: ignore[override]
        """The drop-in, /etc/default/kdump-tools, update-grub and the service."""
        token = crashkernel.spec_cmdline(value)
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

        if boot_change:
            kx = _no_kexec_reboot(host, warnings)
            if kx:
                files.append(kx)
                notes.append(f"{KEXEC_DEFAULTS}: reboots go through the firmware and GRUB again (LOAD_KEXEC=false); "
                             "to keep fast kexec reboots instead, set USE_GRUB_CONFIG=true there after this reboot")

        kd = edit_file(host, KDUMP_DEFAULTS, lambda t: self._edit_kdump_tools(t, facts, answers),
                       "configure kdump-tools: enable it, the dump target and makedumpfile options")
        if kd:
            files.append(kd)

        commands = []
        if boot_change:
            commands.append(regenerate(("update-grub",), "/boot/grub/grub.cfg",
                                       "regenerate /boot/grub/grub.cfg so the next boot gets the new crashkernel=",
                                       "regenerate /boot/grub/grub.cfg from the restored files"))
        commands.extend(systemd_enable(facts, answers))
        if answers.target.type == "ssh":
            notes.append(
                f"SSH target: the key must already be authorised on {answers.target.host} "
                f"(run 'kdump-config propagate' once after the reboot) and {answers.target.path} must exist there"
            )
        if answers.target.type == "nfs":
            notes.append(f"NFS target: {answers.target.host} must be exported read-write to this host; it is mounted on {answers.target.path} while dumping")
        return FamilyChanges(tuple(files), tuple(commands), tuple(notes), tuple(warnings), bool(boot_change))

    KEEP_DUMPS_VAR = "KDUMP_NUM_DUMPS"
    #: KDUMP_FAIL_CMD is run when saving the dump fails (kdump-tools' default: "reboot -f").
    FAIL_CMDS = {"reboot": "reboot -f", "poweroff": "poweroff -f", "halt": "halt -f"}
    FAILURE_ACTIONS = tuple(FAIL_CMDS)

    def _edit_kdump_tools(self, text: str, facts: Facts, answers) -> str:
        p = KDUMP_DEFAULTS
        if answers.keep_dumps is not None:
            text = shellvars.set_value(text, self.KEEP_DUMPS_VAR, str(answers.keep_dumps), path=p)
        if answers.failure_action != "default":
            text = shellvars.set_value(text, "KDUMP_FAIL_CMD", self.FAIL_CMDS[answers.failure_action], path=p)
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


def _no_kexec_reboot(host, warnings: List[str]):
    """A change to LOAD_KEXEC=false when kexec-tools would reboot without reading GRUB's configuration.

    kexec-tools' init script (``/etc/init.d/kexec``, run by systemd at shutdown
    too) kexecs into ``/vmlinuz`` with ``APPEND`` or else the *running* command
    line: the reboot that should bring the new ``crashkernel=`` would boot the
    old command line and reserve nothing. Only ``USE_GRUB_CONFIG=true`` makes it
    read grub.cfg. kexec-tools' debconf config script reads this file back into
    its answers, so the edit survives package upgrades.
    """
    text = host.read_optional(KEXEC_DEFAULTS)
    if text is None:
        return None
    try:
        load = shellvars.get_value(text, "LOAD_KEXEC", path=KEXEC_DEFAULTS)
        use_grub = shellvars.get_value(text, "USE_GRUB_CONFIG", path=KEXEC_DEFAULTS)
    except EditError as exc:
        warnings.append(f"{KEXEC_DEFAULTS} cannot be read safely ({exc.message}): if it says LOAD_KEXEC=true, the "
                        "reboot goes by kexec to the running command line and reserves nothing; set "
                        "LOAD_KEXEC=false there")
        return None
    if load not in ("true", "1") or use_grub == "true":
        return None
    return edit_file(
        host, KEXEC_DEFAULTS, lambda t: shellvars.set_value(t, "LOAD_KEXEC", "false", path=KEXEC_DEFAULTS),
        "stop kexec-tools from rebooting by kexec: it would boot the running command line, without the new "
        "crashkernel=",
    )


def _replaces_default(path: str, text: str) -> bool:
    """True if the file assigns GRUB_CMDLINE_LINUX_DEFAULT without referring to its old value."""
    try:
        for a in shellvars.parse(text, path=path):
            if a.name == "GRUB_CMDLINE_LINUX_DEFAULT" and "GRUB_CMDLINE_LINUX_DEFAULT" not in a.value_text:
                return True
    except EditError:
        return False
    return False
