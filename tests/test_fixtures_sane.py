"""The fixture machines (and the packaged demo machine) are internally consistent.

Every check parses the written files, the way a machine's own tools would, and
compares them with the hand-written :class:`SystemSpec`: the iomem RAM sum,
python-distro's reading of os-release, 1024-byte grubenv blocks, relative
symlinks that stay inside the tree, kexec sysfs files exactly when the kernel
has kexec, sparse kernels of realistic size, shell syntax (``dash -n``) of every
sourced config file, and -- on Debian/Ubuntu -- the crashkernel= that
grub-mkconfig's sourcing order really produces.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path
from typing import Dict, List, Optional

import distro
import pytest

from kdumpwiz.demo import DEMO_SPEC, build_demo_root
from tests.fixtures.systems import SYSTEMS, SystemSpec, build

ALL = sorted(SYSTEMS) + ["demo"]
DASH = "/usr/bin/dash"
EFI_GUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
KEXEC_FILES = ("sys/kernel/kexec_crash_loaded", "sys/kernel/kexec_crash_size", "sys/kernel/kexec_loaded")
MiB = 1 << 20


def spec_of(name: str) -> SystemSpec:
    """The SystemSpec of a fixture, or of the demo (built from DEMO_SPEC)."""
    return SystemSpec(**DEMO_SPEC) if name == "demo" else SYSTEMS[name]


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> Dict[str, Path]:
    """Every machine built once into its own empty directory."""
    base = tmp_path_factory.mktemp("systems")
    out = {}
    for name in ALL:
        dest = base / name
        dest.mkdir()
        out[name] = build_demo_root(dest) if name == "demo" else build(name, dest)
    return out


def read(root: Path, rel: str) -> str:
    """Text of tree file ``rel``."""
    return (root / rel).read_text()


def iomem_top_level(text: str) -> List[tuple]:
    """(start, end, name) of the unindented lines of /proc/iomem."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) : (.+)$", line)
        if m:
            out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
    return out


def crash_ranges(text: str) -> List[tuple]:
    """(start, end) of every indented "Crash kernel" resource."""
    return [(int(a, 16), int(b, 16)) for a, b in re.findall(r"^\s+([0-9a-f]+)-([0-9a-f]+) : Crash kernel$", text, re.M)]


def last_crashkernel(cmdline: str) -> Optional[str]:
    """The value of the last plain ``crashkernel=`` word (the one the kernel uses), or None.

    Without a plain one, the last ``,high`` with the last ``,low`` before it ("72M,low 256M,high").
    """
    values = [t[len("crashkernel="):] for t in cmdline.split() if t.startswith("crashkernel=")]
    plain = [v for v in values if not v.endswith((",high", ",low", ",cma"))]
    if plain:
        return plain[-1]
    high = [v for v in values if v.endswith(",high")]
    low = [v for v in values if v.endswith(",low")]
    if high:
        return f"{low[-1]} {high[-1]}" if low else high[-1]
    return values[-1] if values else None


def test_demo_spec_has_the_systemspec_fields():
    assert set(DEMO_SPEC) == {f.name for f in dataclasses.fields(SystemSpec)}
    assert "demo" not in SYSTEMS


@pytest.mark.parametrize("name", ALL)
def test_iomem_ram_matches_spec(roots, name):
    spec = spec_of(name)
    text = read(roots[name], "proc/iomem")
    top = iomem_top_level(text)
    assert sum(e - s + 1 for s, e, n in top if n == "System RAM") == spec.system_ram_bytes
    starts = [s for s, _, _ in top]
    assert starts == sorted(starts), "top-level resources must be in address order"
    for s, e, _ in top:
        assert s <= e
    first_ram = min(s for s, _, n in top if n == "System RAM")
    expected_first = {"x86_64": 0x1000, "aarch64": 0x40000000, "s390x": 0, "ppc64le": 0}[spec.arch]
    assert first_ram == expected_first
    for line in text.splitlines():
        addr = line.strip().split(" : ")[0]
        assert addr == addr.lower(), line


@pytest.mark.parametrize("name", ALL)
def test_crash_reservation_consistent(roots, name):
    spec = spec_of(name)
    root = roots[name]
    iomem = read(root, "proc/iomem")
    reserved = sum(e - s + 1 for s, e in crash_ranges(iomem))
    cmdline = read(root, "proc/cmdline")
    assert cmdline.endswith("\n") and cmdline.count("\n") == 1
    assert last_crashkernel(cmdline) == spec.running_crashkernel
    # MemTotal is 2-4 % below memblock RAM (the real 24 GiB capture behind "container": 1.9 %), minus
    # the reservation.
    memtotal_kb = int(re.search(r"^MemTotal:\s+(\d+) kB$", read(root, "proc/meminfo"), re.M).group(1))
    gap = (spec.system_ram_bytes - reserved - memtotal_kb * 1024) / spec.system_ram_bytes
    assert 0.018 <= gap <= 0.04, gap
    if "no-kexec" in spec.blockers:
        assert reserved == 0
        return
    size = int(read(root, "sys/kernel/kexec_crash_size"))
    loaded = read(root, "sys/kernel/kexec_crash_loaded")
    assert size == reserved
    assert loaded in ("0\n", "1\n")
    if loaded == "1\n":
        assert size > 0
    if size:
        assert spec.running_crashkernel is not None


@pytest.mark.parametrize("name", ALL)
def test_os_release_via_python_distro(roots, name):
    spec = spec_of(name)
    root = roots[name]
    info = distro.LinuxDistribution(root_dir=str(root), include_lsb=False, include_uname=False,
                                    include_oslevel=False)
    assert info.id() == spec.distro_id
    assert info.version() == spec.version
    assert (root / "etc/os-release").is_file()
    if spec.family == "debian":
        assert (root / "etc/debian_version").is_file()
    if spec.family == "redhat":
        assert (root / "etc/system-release").is_file()


@pytest.mark.parametrize("name", ALL)
def test_kernel_identity_cpus_and_pages(roots, name):
    spec = spec_of(name)
    root = roots[name]
    assert read(root, "proc/sys/kernel/osrelease") == spec.kernel_release + "\n"
    assert read(root, "proc/sys/kernel/arch") == spec.arch + "\n"
    assert read(root, "proc/sys/kernel/hostname") == read(root, "etc/hostname")
    online = read(root, "sys/devices/system/cpu/online").strip()
    count = 0
    for part in online.split(","):
        lo, _, hi = part.partition("-")
        count += int(hi or lo) - int(lo) + 1
    assert count == spec.cpus
    # "processor\t: N" per CPU; s390x lists "processor N: ..." in its summary instead.
    assert len(re.findall(r"^processor\b", read(root, "proc/cpuinfo"), re.M)) == spec.cpus
    pmd = int(read(root, "sys/kernel/mm/transparent_hugepage/hpage_pmd_size"))
    big = {"aarch64": 512 * MiB, "ppc64le": 16 * MiB}.get(spec.arch)
    assert (spec.page_size == 65536) == (pmd == big)
    assert spec.page_size in (4096, 65536)


@pytest.mark.parametrize("name", ALL)
def test_kexec_files_absent_exactly_without_kexec(roots, name):
    spec = spec_of(name)
    root = roots[name]
    present = [os.path.lexists(root / f) for f in KEXEC_FILES]
    if "no-kexec" in spec.blockers:
        assert not any(present)
        assert not list((root / "sys/kernel").glob("kexec_*"))
    else:
        assert all(present)
        assert read(root, "sys/kernel/kexec_loaded") == "0\n"
    assert (root / ".dockerenv").exists() == ("container" in spec.blockers)
    config = root / f"boot/config-{spec.kernel_release}"
    if config.exists():
        text = config.read_text()
        assert ("# CONFIG_KEXEC is not set" in text) == ("no-kexec" in spec.blockers)


@pytest.mark.parametrize("name", ALL)
def test_every_tree_has_the_common_files(roots, name):
    spec = spec_of(name)
    root = roots[name]
    for rel in ("etc/os-release", "etc/machine-id", "etc/hostname", "etc/fstab", "proc/iomem", "proc/meminfo",
                "proc/cmdline", "proc/cpuinfo", "proc/mounts", "sys/kernel/security/lockdown",
                "sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "usr/bin/systemctl"):
        assert (root / rel).is_file(), rel
    assert (root / "var/crash").is_dir()
    assert os.access(root / "usr/bin/systemctl", os.X_OK)
    assert read(root, "sys/kernel/security/lockdown") in ("[none] integrity confidentiality\n",
                                                          "none [integrity] confidentiality\n")
    if "container" not in spec.blockers:
        assert re.fullmatch(r"[0-9a-f]{32}\n", read(root, "etc/machine-id"))
        assert (root / f"boot/config-{spec.kernel_release}").is_file()
        mods = [root / f"lib/modules/{spec.kernel_release}/modules.dep",
                root / f"usr/lib/modules/{spec.kernel_release}/modules.dep"]
        assert any(p.is_file() for p in mods)


@pytest.mark.parametrize("name", ALL)
def test_efi_variables(roots, name):
    root = roots[name]
    efi = root / "sys/firmware/efi"
    secure = read(root, "sys/kernel/security/lockdown").startswith("none [integrity]")
    if not efi.exists():
        assert not secure
        assert "/sys/firmware/efi/efivars" not in read(root, "proc/mounts")
        return
    vals = {}
    for var in ("SecureBoot", "SetupMode"):
        data = (efi / "efivars" / f"{var}-{EFI_GUID}").read_bytes()
        assert len(data) == 5 and data[:4] == b"\x06\x00\x00\x00" and data[4] in (0, 1)
        vals[var] = data[4]
    assert (vals["SecureBoot"] == 1 and vals["SetupMode"] == 0) == secure
    assert "efivarfs /sys/firmware/efi/efivars" in read(root, "proc/mounts")


@pytest.mark.parametrize("name", ALL)
def test_grubenv_blocks_are_1024_bytes(roots, name):
    root = roots[name]
    for env in list(root.rglob("grubenv")):
        data = env.read_bytes()
        assert len(data) == 1024, env
        assert data.startswith(b"# GRUB Environment Block\n")
        assert data.rstrip(b"#").endswith(b"\n")


@pytest.mark.parametrize("name", ALL)
def test_symlinks_are_relative_and_stay_inside(roots, name):
    root = roots[name]
    real_root = os.path.realpath(root)
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for entry in dirnames + filenames:
            full = os.path.join(dirpath, entry)
            if not os.path.islink(full):
                continue
            seen += 1
            target = os.readlink(full)
            assert not os.path.isabs(target), f"{full} -> {target}"
            resolved = os.path.realpath(full)
            assert resolved == real_root or resolved.startswith(real_root + os.sep), f"{full} escapes"
            assert os.path.exists(full), f"{full} -> {target} dangles"
    assert seen >= 1   # at least etc/os-release


SIZE_RULES = [  # (regex on the path relative to the root, min MiB, max MiB)
    (r"^boot/vmlinu[zx]-.*", 7, 17),
    (r"^boot/vmlinux-.*", 40, 64),
    (r"^usr/lib/modules/.*/vmlinuz$", 7, 17),
    (r"^boot/initrd\.img-.*", 25, 80),
    (r"^boot/initramfs-0-rescue-.*\.img$", 70, 110),
    (r"^boot/initramfs-.*kdump\.img$", 20, 40),
    (r"^boot/initramfs-.*\.img$", 12, 45),
    (r"^boot/initrd-.*", 15, 30),
    (r"^var/lib/kdump/initrd\.img-.*", 25, 35),
]


@pytest.mark.parametrize("name", ALL)
def test_kernels_and_initrds_are_sparse_and_realistic(roots, name):
    spec = spec_of(name)
    root = roots[name]
    checked = 0
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        rule = next((r for r in SIZE_RULES if re.match(r[0], rel)), None)
        if rule is None:
            continue
        if rule[0] == r"^boot/vmlinu[zx]-.*" and rel.startswith("boot/vmlinux-"):
            rule = SIZE_RULES[1]
        st = path.stat()
        assert rule[1] * MiB <= st.st_size <= rule[2] * MiB, f"{rel}: {st.st_size}"
        assert st.st_blocks * 512 < MiB, f"{rel} is not sparse"
        checked += 1
    if "container" in spec.blockers:
        assert checked == 0
        assert not any((root / "boot").iterdir())
    else:
        assert checked >= 2
        kernels = [p for p in (root / "boot").glob(f"vmlinu[zx]-{spec.kernel_release}")]
        assert kernels, "the running kernel is in /boot"


def shell_files(root: Path) -> List[Path]:
    """Config files that tools source with /bin/sh."""
    out = []
    for rel in ("etc/default/grub", "etc/default/kdump-tools", "etc/os-release", "etc/lsb-release"):
        if (root / rel).is_file():
            out.append(root / rel)
    out += sorted((root / "etc/default/grub.d").glob("*.cfg")) if (root / "etc/default/grub.d").is_dir() else []
    out += sorted(p for p in (root / "etc/sysconfig").glob("*")) if (root / "etc/sysconfig").is_dir() else []
    return out




@pytest.mark.parametrize("name", ALL)
def test_config_files_pass_dash_syntax_check(roots, name):
    root = roots[name]
    files = shell_files(root)
    if "container" not in spec_of(name).blockers:
        assert any(p.name == "grub" for p in files)
    for path in files:
        res = subprocess.run([DASH, "-n", str(path)], capture_output=True, text=True)
        assert res.returncode == 0, f"{path.relative_to(root)}: {res.stderr}"


SOURCE_GRUB = r"""
set -e
. "$ROOT/etc/default/grub"
for x in "$ROOT"/etc/default/grub.d/*.cfg ; do
  if [ -e "${x}" ]; then
    . "${x}"
  fi
done
printf 'DISTRIBUTOR=%s\n' "$GRUB_DISTRIBUTOR"
printf 'LINUX=%s\n' "$GRUB_CMDLINE_LINUX"
printf 'DEFAULT=%s\n' "$GRUB_CMDLINE_LINUX_DEFAULT"
"""

DEBIAN_FAMILY_WITH_GRUB = [n for n in ALL if spec_of(n).family == "debian" and "container" not in spec_of(n).blockers]


@pytest.mark.parametrize("name", DEBIAN_FAMILY_WITH_GRUB)
def test_grub_mkconfig_sourcing_order_gives_the_dropin_crashkernel(roots, name, tmp_path):
    """Source /etc/default/grub then grub.d/*.cfg (byte order) like grub-mkconfig, under set -e."""
    root = roots[name]
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "lsb_release").write_text("#!/bin/sh\necho \"$FAKE_LSB_ID\"\n")
    (stubs / "lsb_release").chmod(0o755)
    flavour = "Ubuntu" if spec_of(name).distro_id == "ubuntu" else "Debian"
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "ROOT": str(root), "LC_ALL": "C", "FAKE_LSB_ID": flavour}
    res = subprocess.run([DASH, "-c", SOURCE_GRUB], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    values = dict(line.split("=", 1) for line in res.stdout.splitlines())
    assert values["DISTRIBUTOR"]
    effective = values["DEFAULT"]

    dropin = root / "etc/default/grub.d/kdump-tools.cfg"
    if dropin.exists():
        want = re.search(r"crashkernel=(\S+?)\"", dropin.read_text()).group(1)
        assert last_crashkernel(effective) == want
    else:
        assert last_crashkernel(effective + " " + values["LINUX"]) is None
    if (root / "etc/default/grub.d/50-cloudimg-settings.cfg").exists():
        # The cloud image drop-in replaces the value: /etc/default/grub's "quiet splash" is dead code.
        assert "quiet splash" in read(root, "etc/default/grub")
        assert "splash" not in effective and effective.startswith("console=tty1 console=ttyS0")

    # The generated grub.cfg agrees with the configuration (update-grub ran after the last change).
    linux_lines = re.findall(r"^\s*linux\s+(\S+)\s+(.*)$", read(root, "boot/grub/grub.cfg"), re.M)
    assert linux_lines
    image, args = linux_lines[0]
    assert image.endswith(f"vmlinuz-{spec_of(name).kernel_release}")
    assert last_crashkernel(args) == last_crashkernel(effective)
    recovery = [a for _, a in linux_lines if " recovery " in a or a.rstrip().endswith("single")]
    assert recovery and all(last_crashkernel(a) is None for a in recovery)


def test_dash_rejects_a_bashism_so_the_check_means_something(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text('GRUB_CMDLINE_LINUX_DEFAULT+=" crashkernel=256M"\nif then\n')
    assert subprocess.run([DASH, "-n", str(bad)], capture_output=True).returncode != 0


BOOT_MARKERS = {
    "grub-debian": ("boot/grub/grub.cfg", "usr/sbin/update-grub", "usr/sbin/grub-mkconfig", "etc/default/grub"),
    "grub-bls": ("boot/grub2/grub.cfg", "boot/grub2/grubenv", "etc/default/grub", "usr/sbin/grubby",
                 "etc/kernel/cmdline"),
    "grubenv-kernelopts": ("boot/grub2/grub.cfg", "boot/grub2/grubenv", "etc/default/grub", "usr/sbin/grubby"),
    "grub-suse": ("etc/sysconfig/bootloader", "etc/default/grub", "boot/grub2/grub.cfg", "usr/sbin/grub2-mkconfig",
                  "usr/sbin/update-bootloader"),
    "zipl-bls": ("etc/zipl.conf", "usr/sbin/zipl", "usr/sbin/grubby"),
}


@pytest.mark.parametrize("name", [n for n in ALL if not spec_of(n).blockers or spec_of(n).boot_method != "none"])
def test_boot_method_files(roots, name):
    spec = spec_of(name)
    root = roots[name]
    for rel in BOOT_MARKERS[spec.boot_method]:
        assert (root / rel).exists(), rel
    for tool in ("usr/sbin/update-grub", "usr/sbin/grub-mkconfig", "usr/sbin/grubby", "usr/sbin/zipl",
                 "usr/bin/kdumpctl", "usr/sbin/kdump-config", "usr/sbin/kdumptool"):
        if (root / tool).exists():
            assert os.access(root / tool, os.X_OK), tool
    if spec.family == "redhat":
        entries = {p.name: p.read_text() for p in (root / "boot/loader/entries").glob("*.conf")}
        running = [t for t in entries.values() if re.search(rf"^version {re.escape(spec.kernel_release)}$", t, re.M)]
        assert len(running) == 1
        options = re.search(r"^options (.*)$", running[0], re.M).group(1)
        env = read(root, "boot/grub2/grubenv")
        if spec.boot_method == "grubenv-kernelopts":
            assert "$kernelopts" in options
            kernelopts = re.search(r"^kernelopts=(.*)$", env, re.M).group(1)
            assert last_crashkernel(kernelopts) == spec.running_crashkernel
        else:
            assert "$kernelopts" not in options and "kernelopts=" not in env
            assert last_crashkernel(options) == spec.running_crashkernel
            assert read(root, "etc/kernel/cmdline").strip() == options
        assert re.search(r"^saved_entry=\S+", env, re.M)
    if spec.family == "suse":
        assert re.search(r'^LOADER_TYPE="grub2(-efi)?"$', read(root, "etc/sysconfig/bootloader"), re.M)
        kdump = read(root, "etc/sysconfig/kdump")
        for line in ('KDUMP_SAVEDIR="/var/crash"', "KDUMP_DUMPLEVEL=31", 'KDUMP_DUMPFORMAT="compressed"',
                     "KDUMP_CPUS=32", 'KDUMP_AUTO_RESIZE="false"'):
            assert re.search(rf"^{re.escape(line)}$", kdump, re.M), line
        # kdump >= 2.1 (master/SLFO-1.2) has the keys and the unit; the SLE-15-SP6/SP7 branches have neither.
        line_21 = (root / "usr/lib/systemd/system/kdump-commandline.service").exists()
        assert line_21 == (spec.distro_id == "opensuse-tumbleweed")
        for line in ('KDUMP_CRASHKERNEL="auto"', 'KDUMP_UPDATE_BOOTLOADER="true"'):
            assert bool(re.search(rf"^{re.escape(line)}$", kdump, re.M)) == line_21, line
        assert "@if" not in kdump and "@endif" not in kdump


@pytest.mark.parametrize("name", [n for n in ALL if spec_of(n).family == "debian"])
def test_dpkg_status_parses(roots, name):
    spec = spec_of(name)
    root = roots[name]
    installed = {}
    for stanza in re.split(r"\n\s*\n", read(root, "var/lib/dpkg/status")):
        fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", stanza, re.M))
        if fields:
            assert {"Package", "Status", "Version", "Architecture"} <= set(fields), stanza[:80]
            if fields["Status"] == "install ok installed":
                installed[fields["Package"]] = fields["Version"]
    assert "base-files" in installed
    kdump = (root / "etc/default/grub.d/kdump-tools.cfg").exists()
    assert kdump == ("kdump-tools" in installed)
    if kdump:
        assert {"kexec-tools", "makedumpfile"} <= set(installed)
        link = root / "etc/systemd/system/basic.target.wants/kdump-tools.service"
        assert link.is_symlink() and link.resolve().is_file()
        assert "WantedBy=basic.target" in link.read_text()
        # The demo answered debconf's "enable kdump-tools?" with no; every fixture with yes.
        want = "USE_KDUMP=0" if name == "demo" else "USE_KDUMP=1"
        assert len(re.findall(r"^USE_KDUMP=", read(root, "etc/default/kdump-tools"), re.M)) == 1
        assert read(root, "etc/default/kdump-tools").count(want) == 1
        assert (root / "var/lib/kdump/vmlinuz").resolve() == (root / f"boot/vmlinuz-{spec.kernel_release}").resolve()
