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

from typing import List

from .. import crashkernel
from ..changes import FamilyChanges
from ..editors import shellvars
from ..profiles.suse import GRUB_DEFAULT, SYSCONFIG, SuseProfile
from .base import FamilyHandler, edit_file, regenerate, systemd_enable

DUMPFORMAT = {"zlib": "compressed", "lzo": "lzo", "snappy": "snappy", "zstd": "zstd", "none": "ELF"}


class SuseFamily(FamilyHandler):
    """SLES and openSUSE with grub2 / grub2-efi."""

    profile = SuseProfile()

    def plan_changes(self, host, facts, answers, value, suggestion):  # type: ignore[override]
        """KDUMP_CRASHKERNEL and friends, GRUB_CMDLINE_LINUX_DEFAULT, grub2-mkconfig, service."""
        token = crashkernel.spec_cmdline(value)
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
        if boot:
            commands.append(regenerate(("grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"), "/boot/grub2/grub.cfg",
                                       "regenerate /boot/grub2/grub.cfg so the next boot gets the new crashkernel=",
                                       "regenerate /boot/grub2/grub.cfg from the restored /etc/default/grub"))
        commands.extend(systemd_enable(facts, answers))
        notes.append("KDUMP_CRASHKERNEL is set to the same value, so kdump's boot-time check "
                     "(kdump-commandline.service) keeps the boot loader as it is")
        if answers.target.type == "ssh":
            notes.append(f"SSH target: the key must be authorised on {answers.target.host}; SUSE kdump has no propagate command")
        return FamilyChanges(tuple(files), tuple(commands), tuple(notes), (), bool(boot))

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
