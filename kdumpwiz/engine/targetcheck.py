"""Test a dump target before the reboot: will the capture kernel be able to write there?

An admin learns that the dump directory was read-only, the SSH key was never
authorised, or the disk was too small only after the first real crash -- when
the dump is lost. Cockpit and kdumpctl check some of this before they start;
this module checks what kdumpwiz can check without changing anything:

* **local**: the directory exists (or its nearest existing parent can hold it,
  for the families whose tools create it at dump time), is a writable
  directory on a writable filesystem, and has room for the dump;
* **ssh**: a non-interactive login with exactly the key the capture kernel will
  use (``BatchMode``, no agent, the host key already known), a writable remote
  directory and its free space -- one ``ssh`` command, read-only on the server;
* **nfs**: the export mounts (in a private mount namespace, so the machine's
  mount table never changes) and the directory on it is writable;
* **raw**: the device exists, is a block device, is not mounted and is big enough.

Free space is what ``df`` shows as *Avail* (``f_bavail``): the blocks reserved
for root are left for the system that has to boot after the dump. The dump
size is estimated from the running system's memory use and the dump level
(:func:`estimate_dump`); like kdumpctl's own check, a target with less room
than the RAM only gets a warning, one with less than the estimate fails.

Network checks only run on the live system: on an image or a ``--root`` tree
the network, the keys' meaning and the mounts are not this machine's.
"""

from __future__ import annotations

import json
import os
import re
import stat as stat_mod
import sys
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .answers import Answers, Target
from .crashkernel import size_words
from .detect import meminfo_kib
from .errors import HostError
from .facts import Facts
from .host import Host

#: Check outcomes, best first.
STATUSES = ("ok", "skip", "warn", "fail")
#: The key the Debian and RHEL families use when none is configured (kdump-tools'
#: SSH_KEY and kdumpctl's sshkey defaults); SUSE lets ssh pick its default identities.
DEFAULT_SSH_KEY = {"debian": "/root/.ssh/kdump_id_rsa", "redhat": "/root/.ssh/kdump_id_rsa"}
#: What each family runs to authorise the key on the server.
PROPAGATE = {"debian": "kdump-config propagate", "redhat": "kdumpctl propagate",
             "suse": "ssh-copy-id -i KEY user@host"}
#: Families whose dump tool creates a missing local directory when it saves a dump
#: (kdump-tools: ``mkdir -p $KDUMP_STAMPDIR``; SUSE kdumptool makes the save
#: directory). RHEL's mkdumprd refuses to build the kdump initrd instead:
#: "Dump path ... does not exist." (kexec-tools el9 mkdumprd, check_save_path_fs).
CREATES_LOCAL_DIR = {"debian", "suse"}
#: Seconds an SSH login or NFS mount may take before the check says so.
NETWORK_TIMEOUT = 20
_MIB = 1 << 20
_MARKS = {"ok": "[ OK ]", "warn": "[WARN]", "fail": "[FAIL]", "skip": "[SKIP]"}


@dataclass(frozen=True)
class Check:
    """One thing tested: its name, ``ok``/``skip``/``warn``/``fail`` and what was seen."""

    name: str
    status: str
    detail: str
    remedy: str = ""


@dataclass(frozen=True)
class DumpEstimate:
    """How big a dump may get: an upper bound before compression, and where it came from."""

    bytes: Optional[int]
    basis: str
    ram_bytes: int


@dataclass(frozen=True)
class TargetReport:
    """Everything one target test found."""

    target_type: str
    where: str
    estimate: DumpEstimate
    free_bytes: Optional[int]
    checks: Tuple[Check, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        """The worst status of all checks (``ok`` when there are none)."""
        worst = 0
        for c in self.checks:
            worst = max(worst, STATUSES.index(c.status))
        return STATUSES[worst]

    @property
    def ok(self) -> bool:
        """True unless a check failed (warnings and skipped checks still pass)."""
        return self.status != "fail"

    def lines(self) -> List[str]:
        """One ASCII-marked line per check, with the fix under each failure and warning (CLI and wizard)."""
        out = []
        for c in self.checks:
            out.append(f"{_MARKS[c.status]} {c.name:<16} {c.detail}")
            if c.remedy and c.status in ("warn", "fail"):
                out.append(f"       {'':<16} fix: {c.remedy}")
        return out

    @property
    def summary(self) -> str:
        """One sentence for the worst status."""
        return {"ok": "The target is usable.", "skip": "Nothing could be tested here.",
                "warn": "The target is usable, with the warnings above.",
                "fail": "The capture kernel could NOT save a dump there: fix the failures above."}[self.status]

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form (``kdumpwiz test-target --json``)."""
        return {
            "target": self.target_type, "where": self.where, "status": self.status, "ok": self.ok,
            "free_bytes": self.free_bytes, "estimate": asdict(self.estimate),
            "checks": [asdict(c) for c in self.checks],
        }


def _mib(n: Optional[int]) -> str:
    return "unknown" if n is None else size_words(n)


def estimate_dump(host: Host, facts: Facts, dump_level: int) -> DumpEstimate:
    """An upper bound of the dump's size before compression, from memory use and the dump level.

    makedumpfile's dump level is a bit mask of page kinds left out: 1 zero
    pages, 2 page cache, 4 page cache with private pages, 8 user pages,
    16 free pages. What the level keeps is estimated from ``/proc/meminfo``
    now (a crash happens later, with other numbers: this is a guide, not a
    promise). Zero pages are not known in advance and count as kept; shared
    memory (tmpfs) is user data the cache bits do not drop, so it stays too.
    """
    ram = facts.memory.system_ram_bytes or facts.memory.memtotal_bytes or 0
    text = host.read_optional("/proc/meminfo") or "" if not facts.offline else ""
    info = {k: v * 1024 for k in ("MemTotal", "MemFree", "Cached", "Buffers", "Shmem", "AnonPages")
            if (v := meminfo_kib(text, k)) is not None}
    if dump_level & (2 | 4 | 8 | 16) == 0:
        whole = ram - (facts.kexec.crash_size or 0) if ram else 0
        return DumpEstimate(whole or None, "dump level keeps every page but zero pages: up to the whole RAM", ram)
    if "MemTotal" not in info or "MemFree" not in info:
        return DumpEstimate(None, "no memory use to estimate from (not the running system): "
                                  f"at most the RAM, {_mib(ram)}", ram)
    # Everything but the crash reservation is dumped: MemTotal misses what the kernel
    # reserved at boot (its image, the page structs), which the dump keeps.
    total = (ram - (facts.kexec.crash_size or 0)) if ram else info["MemTotal"]
    left_out = []
    kept = total
    if dump_level & 16:
        kept -= info["MemFree"]
        left_out.append("free")
    if dump_level & (2 | 4):
        cache = info.get("Cached", 0) + info.get("Buffers", 0) - info.get("Shmem", 0)
        kept -= max(0, cache)
        left_out.append("cache")
    if dump_level & 8:
        kept -= info.get("AnonPages", 0)
        left_out.append("user")
    # The kernel's own pages grow at a crash (stacks, the panic's work): a floor of 64 MiB.
    kept = max(kept, 64 * _MIB)
    return DumpEstimate(kept, f"memory in use now minus what dump level {dump_level} leaves out "
                              f"({', '.join(left_out)} pages), before compression", total)


def _space_check(free: Optional[int], est: DumpEstimate, where: str) -> Check:
    if free is None:
        return Check("space", "warn", f"free space at {where} is unknown")
    text = f"{_mib(free)} free at {where}; a dump needs up to {_mib(est.bytes)} ({est.basis})"
    if est.bytes is not None and free < est.bytes:
        return Check("space", "fail", text, "free space there, choose another directory or a higher dump level")
    if est.ram_bytes and free < est.ram_bytes:
        # kdumpctl's own preflight warns the same way: "There might not be enough
        # space to save a vmcore" when the target has less room than MemTotal.
        return Check("space", "warn", text + f"; less than the RAM ({_mib(est.ram_bytes)}), so a dump of a "
                                             "busier system may not fit")
    return Check("space", "ok", text)


# -- local ---------------------------------------------------------------------------


def _nearest_existing(host: Host, path: str) -> str:
    probe = path
    while probe != "/" and not host.lexists(probe):
        probe = os.path.dirname(probe) or "/"
    return probe


def _writable(host: Host, path: str) -> Tuple[bool, str]:
    """Whether root can create files in directory ``path``, without creating one."""
    real = host.path(path)
    try:
        st = os.statvfs(real)
    except OSError as exc:
        return False, f"cannot stat the filesystem: {exc.strerror}"
    if st.f_flag & os.ST_RDONLY:
        return False, "its filesystem is mounted read-only"
    # access() as root passes every mode bit, but still reports EROFS and
    # immutable directories (EPERM): the cases that stop a root-owned dump tool.
    if not os.access(real, os.W_OK | os.X_OK):
        return False, "not writable (immutable, or denied by the filesystem)"
    return True, ""


def _check_local(host: Host, facts: Facts, target: Target, est: DumpEstimate) -> Tuple[List[Check], Optional[int]]:
    path = target.path
    checks: List[Check] = []
    family = facts.family or ""
    existing = _nearest_existing(host, path)
    if host.is_dir(path):
        checks.append(Check("directory", "ok", f"{path} exists"))
    elif host.lexists(path):
        checks.append(Check("directory", "fail", f"{path} exists but is not a directory",
                            "choose another path or move that file away"))
        return checks, None
    elif not host.is_dir(existing):
        checks.append(Check("directory", "fail", f"{path} cannot be created: {existing} is not a directory",
                            "choose another path"))
        return checks, None
    elif family in CREATES_LOCAL_DIR:
        checks.append(Check("directory", "ok", f"{path} does not exist yet; the dump tool creates it in "
                                               f"{existing} when it saves a dump"))
    else:
        checks.append(Check("directory", "fail", f"{path} does not exist, and kdumpctl refuses to start without it "
                                                 "(mkdumprd: \"Dump path ... does not exist\")",
                            f"mkdir -p {path}"))
    at = path if host.is_dir(path) else existing
    ok, why = _writable(host, at)
    checks.append(Check("writable", "ok" if ok else "fail", f"{at} is writable" if ok else f"{at}: {why}",
                        "" if ok else "remount it read-write or choose another directory"))
    free = host.free_bytes(path)
    checks.append(_space_check(free, est, path))
    return checks, free


# -- ssh -----------------------------------------------------------------------------

#: Runs on the server (the one place kdumpwiz hands a string to a shell: ssh
#: always does). The path was validated to letters, digits and ``._/+@-``.
_REMOTE = ('p={path}; d="$p"; while [ ! -e "$d" ]; do d=$(dirname "$d"); done; '
           'if [ -d "$d" ] && [ -w "$d" ]; then w=yes; else w=no; fi; '
           'echo "kdumpwiz-target $w $d"; df -Pk "$d" | tail -n 1')


def _ssh_options(key: Optional[str]) -> List[str]:
    """Exactly the key, no agent, no prompt, the known host key: what the capture kernel has."""
    opts = ["-i", key, "-o", "IdentitiesOnly=yes"] if key else []
    return opts + ["-o", "BatchMode=yes", "-o", "IdentityAgent=none", "-o", "StrictHostKeyChecking=yes",
                   "-o", f"ConnectTimeout={NETWORK_TIMEOUT}", "-o", "LogLevel=ERROR"]


def ssh_argv(target: Target, key: Optional[str]) -> List[str]:
    """The ``ssh`` command of the SSH check (one login: the directory test and ``df``)."""
    return ["ssh"] + _ssh_options(key) + [str(target.host), "--", _REMOTE.format(path="'" + target.path + "'")]


def sftp_argv(target: Target, key: Optional[str]) -> List[str]:
    """An empty SFTP session: does the server offer the subsystem that scp (OpenSSH 9.0+) needs?"""
    return ["sftp", "-b", "/dev/null"] + _ssh_options(key) + [str(target.host)]


def _ssh_failure(output: str, target: Target, family: str, key: Optional[str]) -> Check:
    propagate = PROPAGATE.get(family, "ssh-copy-id")
    text = output.strip().splitlines()[-1] if output.strip() else "no output"
    if "Host key verification failed" in output or "No ED25519 host key is known" in output \
            or "host key for" in output.lower():
        return Check("login", "fail", f"the server's host key is not known to root here ({text})",
                     f"log in once as root with ssh {target.host} and accept the key, or run {propagate}")
    if "Permission denied" in output:
        return Check("login", "fail", f"the server refused the key {key or '(ssh default identities)'} ({text})",
                     f"run {propagate} to authorise it for {target.host}")
    if "Could not resolve" in output or "Name or service not known" in output:
        return Check("login", "fail", f"the server name does not resolve ({text})", "check the host name")
    if "Connection refused" in output or "timed out" in output or "No route" in output:
        return Check("login", "fail", f"cannot reach the SSH server ({text})",
                     "check the address, the port in root's ~/.ssh/config and the firewall")
    return Check("login", "fail", f"ssh failed: {text}", f"try ssh -i {key} {target.host} by hand" if key else "")


def _check_ssh(host: Host, facts: Facts, target: Target, est: DumpEstimate,
               cancel: Optional[threading.Event]) -> Tuple[List[Check], Optional[int]]:
    family = facts.family or ""
    key = target.key or DEFAULT_SSH_KEY.get(family)
    checks: List[Check] = []
    if key is not None:
        if not host.is_file(key):
            checks.append(Check("key", "fail", f"{key} does not exist (the capture kernel logs in with it)",
                                f"run {PROPAGATE.get(family, 'ssh-keygen')} (it creates and sends the key)"))
            return checks, None
        checks.append(Check("key", "ok", f"{key} exists"))
    res = host.run(ssh_argv(target, key), timeout=NETWORK_TIMEOUT * 2, cancel=cancel)
    if res.cancelled:
        checks.append(Check("login", "skip", "cancelled"))
        return checks, None
    m = re.search(r"^kdumpwiz-target (yes|no) (\S+)\s*$", res.stdout, re.M)
    if not res.ok and m is None:
        checks.append(_ssh_failure(res.output if not res.timed_out else "timed out", target, family, key))
        return checks, None
    if m is None:
        checks.append(Check("login", "fail", "logged in, but the check did not run (is the login shell a POSIX "
                                             f"shell?): {res.output[-200:]}"))
        return checks, None
    checks.append(Check("login", "ok", f"logged in to {target.host} with "
                                       f"{key or 'the default identities'} without a prompt"))
    writable, at = m.group(1) == "yes", m.group(2)
    if at != target.path and writable:
        checks.append(Check("remote directory", "ok", f"{target.path} does not exist yet; the dump tool creates it "
                                                      f"in {at} (mkdir -p)"))
    elif writable:
        checks.append(Check("remote directory", "ok", f"{target.path} exists and is writable"))
    else:
        checks.append(Check("remote directory", "fail", f"{at} is not a writable directory for "
                                                        f"{str(target.host).split('@')[0]}",
                            f"on the server: mkdir -p {target.path} and give it to that user"))
    if family == "debian":
        # kdump-tools copies dmesg.<stamp> (and, if makedumpfile fails, the whole vmcore) with scp,
        # which OpenSSH 9.0+ runs over SFTP: a server without the sftp subsystem loses those files.
        sftp = host.run(sftp_argv(target, key), timeout=NETWORK_TIMEOUT * 2, cancel=cancel)
        if sftp.ok:
            checks.append(Check("scp", "ok", "the server offers SFTP, which kdump-tools' scp copies use"))
        else:
            checks.append(Check("scp", "warn", "the server refuses SFTP (" + (sftp.output.splitlines() or ["?"])[-1]
                                + "): kdump-tools' scp of the dmesg file would fail; the dump itself goes "
                                  "through ssh and still arrives",
                                "enable the sftp subsystem in the server's sshd_config (Subsystem sftp ...)"))
    free = None
    tail = res.stdout[m.end():].split()
    # df -Pk: Filesystem 1024-blocks Used Available Capacity Mounted-on
    if len(tail) >= 6 and tail[3].isdigit():
        free = int(tail[3]) * 1024
    checks.append(_space_check(free, est, f"{target.host}:{at}"))
    return checks, free


# -- nfs -----------------------------------------------------------------------------


def nfs_probe_argv(target: Target) -> List[str]:
    """Mount the export in a private mount namespace (gone when the probe ends) and look."""
    return ["unshare", "--mount", "--propagation", "private", sys.executable, "-m", "kdumpwiz.engine.nfsprobe",
            str(target.host), target.path]


def _check_nfs(host: Host, target: Target, est: DumpEstimate,
               cancel: Optional[threading.Event]) -> Tuple[List[Check], Optional[int]]:
    res = host.run(nfs_probe_argv(target), timeout=NETWORK_TIMEOUT * 3, cancel=cancel)
    try:
        data = json.loads(res.stdout.strip().splitlines()[-1]) if res.stdout.strip() else {}
    except ValueError:
        data = {}
    if not data.get("mounted"):
        why = data.get("error") or res.output[-300:] or "no output"
        return [Check("mount", "fail", f"{target.host} does not mount: {why}",
                      "check the export, the server's firewall and that nfs-common/nfs-utils is installed")], None
    checks = [Check("mount", "ok", f"{target.host} mounts ({data.get('options', 'nfs')})")]
    if data.get("writable"):
        checks.append(Check("writable", "ok", f"{data.get('at')} on the export is writable by root"))
    else:
        checks.append(Check("writable", "fail", f"{data.get('at')} on the export is not writable by root "
                                                f"({data.get('why', 'root squashed?')})",
                            "export it with no_root_squash (or make the directory writable for the squashed uid)"))
    free = data.get("free_bytes")
    checks.append(_space_check(free, est, f"{target.host}"))
    return checks, free


# -- raw -----------------------------------------------------------------------------


def _check_raw(host: Host, target: Target, est: DumpEstimate) -> Tuple[List[Check], Optional[int]]:
    dev = str(target.device)
    if not dev.startswith("/dev/"):
        return [Check("device", "skip", f"{dev}: a UUID or LABEL is resolved by the capture kernel, not here")], None
    try:
        st = host.stat(dev)
    except HostError:
        return [Check("device", "fail", f"{dev} does not exist", "check the device name")], None
    if not stat_mod.S_ISBLK(st.st_mode):
        return [Check("device", "fail", f"{dev} is not a block device", "choose a partition or disk")], None
    checks = [Check("device", "ok", f"{dev} is a block device")]
    real = os.path.realpath(host.path(dev))
    mounted = []
    for line in (host.read_optional("/proc/mounts") or "").splitlines():
        fields = line.split()
        # Sources are paths as the machine sees them: resolve them inside the root too.
        if len(fields) >= 2 and fields[0].startswith("/dev/") and os.path.realpath(host.path(fields[0])) == real:
            mounted.append(fields[1])
    checks.append(Check("not in use", "fail" if mounted else "ok",
                        f"{dev} is mounted on {', '.join(mounted)}: a dump would overwrite that filesystem"
                        if mounted else f"{dev} is not mounted",
                        "unmount it and remove it from /etc/fstab, or choose another device" if mounted else ""))
    size_text = host.read_optional(f"/sys/class/block/{os.path.basename(real)}/size")
    size = int(size_text) * 512 if size_text and size_text.strip().isdigit() else None
    checks.append(_space_check(size, est, dev))
    return checks, size


def test_target(host: Host, facts: Facts, answers: Answers,
                cancel: Optional[threading.Event] = None) -> TargetReport:
    """Test ``answers.target`` as the capture kernel will use it; changes nothing, never raises for a bad target."""
    target = answers.target
    est = estimate_dump(host, facts, answers.dump_level)
    where = {"local": f"{target.path} on this machine", "ssh": f"{target.host}:{target.path}",
             "nfs": f"{target.host} {target.path}", "raw": str(target.device)}.get(target.type, target.type)
    if target.type == "local":
        checks, free = _check_local(host, facts, target, est)
    elif target.type == "raw":
        checks, free = _check_raw(host, target, est)
    elif not host.is_live or facts.offline:
        checks, free = [Check("network", "skip", "not the running system: run kdumpwiz test-target on the machine "
                                                 "itself to test a network target")], None
    elif target.type == "ssh":
        checks, free = _check_ssh(host, facts, target, est, cancel)
    else:
        checks, free = _check_nfs(host, target, est, cancel)
    return TargetReport(target.type, where, est, free, tuple(checks))
