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

from typing import List

from ..bootconfig import bls_entries, grubenv_path
from .. import crashkernel
from ..changes import FamilyChanges, FileChange, PlannedCommand
from ..editors import bls as bls_ed
from ..editors import cmdline as cmdline_ed
from ..editors import grubenv as grubenv_ed
from ..editors import kdumpconf, shellvars
from ..errors import CrashkernelError, EditError
from ..facts import Facts
from ..profiles.redhat import kdump_tool, GRUB_DEFAULT, KDUMP_CONF, KERNEL_CMDLINE, SWITCHED_TARGETS, SYSCONFIG, RedHatProfile
from .base import FamilyHandler, edit_file, systemd_enable

COMPRESSION_FLAGS = {"zlib": "-c", "lzo": "-l", "snappy": "-p", "zstd": "-z", "none": ""}


def _documents(text: str, keyword: str) -> bool:
    """True when kdump.conf has ``keyword`` as a directive or a commented example."""
    return re.search(rf"(?m)^[ \t]*#?[ \t]*{keyword}[ \t]", text) is not None


class RedHatFamily(FamilyHandler):
    """RHEL 8+, its rebuilds, Fedora and Amazon Linux 2023."""

    profile = RedHatProfile()

    def plan_changes(self, host, facts, answers, value, suggestion):  # type: ignore[override]
        """BLS entries / grubenv / /etc/default/grub / /etc/kernel/cmdline, kdump.conf, zipl, service."""
        token = crashkernel.spec_cmdline(value)
        if facts.arch == "ppc64le" and self.profile.fadump_mode(host, facts):
            self._refuse_below_fadump_default(facts, value, suggestion)
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

        # The suggestion already holds the installed tool's default (sizing asked the profile once).
        custom = suggestion.baseline_value is None or suggestion.baseline_value != value
        conf = edit_file(host, KDUMP_CONF, lambda t: self._edit_kdump_conf(t, facts, answers, custom),
                         "kdump target, core collector and crashkernel reset policy")
        if conf:
            files.append(conf)
        if custom and (host.read_optional(KDUMP_CONF) or "").find("auto_reset_crashkernel") >= 0:
            tool = kdump_tool(host, facts.distro).package
            notes.append(f"auto_reset_crashkernel no: otherwise {tool} resets crashkernel= to its default "
                         "when it or a kernel is updated")
        if answers.extra_args.split():
            sc = edit_file(host, SYSCONFIG, lambda t: self._append_words(t, answers.extra_args),
                           "extra capture-kernel arguments")
            if sc:
                files.append(sc)

        commands: List[PlannedCommand] = []
        if facts.boot.method == "zipl-bls" and boot_changed:
            commands.append(PlannedCommand(("zipl",), "write the changed BLS entries into the s390x boot record",
                                           undo=PlannedCommand(("zipl",), "write the restored BLS entries into the boot record")))
        commands.extend(systemd_enable(facts, answers))
        if answers.target.type == "ssh":
            notes.append(f"SSH target: run 'kdumpctl propagate' once to authorise the key on {answers.target.host}")
        if answers.target.type == "raw":
            warnings.append(f"raw target: everything on {answers.target.device} is overwritten by the dump")
        notes.append("kdump.service builds the kdump initrd on its first start after the reboot")
        return FamilyChanges(tuple(files), tuple(commands), tuple(notes), tuple(warnings), boot_changed)

    def _refuse_below_fadump_default(self, facts: Facts, value: str, suggestion) -> None:
        """fadump keeps the whole dump in the reserved area: never pin less than kdump's fadump table.

        A custom value also gets auto_reset_crashkernel no, so kdump would never
        correct a too-small one afterwards.
        """
        default = suggestion.baseline_value
        if default is None:
            return
        ram = facts.memory.system_ram_bytes
        want = crashkernel.evaluate_value(default, ram, facts.arch).reserved_bytes
        got = crashkernel.evaluate_value(value, ram, facts.arch).reserved_bytes
        if got < want:
            raise CrashkernelError(
                f"crashkernel={value} reserves {got >> 20} MiB, less than {suggestion.baseline_source} ({want >> 20} "
                f"MiB here, crashkernel={default}): fadump is on, and firmware-assisted dump needs at least that",
                hint=f"use auto (crashkernel={default}) or a larger size")

    FAILURE_ACTIONS = ("reboot", "poweroff", "halt", "shell")

    def _edit_kdump_conf(self, text: str, facts: Facts, answers, custom: bool) -> str:
        target = answers.target
        if answers.failure_action != "default":
            # kdump.conf's own comments say which word its kdumpctl reads: failure_action on
            # RHEL 9 and kdump-utils, the older "default" on early RHEL 8.
            keyword = ("default" if _documents(text, "default") and not _documents(text, "failure_action")
                       else "failure_action")
            text = kdumpconf.set_directive(text, keyword, answers.failure_action)
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
