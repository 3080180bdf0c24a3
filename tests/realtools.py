"""Debian's real boot tools as oracles on fixture trees (used by tests/test_real_tools.py).

kdumpwiz's own readers (``engine/bootconfig.py``) say which command line the
next boot gets; these helpers ask the programs that really decide it:

* ``grub-mkconfig`` (grub-common) generates grub.cfg from the fixture's
  /etc/default/grub and grub.d/*.cfg with Debian's /etc/grub.d scripts;
* ``grub-editenv`` (grub-common) lists a grubenv block;
* ``bootctl list`` (systemd-boot) parses Boot Loader Specification entries.

None of them may touch this machine's /etc or /boot.  grub-mkconfig has no
``--root``: it runs in a private mount namespace (``unshare -m --propagation
private``) in which the fixture's /etc/default and /boot are bind-mounted over
the real ones and a grub-probe stub over the real grub-probe; the namespace,
and every mount in it, goes away with the process.  ``host_state()`` hashes the
real paths so a test can prove they were left alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
#: The e2e harness's grub-probe stand-in: plausible answers, empty fs_uuid (so 10_linux writes root=/dev/vda).
GRUB_PROBE_STUB = REPO / "tests" / "e2e" / "guest" / "grub-probe-stub"

GRUB_MKCONFIG = "/usr/sbin/grub-mkconfig"
GRUB_PROBE = "/usr/sbin/grub-probe"
GRUB_EDITENV = "/usr/bin/grub-editenv"
BOOTCTL = "/usr/bin/bootctl"
DASH = "/usr/bin/dash"
UNSHARE = "/usr/bin/unshare"
#: Debian packages providing the tools above (CI installs them; see .ci and the test module's docstring).
PACKAGES = {GRUB_MKCONFIG: "grub-common", GRUB_PROBE: "grub-common", GRUB_EDITENV: "grub-common",
            BOOTCTL: "systemd-boot", DASH: "dash", UNSHARE: "util-linux"}

#: The real paths the oracles could reach; hashed before and after every run.
GUARDED = ("/etc/default", "/etc/grub.d", "/boot", GRUB_PROBE, GRUB_MKCONFIG, GRUB_EDITENV)
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "HOME": "/nonexistent"}
TIMEOUT = 60


class OracleError(AssertionError):
    """A real tool failed or printed something we cannot read (a test failure, never a skip)."""


def missing_tools() -> List[str]:
    """Messages for the tools (and their Debian packages) that are not installed."""
    return [f"{tool} (Debian package {pkg})" for tool, pkg in PACKAGES.items() if not os.access(tool, os.X_OK)]


def _run(argv: Sequence[str], *, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    res = subprocess.run(list(argv), capture_output=True, text=True, timeout=TIMEOUT,
                         env=dict(CLEAN_ENV, **(env or {})), stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise OracleError(f"{' '.join(argv[:4])}... exit {res.returncode}:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return res


# -- the machine's own state ---------------------------------------------------------


def _mount_points() -> List[str]:
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        return sorted(line.split()[4] for line in fh)


def host_state() -> Dict[str, str]:
    """path -> hash (or 'absent', 'dir', link target) for every real path an oracle could touch, plus the mounts."""
    out: Dict[str, str] = {"<mounts>": hashlib.sha256("\n".join(_mount_points()).encode()).hexdigest()}
    for top in GUARDED:
        if not os.path.lexists(top):
            out[top] = "absent"
            continue
        paths = [top]
        if os.path.isdir(top) and not os.path.islink(top):
            for dirpath, dirnames, filenames in os.walk(top):
                paths += [os.path.join(dirpath, n) for n in sorted(dirnames + filenames)]
        for p in paths:
            st = os.lstat(p)
            if os.path.islink(p):
                out[p] = "link:" + os.readlink(p)
            elif os.path.isdir(p):
                out[p] = f"dir:{st.st_mode:o}"
            else:
                with open(p, "rb") as fh:
                    out[p] = f"{st.st_mode:o}:{st.st_size}:" + hashlib.sha256(fh.read()).hexdigest()
    return out


# -- grub-mkconfig ------------------------------------------------------------------

_MKCONFIG_SCRIPT = r"""
set -eu
root=$1 stub=$2 out=$3
# Every mount below lives only in this private namespace.
mount --bind "$root/etc/default" /etc/default
mount --bind "$root/boot" /boot
mount --bind -o ro "$stub" /usr/sbin/grub-probe
# Refuse to run unless the bind mounts really took effect.
[ "$(stat -c %d:%i /etc/default)" = "$(stat -c %d:%i "$root/etc/default")" ]
[ "$(stat -c %d:%i /boot)" = "$(stat -c %d:%i "$root/boot")" ]
exec grub-mkconfig -o "$out"
"""


@dataclass(frozen=True)
class GrubEntry:
    """One ``menuentry`` of a generated grub.cfg."""

    title: str
    entry_id: str
    path: Tuple[int, ...]      # index among its siblings at each depth: (0,) top level, (1, 0) first in submenu 1
    linux: str                  # the kernel path of its ``linux`` line
    args: str                   # the rest of the ``linux`` line


@dataclass(frozen=True)
class GrubConfig:
    """What the real grub-mkconfig generated, parsed just enough to find the default entry."""

    text: str
    default: str                # the value of the unconditional ``set default="..."`` of 00_header
    entries: Tuple[GrubEntry, ...]
    stderr: str

    def default_entry(self, saved_entry: Optional[str] = None) -> GrubEntry:
        """The entry GRUB boots without a key press (``saved_entry`` when GRUB_DEFAULT=saved)."""
        want = self.default
        if want == "${saved_entry}":
            if not saved_entry:
                raise OracleError("GRUB_DEFAULT=saved but no saved_entry in grubenv")
            want = saved_entry
        if re.fullmatch(r"\d+(>\d+)*", want):
            path = tuple(int(x) for x in want.split(">"))
            hits = [e for e in self.entries if e.path == path]
        else:
            hits = [e for e in self.entries if want in (e.title, e.entry_id)]
        if len(hits) != 1:
            raise OracleError(f"default {want!r} matches {len(hits)} entries of {[e.title for e in self.entries]}")
        return hits[0]

    def normal_entries(self) -> List[GrubEntry]:
        return [e for e in self.entries if "recovery mode" not in e.title]

    def recovery_entries(self) -> List[GrubEntry]:
        return [e for e in self.entries if "recovery mode" in e.title]


def parse_grub_cfg(text: str, stderr: str = "") -> GrubConfig:
    """menuentry/submenu nesting, each entry's ``linux`` line, and 00_header's default."""
    defaults = re.findall(r'^\s*set default="([^"]*)"\s*$', text, flags=re.M)
    # 00_header writes 'set default="${next_entry}"' inside the next_entry branch, then the real default.
    real = [d for d in defaults if d != "${next_entry}"]
    if len(real) != 1:
        raise OracleError(f"cannot tell the default entry: set default lines {defaults}")
    entries: List[GrubEntry] = []
    counters = [0]                # next sibling index at each depth
    stack: List[Tuple[str, Tuple[int, ...], str, str]] = []   # open blocks: (kind, path, title, id)
    current: Optional[dict] = None
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"^(menuentry|submenu)\s+'([^']*)'.*?'([^']*)'\s*\{$", s)
        if m:
            kind, title, eid = m.groups()
            path = tuple(b[1][-1] for b in stack if b[0] == "submenu") + (counters[-1],)
            counters[-1] += 1
            stack.append((kind, path, title, eid))
            counters.append(0)
            if kind == "menuentry":
                current = {"title": title, "entry_id": eid, "path": path, "linux": "", "args": ""}
            continue
        if s == "}" and stack:
            kind, _, _, _ = stack.pop()
            counters.pop()
            if kind == "menuentry" and current is not None:
                entries.append(GrubEntry(**current))
                current = None
            continue
        words = s.split(None, 2)
        if current is not None and words and words[0] == "linux" and len(words) >= 2:
            current["linux"], current["args"] = words[1], (words[2] if len(words) > 2 else "")
    if stack:
        raise OracleError(f"unbalanced braces in the generated grub.cfg: still open {[b[2] for b in stack]}")
    return GrubConfig(text=text, default=real[0], entries=tuple(entries), stderr=stderr)


def grub_mkconfig(root: Path) -> GrubConfig:
    """Run Debian's grub-mkconfig on the fixture tree ``root`` and parse what it wrote.

    The output goes to ``root/var/tmp/real-grub-mkconfig/grub.cfg`` (inside the
    fixture, outside every file kdumpwiz manages) and that folder is removed
    again, so the tree holds exactly what it held before.
    """
    root = Path(root).resolve()
    for rel in ("etc/default", "boot"):
        if not (root / rel).is_dir() or (root / rel).is_symlink():
            raise OracleError(f"fixture has no directory {rel}")
    scratch = root / "var" / "tmp" / "real-grub-mkconfig"
    scratch.mkdir(parents=True)
    try:
        stub = scratch / "grub-probe"
        shutil.copyfile(GRUB_PROBE_STUB, stub)
        os.chmod(stub, 0o755)
        out = scratch / "grub.cfg"
        res = _run([UNSHARE, "--mount", "--propagation", "private", DASH, "-c", _MKCONFIG_SCRIPT, "real-grub-mkconfig",
                    str(root), str(stub), str(out)])
        text = out.read_text(encoding="utf-8")
    finally:
        shutil.rmtree(scratch)
        for d in (root / "var" / "tmp", root / "var"):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
    return parse_grub_cfg(text, res.stderr)


# -- grub-editenv ---------------------------------------------------------------------


def grub_editenv_list(path: Path) -> Dict[str, str]:
    """``grub-editenv FILE list`` as name -> value (values may end in spaces, as stored)."""
    res = _run([GRUB_EDITENV, str(path), "list"])
    out: Dict[str, str] = {}
    for line in res.stdout.split("\n"):
        if line:
            name, sep, value = line.partition("=")
            if not sep:
                raise OracleError(f"grub-editenv printed a line without '=': {line!r}")
            out[name] = value
    return out


# -- bootctl ---------------------------------------------------------------------------

_BOOTCTL_SCRIPT = r"""
set -eu
boot=$1 esp=$2
# bootctl insists that $BOOT and the ESP are mount points: make the fixture's
# directories their own bind mounts, in this private namespace only.
mount --bind "$boot" "$boot"
[ "$esp" = "$boot" ] || mount --bind "$esp" "$esp"
exec bootctl --no-pager --no-variables --boot-path="$boot" --esp-path="$esp" list --json=short
"""


def bootctl_list(root: Path) -> List[dict]:
    """The BLS entries of ``root/boot`` as systemd's ``bootctl list`` reads them, in its order.

    The ESP is ``root/boot/efi`` when the fixture has one, else /boot itself.
    ``SYSTEMD_RELAX_*_CHECKS`` skip the partition-type probing (a fixture is a
    folder, not a disk); the entry parsing is bootctl's own.
    """
    root = Path(root).resolve()
    boot = root / "boot"
    esp = boot / "efi" if (boot / "efi").is_dir() else boot
    res = _run([UNSHARE, "--mount", "--propagation", "private", DASH, "-c", _BOOTCTL_SCRIPT, "real-bootctl",
                str(boot), str(esp)],
               env={"SYSTEMD_RELAX_ESP_CHECKS": "1", "SYSTEMD_RELAX_XBOOTLDR_CHECKS": "1"})
    # systemd 252 prints one JSON object per entry (a stream, not an array).
    dec = json.JSONDecoder()
    text, pos, entries = res.stdout, 0, []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        obj, pos = dec.raw_decode(text, pos)
        entries.extend(obj if isinstance(obj, list) else [obj])
    return entries


# -- dash --------------------------------------------------------------------------------


_DASH_SCRIPT = r"""
set -eu
root=$1
shift
# The fixture's /etc is /etc (read-only) in this private namespace, so what the files
# run (GRUB_DISTRIBUTOR's sed of /etc/system-release, lsb_release, os-release) sees
# the machine's own files, as on the machine.
mount --bind "$root/etc" /etc
mount -o remount,bind,ro /etc
[ "$(stat -c %d:%i /etc)" = "$(stat -c %d:%i "$root/etc")" ]
exec dash -c "$@"
"""


def dash_source(root: Path, paths: Sequence[str], names: Sequence[str] = ()) -> Dict[str, str]:
    """``set -e; . FILE`` for each of ``paths`` (absolute, e.g. /etc/default/grub) in order, under dash.

    Runs with the fixture's /etc mounted over /etc in a private mount namespace
    and an empty environment; the files are sourced by their path on the
    machine.  Returns the values of ``names`` afterwards (unset prints as '').
    Raises OracleError with dash's message when sourcing fails.
    """
    for p in paths:
        if not p.startswith("/etc/"):
            raise ValueError(f"{p}: only files below /etc are sourced")
    script = "set -e\nfor f in \"$@\"; do . \"$f\"; done\n" + "".join(
        f'printf "%s\\0" "${{{n}-}}"\n' for n in names)
    with tempfile.TemporaryDirectory(prefix="kdumpwiz-dash-") as cwd:
        res = subprocess.run([UNSHARE, "--mount", "--propagation", "private", DASH, "-c", _DASH_SCRIPT, "real-dash",
                              str(Path(root).resolve()), script, "dash"] + list(paths), capture_output=True,
                             timeout=TIMEOUT, env=dict(CLEAN_ENV), cwd=cwd, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise OracleError(f"dash 'set -e; . FILE' failed (exit {res.returncode}) on {list(paths)}: "
                          f"{res.stderr.decode(errors='replace')}")
    values = res.stdout.decode(errors="replace").split("\0")
    return dict(zip(names, values))
