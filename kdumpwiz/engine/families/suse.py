"""SUSE (SLES, openSUSE Leap/Tumbleweed): what kdumpwiz writes, per kdump line.

* **kdump 2.0.x** (SLE 15 SP6/SP7, Leap 15.6): the reservation lives only in
  ``GRUB_CMDLINE_LINUX_DEFAULT`` (as YaST writes it) + ``grub2-mkconfig``;
  there is no ``KDUMP_CRASHKERNEL`` to set and nothing rewrites the line at
  boot, so kdumpwiz's format-preserving edit stands.
* **kdump >= 2.1** (Tumbleweed, SLE/Leap 16): kdump-commandline.service makes
  the booted ``crashkernel=`` tokens equal to what ``KDUMP_CRASHKERNEL`` asks
  for, at every boot, through perl-bootloader. So kdumpwiz sets
  ``KDUMP_CRASHKERNEL`` to the same tokens, writes ``GRUB_CMDLINE_LINUX_DEFAULT``
  exactly as pbl would (:mod:`~kdumpwiz.engine.editors.pbl`), removes any other
  ``crashkernel=`` from ``GRUB_CMDLINE_LINUX`` (kdumptool compares *all* of
  them, so a stale one would make it rewrite grub.cfg at every boot), and the
  plan proves the booted token list is exactly the expected one. ``auto`` that
  keeps kdump's calibrated tokens leaves ``KDUMP_CRASHKERNEL=auto`` alone.

``KDUMP_AUTO_RESIZE=true`` makes kdump-early shrink the reservation to
calibrate's figure at every boot (``load.sh --shrink``), so an explicit size is
planned together with ``KDUMP_AUTO_RESIZE="false"``. fadump is refused: its
area is sized by kdumptool calibrate from RAM, which kdumpwiz does not model.
"""

from __future__ import annotations

from typing import List

from .. import crashkernel
from ..changes import FamilyChanges
from ..editors import pbl, shellvars
from ..errors import BlockedError
from ..profiles.suse import GRUB_DEFAULT, SYSCONFIG, SuseProfile, fadump_active, rewrites_bootloader, sysconfig_value
from .base import FamilyHandler, edit_file, regenerate, systemd_enable

DUMPFORMAT = {"zlib": "compressed", "lzo": "lzo", "snappy": "snappy", "zstd": "zstd", "none": "ELF"}


class SuseFamily(FamilyHandler):
    """SLES and openSUSE with grub2 / grub2-efi."""

    profile = SuseProfile()

    def plan_changes(self, host, facts, answers, value, suggestion):  # type: ignore[override]
        """GRUB_CMDLINE_LINUX_DEFAULT (+ KDUMP_CRASHKERNEL on kdump >= 2.1), the target, grub2-mkconfig, service."""
        if fadump_active(host, facts):
            raise BlockedError(
                "fadump is configured (KDUMP_FADUMP, fadump= or /sys/kernel/fadump): SUSE's kdumptool sizes its "
                "area from RAM with calibrate, which kdumpwiz does not model",
                hint="configure fadump with YaST kdump ('yast2 kdump'), or set KDUMP_FADUMP=\"false\" to use kdump",
            )
        token = crashkernel.spec_cmdline(value)
        managed = rewrites_bootloader(host)
        keep_auto = (managed and answers.crashkernel == "auto" and value == facts.boot.configured_crashkernel
                     and (sysconfig_value(host, "KDUMP_CRASHKERNEL") or "auto").strip() == "auto")
        files = []
        notes: List[str] = []
        warnings: List[str] = []
        reason = f"reserve memory for the capture kernel ({token}) from the next boot on"
        if managed and not keep_auto:
            boot = edit_file(host, GRUB_DEFAULT, lambda t: self._managed_grub(t, token), reason + (
                "; written as perl-bootloader writes it, since kdump-commandline.service runs it at every boot, and "
                "with no other crashkernel= on the line, since kdumptool compares all of them"))
        elif not managed and facts.boot.configured_crashkernel != value:
            boot = edit_file(
                host, GRUB_DEFAULT,
                lambda t: shellvars.set_cmdline_param(t, "GRUB_CMDLINE_LINUX_DEFAULT", "crashkernel", token,
                                                      path=GRUB_DEFAULT),
                reason)
        else:
            boot = None
        if boot:
            files.append(boot)
        resize = (sysconfig_value(host, "KDUMP_AUTO_RESIZE") or "").strip().lower() in ("true", "yes", "1")
        sc = edit_file(host, SYSCONFIG,
                       lambda t: self._edit_sysconfig(t, answers, token, managed and not keep_auto, resize and not keep_auto),
                       "KDUMP_CRASHKERNEL is what kdump keeps the boot loader in line with; dump target and format"
                       if managed and not keep_auto else "dump target and format")
        if sc:
            files.append(sc)
        commands = []
        if boot:
            commands.append(regenerate(("grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"), "/boot/grub2/grub.cfg",
                                       "regenerate /boot/grub2/grub.cfg so the next boot gets the new crashkernel=",
                                       "regenerate /boot/grub2/grub.cfg from the restored /etc/default/grub"))
        commands.extend(systemd_enable(facts, answers))
        if keep_auto:
            notes.append(f"{token} is kdump's own calibration (KDUMP_CRASHKERNEL=auto); kdumpwiz leaves both as they are")
        elif managed:
            notes.append(f"KDUMP_CRASHKERNEL is set to {token}: kdump-commandline.service compares it with the "
                         "crashkernel= tokens of every boot and finds them equal, so it leaves the boot loader alone")
        else:
            notes.append("this kdump (2.0.x: SLE 15 SP6/SP7, Leap 15.6) has no KDUMP_CRASHKERNEL and does not rewrite "
                         "the boot loader: GRUB_CMDLINE_LINUX_DEFAULT alone carries crashkernel=, as YaST writes it")
        if resize and not keep_auto:
            warnings.append("KDUMP_AUTO_RESIZE was true: kdump-early would shrink the reservation to kdumptool "
                            "calibrate's figure at every boot, so it is set to false to keep the planned size")
        if answers.target.type == "ssh":
            notes.append(f"SSH target: the key must be authorised on {answers.target.host}; SUSE kdump has no propagate command")
        return FamilyChanges(tuple(files), tuple(commands), tuple(notes), tuple(warnings), bool(boot),
                             exact_tokens=tuple(token.split()) if managed else None)

    @staticmethod
    def _managed_grub(text: str, token: str) -> str:
        """pbl's edit of GRUB_CMDLINE_LINUX_DEFAULT, and no crashkernel= left in GRUB_CMDLINE_LINUX."""
        text = shellvars.set_cmdline_param(text, "GRUB_CMDLINE_LINUX", "crashkernel", None, path=GRUB_DEFAULT)
        return pbl.set_default_option(text, token, path=GRUB_DEFAULT)

    #: sysconfig.kdump: "how many old dumps are kept ... zero prevents the automatic removal".
    KEEP_DUMPS_VAR = "KDUMP_KEEP_OLD_DUMPS"

    def _edit_sysconfig(self, text: str, answers, token: str, pin: bool, unresize: bool) -> str:
        p = SYSCONFIG
        if answers.keep_dumps is not None:
            text = shellvars.set_value(text, self.KEEP_DUMPS_VAR, str(answers.keep_dumps), path=p)
        if pin:
            text = shellvars.set_value(text, "KDUMP_CRASHKERNEL", token, path=p)
            # kdumptool runs "$KDUMP_UPDATE_BOOTLOADER && UPDATE=true": the value is executed as a
            # command, so "yes" hangs the boot service in /usr/bin/yes and "no" is "command not found".
            update = shellvars.get_value(text, "KDUMP_UPDATE_BOOTLOADER", path=p)
            if update is not None and update not in ("true", "false", ""):
                text = shellvars.set_value(text, "KDUMP_UPDATE_BOOTLOADER", "true", path=p)
        if unresize:
            text = shellvars.set_value(text, "KDUMP_AUTO_RESIZE", "false", path=p)
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
