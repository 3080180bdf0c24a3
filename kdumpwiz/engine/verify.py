"""Verify that kdump is armed, from the facts of the booted system.

The chain follows field guide §11: the running command line asks for a
reservation -> the kernel reserved memory -> the area shows in /proc/iomem ->
the capture kernel is loaded (``kexec_crash_loaded`` = 1, the decisive check)
-> the service is active -> the reservation is at least the estimate. Each
check carries its evidence and, when it fails, the likely cause and the fix.
Also reported: a reboot still pending (the boot configuration asks for another
value than the running kernel got) and whether a test crash left a new dump.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from . import crashkernel
from .apply import StateDir
from .errors import BlockedError, KdumpwizError
from .facts import Facts
from .host import Host
from .sizing import kernel_reservation, mib, suggest

CRASH_TEST_STATE = "crash-test.json"


@dataclass(frozen=True)
class Check:
    """One link of the verification chain."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    def to_dict(self) -> Dict[str, Any]:
        """JSON form: name, ok, detail, fix, required."""
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix, "required": self.required}


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify`."""

    armed: bool
    checks: Tuple[Check, ...]
    reboot_pending: bool
    configured_crashkernel: Optional[str]
    running_crashkernel: Optional[str]
    test_crash: Optional[Dict[str, Any]]

    @property
    def doubts(self) -> Tuple[str, ...]:
        """Why an armed result may still not produce a dump (failed non-required checks), as short phrases."""
        phrases = {
            "size": "the reservation is below this machine's estimate (a test crash would prove it)",
            "reboot": "a reboot is pending for the new crashkernel=",
            "test-crash": "the last test crash left no dump",
        }
        return tuple(phrases.get(c.name, c.detail) for c in self.checks if not c.required and not c.ok)

    @property
    def summary(self) -> str:
        """The one line a human reads first: armed or not, and any doubt about it."""
        if not self.armed:
            return "kdump is NOT armed"
        if self.doubts:
            return "kdump is ARMED, but " + "; ".join(self.doubts)
        return "kdump is ARMED"

    def to_dict(self) -> Dict[str, Any]:
        """The JSON contract of ``kdumpwiz verify --json``."""
        return {
            "armed": self.armed,
            "summary": self.summary,
            "doubts": list(self.doubts),
            "checks": [c.to_dict() for c in self.checks],
            "reboot_pending": self.reboot_pending,
            "configured_crashkernel": self.configured_crashkernel,
            "running_crashkernel": self.running_crashkernel,
            "test_crash": self.test_crash,
        }


#: What kexec and the kdump services print when the capture kernel does not load
#: (kexec-tools' x86 locate_hole path, kexec_file_load, kdumpctl, kdump-config).
_LOAD_ERRORS = re.compile(
    r"Could not find a free area of memory|locate_hole failed|kexec_file_load failed|kexec_load failed|"
    r"Cannot load|Memory for crashkernel is not reserved|Cannot find (the )?kernel|No such file|"
    r"ELF core \(kcore\) parse failed|failed to load kdump kernel|Starting kdump: \[FAILED\]",
    re.I,
)


def _service_journal(host: Host, unit: str, lines: int) -> List[str]:
    """The last ``lines`` lines of this boot's journal of ``unit`` (read-only; [] without a journal)."""
    if not unit:
        return []
    result = host.run(["journalctl", "-b", "-u", unit, "--no-pager", "-o", "cat", "-n", str(lines)], timeout=20)
    return result.output.splitlines() if result.ok else []


def _load_error(host: Host, unit: str) -> Optional[str]:
    """The first line of this boot's service journal that says why the capture kernel did not load.

    Read-only; None when there is no journal or no such line. The exact kexec
    message ("Could not find a free area of memory of 0x3f97000 bytes") is
    otherwise only found by those who know where to look.
    """
    for line in _service_journal(host, unit, 200):
        if _LOAD_ERRORS.search(line):
            return line.strip()[:300]
    return None


#: kexec-tools' arm64 get_page_offset(): it reads ``_text`` from /proc/kallsyms. Debian 12's
#: kexec-tools 2.0.25 on its 6.1 arm64 kernel (kallsyms has ``_stext``, not ``_text``) prints
#: this and loads anyway; the capture kernel's makedumpfile then cannot translate addresses
#: ("vaddr_to_paddr_arm64: Can't read pgd") and saves an empty dump (issue 11 §5).
_ARM64_PAGE_OFFSET_TRAP = "Can't get the symbol of _text to calculate page_offset"


def _arm64_page_offset_trap(host: Host, facts: Facts) -> Optional[str]:
    """Why a loaded arm64 capture kernel would save an empty dump, None when there is no sign of it.

    The load message in this boot's service journal is the evidence; without a journal,
    the cause itself: kallsyms without ``_text`` and Debian 12's kexec-tools 2.0.25.
    """
    for line in _service_journal(host, facts.service.unit, 400):
        if _ARM64_PAGE_OFFSET_TRAP in line:
            return f"the capture kernel is loaded, but kexec said: {line.strip()[:200]}"
    if facts.family != "debian":
        return None
    from .profiles.debian import DPKG_STATUS, dpkg_installed

    version = dpkg_installed(host.read_optional(DPKG_STATUS) or "").get("kexec-tools", "")
    if not re.match(r"^(?:\d+:)?2\.0\.25(?:-|$)", version):
        return None
    kallsyms = host.read_optional("/proc/kallsyms") or ""
    names = {line.rsplit(None, 1)[-1] for line in kallsyms.splitlines() if line.strip()}
    if "_stext" in names and "_text" not in names:
        return (f"the capture kernel is loaded, but kexec-tools {version} finds no _text in /proc/kallsyms "
                "(only _stext), so it cannot compute the kernel's page offset")
    return None


def _load_fix(facts: Facts) -> str:
    if facts.family == "debian":
        fix = "see 'journalctl -b -u kdump-tools' and 'kdump-config show'; load it with 'kdump-config load'"
        if facts.extra.get("use_kdump") is False:
            fix = ("USE_KDUMP=0 in /etc/default/kdump-tools, so kdump-tools never loads it: set it to 1 "
                   "('kdumpwiz apply' does), then " + fix)
        return fix
    if facts.family == "redhat":
        return "see 'journalctl -b -u kdump' and 'kdumpctl status'; load it with 'kdumpctl restart'"
    return "see 'journalctl -b -u kdump'; load it with 'systemctl restart kdump'"


def verify(host: Host, facts: Facts) -> Verification:
    """Run the verification chain on ``host`` (read-only)."""
    checks: List[Check] = []
    k = facts.kexec
    running = kernel_reservation(k.running_cmdline, facts) if k.running_cmdline else None
    configured = facts.boot.configured_crashkernel
    state = StateDir(host)
    pending = state.pending()

    for blocker in facts.blockers:
        # Nothing below can succeed on such a machine; say why first, and do not
        # send the admin off to "apply and reboot".
        checks.append(Check(f"blocker:{blocker.code}", False, blocker.reason, blocker.remedy))
    if not facts.blockers and facts.offline:
        # An unbooted image has no capture kernel to find; "not armed" would
        # send the admin to fix something that is not broken.
        checks.append(Check("offline", False,
                            "this root is an offline image: there is no running kernel to verify"
                            + (f" (configured: {crashkernel.spec_cmdline(configured)})" if configured else ""),
                            "boot the image and run 'kdumpwiz verify' on the running machine"))
    if facts.blockers or facts.offline:
        return Verification(False, tuple(checks), False, configured,
                            running.spec if running is not None and running.found else None, None)

    if running is not None and running.found:
        checks.append(Check("cmdline", True, f"/proc/cmdline has {crashkernel.spec_cmdline(running.spec or '')}"))
    else:
        fix = (f"reboot: the boot configuration already asks for {crashkernel.spec_cmdline(configured)}"
               if configured else "run 'kdumpwiz apply' (or the wizard), then reboot")
        checks.append(Check("cmdline", False, "/proc/cmdline has no crashkernel= parameter", fix))

    size = k.crash_size or 0
    if size > 0:
        checks.append(Check("reserved", True, f"/sys/kernel/kexec_crash_size is {size} bytes ({mib(size)})"))
    else:
        detail = "/sys/kernel/kexec_crash_size is 0: no memory is reserved" if k.crash_size is not None else \
            "/sys/kernel/kexec_crash_size is missing: this kernel has no crash-dump support"
        if running is not None and running.found and running.error:
            fix = (f"the kernel rejected crashkernel={running.token}: '{running.error}' "
                   f"(RAM as the kernel counts it: {mib(facts.memory.rounded_bytes)}); choose a value kdumpwiz accepts "
                   "and apply again")
        elif running is not None and running.found and running.ok:
            fix = (f"crashkernel={running.token} parses to {mib(running.reserved_bytes)}, but the kernel could not "
                   "allocate it (no free contiguous area, usually below 4 GiB); see 'journalctl -k -b | grep -i crash' "
                   "and try a smaller size")
        else:
            fix = "add crashkernel= to the boot configuration ('kdumpwiz apply') and reboot"
        checks.append(Check("reserved", False, detail, fix))

    if k.iomem_ranges:
        ranges = ", ".join(f"{a:#x}-{b:#x}" for a, b in k.iomem_ranges)
        checks.append(Check("iomem", True, f'"Crash kernel" in /proc/iomem: {ranges}'))
    else:
        unreadable = host.is_live and os.geteuid() != 0
        checks.append(Check("iomem", False, 'no "Crash kernel" range in /proc/iomem',
                            "run kdumpwiz as root: other users see zero addresses in /proc/iomem" if unreadable
                            else "nothing is reserved; see the 'reserved' check"))

    estimate = 0
    if size > 0 and facts.family:
        try:
            estimate = suggest(host, facts).estimate_bytes
        except KdumpwizError:
            estimate = 0

    if k.crash_loaded:
        checks.append(Check("loaded", True, "/sys/kernel/kexec_crash_loaded is 1: the capture kernel is loaded"))
        trap = _arm64_page_offset_trap(host, facts) if facts.arch == "aarch64" else None
        if trap:
            # Loaded, and `kdump-config status` says ready, but a crash would save an empty dump:
            # this must not count as armed.
            checks.append(Check(
                "capture-usable", False,
                trap + "; the capture kernel's makedumpfile then cannot read the page tables "
                "('vaddr_to_paddr_arm64: Can't read pgd') and saves an empty dump",
                "install a kexec-tools that finds the page offset without _text (Debian 12's 2.0.25 cannot), "
                "then 'kdump-config reload' and 'kdumpwiz verify', which looks for this message again; "
                "until then a crash saves no usable dump"))
    else:
        fix = _load_fix(facts)
        if facts.boot.lockdown and facts.boot.lockdown != "none":
            fix += f"; lockdown is '{facts.boot.lockdown}': the kernel must be loaded with kexec -s"
        detail = "/sys/kernel/kexec_crash_loaded is " + (
            "0: no capture kernel is loaded" if k.crash_loaded is not None else "missing")
        why = _load_error(host, facts.service.unit) if k.crash_loaded is not None else None
        if why:
            detail += f"; the service said: {why}"
        if 0 < size < estimate:
            # The usual cause when memory is reserved but nothing loads: the capture
            # kernel and its initrd do not fit (e2e: 64M on a 1 GiB Debian 12 guest).
            fix = (f"the reservation ({mib(size)}) is smaller than this machine's estimate ({mib(estimate)}), so "
                   "the capture kernel and its initrd most likely do not fit: plan a larger crashkernel= "
                   "('kdumpwiz plan'), apply and reboot; " + fix)
        checks.append(Check("loaded", False, detail, fix))

    unit = facts.service.unit
    result = host.run(["systemctl", "is-active", unit], timeout=20)
    words = result.output.split()
    # is-active prints one word (active, inactive, failed, ...); anything else is systemctl
    # failing to answer (no systemd, no bus), which is "unknown", not a state.
    state_word = words[0] if len(words) == 1 else "in an unknown state (systemctl: " + \
        (result.output.splitlines() or ["no answer"])[0] + ")"
    active = state_word == "active"
    fix = f"systemctl enable --now {unit}; journalctl -b -u {unit}"
    checks.append(Check("service", active, f"{unit} is {state_word}", "" if active else fix))

    if size > 0 and facts.family:
        ok = size >= estimate
        checks.append(Check(
            "size", ok,
            f"reserved {mib(size)}, estimate for this machine {mib(estimate)}",
            "" if ok else ("a loaded capture kernel can still run out of memory while it saves the dump "
                           "(measured: 96M loads but fails on a 1 GiB Debian 12 guest): plan a larger "
                           "crashkernel= and reboot, or prove this size with a test crash"),
            required=False,
        ))

    reboot_pending = bool(configured) and (running is None or running.spec != configured)
    if pending and running is not None and running.spec != pending.get("crashkernel"):
        reboot_pending = True
    if reboot_pending:
        want = configured or (pending or {}).get("crashkernel") or ""
        checks.append(Check("reboot", False,
                            f"the boot configuration asks for {crashkernel.spec_cmdline(want)}, the running kernel got "
                            f"{crashkernel.spec_cmdline(running.spec) if running is not None and running.spec else 'none'}",
                            "reboot to use the new configuration", required=False))

    test = _test_crash_result(host, facts, state)
    if test is not None:
        checks.append(Check("test-crash", bool(test.get("new_dumps")),
                            test["detail"], "" if test.get("new_dumps") else test.get("fix", ""), required=False))
    armed = all(c.ok for c in checks if c.required)
    return Verification(armed, tuple(checks), reboot_pending, configured,
                        running.spec if running is not None and running.found else None, test)


def _test_crash_result(host: Host, facts: Facts, state: StateDir) -> Optional[Dict[str, Any]]:
    marker = state.read_json(CRASH_TEST_STATE)
    if not marker:
        return None
    before = set(marker.get("dumps_before", []))
    path = marker.get("dump_path", facts.dump.path)
    now = [n for n in host.listdir(path) if not n.startswith(".") and n not in ("kexec_cmd", "kdump_lock")]
    new = sorted(n for n in now if n not in before)
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(marker.get("time", 0)))
    dump: Optional[Dict[str, Any]] = None
    if new:
        detail = f"the test crash of {when} left a new dump in {path}: {', '.join(new)}"
        fix = ""
        dump = dump_details(host, facts, f"{path.rstrip('/')}/{new[-1]}")
        if dump.get("file"):
            detail += f"; {dump['file']} ({mib(dump['bytes'])})"
        if dump.get("panic"):
            detail += f"; its log: {dump['panic']}"
    elif marker.get("remote"):
        detail = f"a test crash was triggered at {when}; the dump went to {marker['remote']} (check there)"
        fix = "look for a new directory on the dump server"
    else:
        detail = f"a test crash was triggered at {when}, but no new dump appeared in {path}"
        fix = ("the capture kernel did not save a dump: check the console log of the crash, and consider a larger "
               "crashkernel= (out of memory in the capture kernel is the most common cause)")
    return {"time": marker.get("time"), "path": path, "new_dumps": new, "detail": detail, "fix": fix, "dump": dump}


#: Where each family's debug kernel (with symbols, for ``crash``) lives, and its package.
DEBUG_VMLINUX = {
    "debian": ("/usr/lib/debug/boot/vmlinux-{rel}", "linux-image-{rel}-dbg (Ubuntu: linux-image-unsigned-{rel}-dbgsym "
                                                     "from ddebs.ubuntu.com)"),
    "redhat": ("/usr/lib/debug/lib/modules/{rel}/vmlinux", "kernel-debuginfo-{rel} (dnf debuginfo-install kernel)"),
    "suse": ("/usr/lib/debug/boot/vmlinux-{rel}.debug", "kernel-default-debuginfo"),
}


def dump_lines(dump: Optional[Dict[str, Any]]) -> List[str]:
    """The captured dump for people: where, how big, the panic, the command that opens it (CLI and wizard)."""
    if not dump or not dump.get("file"):
        return []
    lines = [f"Dump:    {dump['file']} ({mib(dump['bytes']) if dump.get('bytes') is not None else 'size unknown'})"]
    if dump.get("panic"):
        lines.append(f"Panic:   {dump['panic']}")
    lines.append(f"Open it: {dump['crash_command']}")
    if not dump.get("debug_kernel_present"):
        lines.append(f"         (needs the kernel with debug symbols: {dump.get('debug_kernel_package')})")
    return lines


def dump_details(host: Host, facts: Facts, directory: str) -> Dict[str, Any]:
    """What a saved dump directory holds: the dump file and its size, the panic line, how to open it.

    Names as the families write them: kdump-tools ``dump.<stamp>`` and
    ``dmesg.<stamp>``, kdumpctl ``vmcore`` and ``vmcore-dmesg.txt``, SUSE
    ``vmcore`` and ``dmesg.txt``. The panic line is the last ``Kernel panic``
    line of the saved log (the crash's own reason).
    """
    names = host.listdir(directory) if host.is_dir(directory) else []
    dump = next((n for n in sorted(names) if n.startswith("dump.") or (n.startswith("vmcore") and "dmesg" not in n)),
                None)
    dmesg = next((n for n in sorted(names) if n.startswith("dmesg") or n == "vmcore-dmesg.txt"), None)
    out: Dict[str, Any] = {"directory": directory, "file": None, "bytes": None, "panic": None,
                           "crash_command": None, "debug_kernel": None, "debug_kernel_present": False}
    if dump:
        out["file"] = f"{directory}/{dump}"
        out["bytes"] = host.size(out["file"])
    if dmesg:
        text = host.read_optional(f"{directory}/{dmesg}") or ""
        panics = [ln for ln in text.splitlines() if "Kernel panic" in ln]
        if panics:
            # Leading "[  101.53]" timestamps and "[T554]" caller ids (Debian 13's kernels print both).
            out["panic"] = re.sub(r"^(\s*\[[^\]]*\])+\s*", "", panics[-1]).strip()[:200]
    where, package = DEBUG_VMLINUX.get(facts.family or "", DEBUG_VMLINUX["debian"])
    rel = facts.kernel.release
    vmlinux = where.format(rel=rel)
    out["debug_kernel"] = vmlinux
    out["debug_kernel_present"] = host.exists(vmlinux)
    if dump:
        out["crash_command"] = f"crash {vmlinux} {out['file']}"
        if not out["debug_kernel_present"]:
            out["debug_kernel_package"] = package.format(rel=rel)
    return out


def trigger_test_crash(host: Host, facts: Facts, typed_hostname: str, *, remote: Optional[str] = None) -> None:
    """Crash the kernel on purpose (sysrq-c) after recording which dumps exist.

    ``typed_hostname`` must equal the host's name: the confirmation is about
    *this* machine going down. Refuses unless kdump is armed.
    """
    if not host.is_live and os.path.ismount(str(host.path("/proc"))):
        # A chroot with the host's /proc bind-mounted: its sysrq-trigger is the
        # running kernel's, so the "test" would crash the machine kdumpwiz runs on.
        raise BlockedError(f"{host.root}/proc is the running kernel's /proc: a test crash from here would crash "
                           "this machine, not the system under --root; boot that system and run the test there")
    if not facts.hostname or typed_hostname.strip() != facts.hostname:
        raise KdumpwizError(f"confirmation {typed_hostname!r} does not match this host's name {facts.hostname!r}; "
                            "nothing was done")
    result = verify(host, facts)
    if not result.armed:
        failed = [c for c in result.checks if c.required and not c.ok]
        raise BlockedError("kdump is not armed, a crash now would only reboot the machine without a dump: "
                           + "; ".join(c.detail for c in failed))
    state = StateDir(host)
    path = facts.dump.path
    state.write_json(CRASH_TEST_STATE, {
        "time": time.time(),
        "dump_path": path,
        "dumps_before": list(facts.dump.existing_dumps),
        "remote": remote,
    })
    os.sync()
    with open(host.path("/proc/sys/kernel/sysrq"), "w") as fh:
        fh.write("1\n")
    with open(host.path("/proc/sysrq-trigger"), "w") as fh:
        fh.write("c\n")
