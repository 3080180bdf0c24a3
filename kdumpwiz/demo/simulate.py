"""Stand-ins for the outside world of the demo machine (and of tests).

The demo never runs a real command: :func:`demo_runner` records commands and
mimics the *file effects* of the few that matter -- ``systemctl enable``
creates the ``.wants`` symlink, ``update-grub``/``grub2-mkconfig`` rewrite the
``linux`` lines of grub.cfg from the configuration -- and
:func:`simulate_reboot` makes /proc and /sys look like the kernel booted the
configured command line, so the Verify step can be shown.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Mapping, Optional, Tuple

from ..engine import bootconfig, crashkernel
from ..engine.editors import cmdline as cmdline_ed
from ..engine.host import Host, RecordingRunner


def _unit_wanted_by(host: Host, unit: str) -> str:
    for d in ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"):
        text = host.read_optional(f"{d}/{unit}")
        if text is not None:
            m = re.search(r"^WantedBy=(\S+)", text, flags=re.M)
            return m.group(1) if m else "multi-user.target"
    return "multi-user.target"


def _enable(host: Host, argv: Tuple[str, ...]) -> None:
    for unit in argv[2:]:
        if unit.startswith("-"):
            continue
        wants = f"/etc/systemd/system/{_unit_wanted_by(host, unit)}.wants"
        real = host.path(wants)
        real.mkdir(parents=True, exist_ok=True)
        link = real / unit
        if not os.path.lexists(link):
            for d in ("/lib/systemd/system", "/usr/lib/systemd/system"):
                if host.exists(f"{d}/{unit}"):
                    os.symlink(f"{d}/{unit}", link)
                    break


def _disable(host: Host, argv: Tuple[str, ...]) -> None:
    if "--now" in argv and host.exists("/sys/kernel/kexec_crash_loaded"):
        # Stopping the kdump service unloads the capture kernel.
        host.path("/sys/kernel/kexec_crash_loaded").write_text("0\n")
    for unit in argv[2:]:
        for name in host.listdir("/etc/systemd/system"):
            link = host.path(f"/etc/systemd/system/{name}", follow=True) / unit
            if name.endswith(".wants") and os.path.islink(link):
                os.unlink(link)


def _regenerate_grub(host: Host, cfg: str, method: str) -> None:
    """Mimic grub-mkconfig for crashkernel=: put the configured token on every normal entry.

    Only the crashkernel= word changes (recovery entries get none, as from
    10_linux), so everything else a real grub.cfg holds stays byte for byte.
    """
    text = host.read_optional(cfg)
    if text is None:
        return
    release = (host.read_optional("/proc/sys/kernel/osrelease") or "").strip()
    cmdline, _ = bootconfig.configured_cmdline(host, method, release)
    if cmdline is None:
        return
    found = crashkernel.plain_tokens(cmdline)
    token = f"crashkernel={found[-1]}" if found else None
    lines = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        m = re.match(r"^(\s*linux(?:efi)?\s+\S+)(\s.*)?$", body)
        if m and not re.search(r"\b(recovery|single)\b", body):
            rest = m.group(2) or ""
            body = m.group(1) + " " + cmdline_ed.set_param(rest.strip(), "crashkernel", token) if rest.strip() or token else body
        lines.append(body + ("\n" if line.endswith("\n") else ""))
    with open(host.path(cfg), "w", encoding="utf-8") as fh:
        fh.write("".join(lines))


def demo_runner(root: "str | Path") -> RecordingRunner:
    """A recording runner with the file effects of systemctl enable and grub regeneration."""
    runner = RecordingRunner()
    host = Host(root, runner)
    runner.effects[("systemctl", "enable")] = lambda argv: _enable(host, argv)
    runner.effects[("systemctl", "disable")] = lambda argv: _disable(host, argv)
    runner.effects[("update-grub",)] = lambda argv: _regenerate_grub(host, "/boot/grub/grub.cfg", "grub-debian")
    runner.effects[("grub2-mkconfig",)] = lambda argv: _regenerate_grub(host, "/boot/grub2/grub.cfg", "grub-suse")
    return runner


#: The file that says a directory is kdumpwiz's demo machine (nothing else is ever removed).
DEMO_MARKER = ".kdumpwiz-demo"


def demo_home(environ: Optional[Mapping[str, str]] = None) -> Path:
    """Where the user's demo machine lives: $KDUMPWIZ_DEMO_DIR, else $XDG_STATE_HOME/kdumpwiz/demo
    (~/.local/state/kdumpwiz/demo)."""
    env = os.environ if environ is None else environ
    if env.get("KDUMPWIZ_DEMO_DIR"):
        return Path(env["KDUMPWIZ_DEMO_DIR"])
    state = env.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "kdumpwiz" / "demo"


def open_demo(*, reset: bool = False, environ: Optional[Mapping[str, str]] = None) -> Tuple[Host, bool]:
    """The user's one demo machine, kept between runs so that ``--demo plan``, ``apply``,
    ``rollback --list`` and the wizard see the same machine; ``reset`` starts it over.

    Returns (host, created). Built in a sibling folder and renamed into place, so a
    second kdumpwiz starting at the same moment sees a whole machine or none; a
    directory without the demo marker is never removed or used.
    """
    from ..engine.errors import KdumpwizError
    from . import build_demo_root

    root = demo_home(environ)
    marker = root / DEMO_MARKER
    if root.exists() and not marker.exists() and (not root.is_dir() or any(root.iterdir())):
        raise KdumpwizError(f"{root} exists but is not a kdumpwiz demo machine (no {DEMO_MARKER}); "
                            "not using or removing it",
                            hint="set KDUMPWIZ_DEMO_DIR to another folder, or remove it yourself")
    if reset and marker.exists():
        shutil.rmtree(root)
    if marker.exists():
        return Host(root, demo_runner(root)), False
    root.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".kdumpwiz-demo-", dir=str(root.parent)))
    try:
        build_demo_root(building)
        (building / DEMO_MARKER).write_text("kdumpwiz's demo machine: 'kdumpwiz --demo-reset' starts it over\n")
        try:
            if root.exists():
                root.rmdir()  # empty (checked above) -- unless another kdumpwiz just renamed its build here
            os.rename(building, root)
        except OSError:
            if not (root / DEMO_MARKER).exists():
                raise
            shutil.rmtree(building, ignore_errors=True)  # another kdumpwiz built it first
            return Host(root, demo_runner(root)), False
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return Host(root, demo_runner(root)), True


def prepare_demo(dest: Optional[str] = None) -> Host:
    """Build the demo machine in a fresh temporary folder and return its host."""
    from . import build_demo_root

    root = Path(dest) if dest else Path(tempfile.mkdtemp(prefix="kdumpwiz-demo-"))
    build_demo_root(root)
    return Host(root, demo_runner(root))


def simulate_reboot(host: Host, *, load: bool = True) -> Optional[str]:
    """Make /proc and /sys of a tree look like it booted its configured command line.

    Returns the crashkernel value the "kernel" used, or None. The reservation
    follows the real kernel's rules (the crashkernel model) and is placed in
    /proc/iomem inside the first System RAM range that fits; the capture kernel
    counts as loaded when the service is enabled and memory was reserved.
    """
    from ..engine.detect import detect

    facts = detect(host)
    release = facts.kernel.release
    cmdline, _ = bootconfig.configured_cmdline(host, facts.boot.method, release)
    old = (host.read_optional("/proc/cmdline") or "").split()
    prefix = [w for w in old if w.startswith(("BOOT_IMAGE=", "root=")) or w in ("ro", "rw")]
    words = prefix + [w for w in (cmdline or "").split() if w not in prefix]
    new_cmdline = " ".join(words)
    Path(host.path("/proc/cmdline")).write_text(new_cmdline + "\n")
    res = crashkernel.evaluate(new_cmdline, facts.memory.system_ram_bytes or 1, facts.arch)
    size = res.reserved_bytes + res.low_bytes if res.ok else 0
    iomem_path = host.path("/proc/iomem")
    iomem = [l for l in iomem_path.read_text().splitlines() if "Crash kernel" not in l]
    if size:
        out = []
        placed = False
        for line in iomem:
            out.append(line)
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) : System RAM$", line)
            if m and not placed:
                start, end = int(m.group(1), 16), int(m.group(2), 16)
                if end - start + 1 > size * 2:
                    base = (end + 1 - size) & ~((16 << 20) - 1)
                    out.append(f"  {base:08x}-{base + size - 1:08x} : Crash kernel")
                    placed = True
        iomem = out
    iomem_path.write_text("\n".join(iomem) + "\n")
    Path(host.path("/sys/kernel/kexec_crash_size")).write_text(f"{size}\n")
    enabled = facts.service.enabled
    loaded = bool(load and size and enabled)
    Path(host.path("/sys/kernel/kexec_crash_loaded")).write_text("1\n" if loaded else "0\n")
    if isinstance(host.runner, RecordingRunner):
        host.runner.respond(["systemctl", "is-active", facts.service.unit], 0 if enabled else 3,
                            "active\n" if enabled else "inactive\n")
    meminfo = host.path("/proc/meminfo")
    if meminfo.exists() and size:
        text = meminfo.read_text()
        m = re.search(r"^MemTotal:\s+(\d+) kB", text, flags=re.M)
        if m:
            text = text.replace(m.group(0), f"MemTotal:       {int(m.group(1)) - size // 1024} kB", 1)
            meminfo.write_text(text)
    return res.spec if res.found else None


def simulate_crash_and_capture(host: Host) -> str:
    """After a (demo) test crash: the capture kernel writes a dump, the machine boots again.

    Creates ``<dump dir>/<stamp>/{dmesg,dump}.<stamp>`` like kdump-tools does and
    simulates the next boot. Returns the new directory's name.
    """
    import time

    from ..engine.detect import detect

    facts = detect(host)
    stamp = time.strftime("%Y%m%d%H%M", time.localtime())
    directory = host.path(facts.dump.path) / stamp
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"dmesg.{stamp}").write_text("[  0.000000] sysrq: Trigger a crash\n[  0.000001] Kernel panic - not syncing: sysrq triggered crash\n")
    (directory / f"dump.{stamp}").write_bytes(b"KDUMP   " + b"\0" * 4088)
    simulate_reboot(host)
    return stamp
