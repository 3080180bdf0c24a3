"""Detection: read a host once and return its :class:`~kdumpwiz.engine.facts.Facts`.

Everything is read through the :class:`~kdumpwiz.engine.host.Host`, so the same
code describes the live machine, an image, or a fixture tree. Commands are only
asked on the live system, and only read-only ones (``systemctl is-active``).
"""

from __future__ import annotations

import os
import platform
import re
from typing import Dict, List, Optional, Tuple

import distro as distro_lib

from . import bootconfig, crashkernel
from .facts import (
    Blocker,
    BootInfo,
    Distro,
    DumpTarget,
    Facts,
    KernelFiles,
    KexecState,
    Memory,
    Packages,
    Service,
)
from .profiles import family_for, profile
from .crashkernel import MIB
from .errors import HostError
from .host import Host

SUPPORTED_ARCHES = ("x86_64", "aarch64", "ppc64le", "s390x")
_ARCH_ALIASES = {"amd64": "x86_64", "arm64": "aarch64", "ppc64el": "ppc64le", "x64": "x86_64"}
EFI_GLOBAL = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
_SZ_128M = 128 << 20
# MemTotal misses the kernel image, memmap and firmware holes: 2-4 % measured
# (field guide §3). Used only in the labelled fallback.
_MEMTOTAL_MARGIN = 0.03
# ELF e_machine values of the supported architectures (ppc64 is told apart by byte order).
_ELF_MACHINES = {0x3E: "x86_64", 0xB7: "aarch64", 0x15: "ppc64", 0x16: "s390x"}


def is_offline_image(host: Host) -> bool:
    """True for a root with no running kernel behind it: no /proc/cmdline and no /sys/kernel.

    An unbooted image, a mounted disk or a build tree: its kernel state is not
    "missing", it does not exist yet. Detection then skips the running-kernel
    checks instead of reporting them as failures, and sizing needs the RAM of
    the machine that will boot it (``--ram``).
    """
    return not host.is_live and not host.exists("/proc/cmdline") and not host.is_dir("/sys/kernel")


def _version_key(release: str) -> List[Tuple[int, object]]:
    """Sort key for kernel releases: numbers compare as numbers (6.1.0-10 > 6.1.0-9)."""
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.findall(r"\d+|[^\d.\-+_~]+", release)]


def newest_installed_release(host: Host) -> str:
    """The newest kernel release installed under /boot or /lib/modules (offline images)."""
    found = set()
    for name in host.listdir("/boot"):
        m = re.match(r"^(?:vmlinuz|vmlinux|Image|image)-(.+)$", name)
        if m and not m.group(1).endswith((".old", ".bak")) and "rescue" not in m.group(1):
            found.add(m.group(1))
    if not found:
        for base in ("/lib/modules", "/usr/lib/modules"):
            found.update(n for n in host.listdir(base) if host.is_dir(f"{base}/{n}/kernel"))
    return max(found, key=_version_key) if found else ""


def booted_release(host: Host) -> str:
    """The release in /proc/cmdline's ``BOOT_IMAGE=`` (GRUB's ``/boot/vmlinuz-6.1.0-50-amd64``), if any."""
    for word in (host.read_optional("/proc/cmdline") or "").split():
        if word.startswith("BOOT_IMAGE="):
            m = re.search(r"(?:vmlinuz|vmlinux|Image|image)-([^/\s]+)$", word[len("BOOT_IMAGE="):])
            if m:
                return m.group(1)
    return ""


def read_elf_arch(host: Host) -> Optional[str]:
    """The architecture a root's own binaries are built for (its /bin/sh's ELF header)."""
    for p in ("/bin/sh", "/usr/bin/sh", "/usr/bin/env", "/bin/busybox"):
        try:
            with open(host.path(p), "rb") as fh:
                head = fh.read(20)
        except OSError:
            continue
        if len(head) < 20 or head[:4] != b"\x7fELF":
            continue
        little = head[5] == 1
        machine = int.from_bytes(head[18:20], "little" if little else "big")
        arch = _ELF_MACHINES.get(machine)
        if arch == "ppc64":
            return "ppc64le" if little else "ppc64"
        if arch:
            return arch
    return None


def normalize_arch(arch: str) -> str:
    """``uname -m`` spelling of an architecture name (amd64 -> x86_64, ...)."""
    arch = arch.strip().lower()
    return _ARCH_ALIASES.get(arch, arch)


def _read_int(host: Host, path: str) -> Optional[int]:
    text = host.read_optional(path)
    if text is None:
        return None
    try:
        return int(text.strip(), 0)
    except ValueError:
        return None


def read_distro(host: Host) -> Distro:
    """os-release through python-distro, without touching the real /etc off the live root."""
    os_release = ""
    for candidate in ("/etc/os-release", "/usr/lib/os-release"):
        if host.is_file(candidate):
            os_release = str(host.path(candidate))
            break
    if not os_release:
        return Distro(id="", version="", like=(), name="unknown (no os-release)")
    info = distro_lib.LinuxDistribution(
        include_lsb=False,
        include_uname=False,
        include_oslevel=False,
        os_release_file=os_release,
        # The *-release files are legacy and only refine old releases; reading
        # /dev/null keeps python-distro from scanning the real /etc.
        distro_release_file=os.devnull,
    )
    return Distro(
        id=info.id(),
        version=info.version(),
        like=tuple(info.like().split()),
        name=info.name(pretty=True),
        codename=info.codename(),
    )


def read_arch(host: Host, release: str, override: Optional[str]) -> str:
    """The architecture: ``--arch``, else /proc/sys/kernel/arch, else the release suffix, else the host's."""
    if override:
        return normalize_arch(override)
    text = host.read_optional("/proc/sys/kernel/arch")
    if text and text.strip():
        return normalize_arch(text)
    for suffix, arch in (
        ("x86_64", "x86_64"), ("amd64", "x86_64"), ("aarch64", "aarch64"), ("arm64", "aarch64"),
        ("ppc64le", "ppc64le"), ("s390x", "s390x"),
    ):
        if suffix in release:
            return arch
    if host.is_live:
        return normalize_arch(platform.machine())
    return read_elf_arch(host) or "unknown"


def read_page_size(host: Host, release: str, arch: str) -> int:
    """Kernel page size: 64k arm64/ppc64 kernels need a larger reservation."""
    if "64k" in release:
        return 65536
    pmd = _read_int(host, "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")
    if pmd == 512 << 20:      # 64 KiB pages on arm64
        return 65536
    if pmd == 16 << 20 and arch == "ppc64le":  # 64 KiB pages on ppc64 (radix)
        return 65536
    if host.is_live:
        return os.sysconf("SC_PAGE_SIZE")
    return 4096


def read_cpus(host: Host) -> int:
    """Online CPUs from sysfs (ranges like ``0-3,5``), else /proc/cpuinfo."""
    text = host.read_optional("/sys/devices/system/cpu/online")
    if text and text.strip():
        count = 0
        for part in text.strip().split(","):
            if "-" in part:
                a, b = part.split("-", 1)
                count += int(b) - int(a) + 1
            elif part.isdigit():
                count += 1
        if count:
            return count
    info = host.read_optional("/proc/cpuinfo") or ""
    count = len(re.findall(r"^processor\s*:", info, flags=re.M))
    return count or 1


def parse_iomem(text: str) -> Tuple[int, List[Tuple[int, int]]]:
    """(sum of top-level System RAM bytes, "Crash kernel" ranges) of /proc/iomem text."""
    total = 0
    crash: List[Tuple[int, int]] = []
    for line in text.splitlines():
        m = re.match(r"^(\s*)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$", line)
        if not m:
            continue
        start, end = int(m.group(2), 16), int(m.group(3), 16)
        name = m.group(4).strip()
        # Non-root readers get 00000000-00000000 for every line: not one byte of RAM.
        if name == "System RAM" and not m.group(1) and end > start:
            total += end - start + 1
        elif name.lower() == "crash kernel" and end > start:
            crash.append((start, end))
    return total, crash


def meminfo_kib(text: str, key: str) -> Optional[int]:
    """The value of ``key`` in a /proc/meminfo text, in KiB (None when absent)."""
    m = re.search(rf"^{key}:\s+(\d+)\s*kB", text, flags=re.M)
    return int(m.group(1)) if m else None


def read_memory(host: Host, crash_size: Optional[int]) -> Memory:
    """RAM as crashkernel's range matching sees it (field guide §3)."""
    iomem = host.read_optional("/proc/iomem") or ""
    total, _ = parse_iomem(iomem)
    meminfo = host.read_optional("/proc/meminfo") or ""
    memtotal_kib = meminfo_kib(meminfo, "MemTotal")
    memtotal = memtotal_kib * 1024 if memtotal_kib else None
    if total > 0:
        return Memory(total, _round_up(total, _SZ_128M), "iomem", memtotal)
    if memtotal:
        # Non-root readers see zero addresses in /proc/iomem; MemTotal lacks the
        # reservation and the kernel's own memory, so add both back, and say so.
        estimate = int(memtotal * (1 + _MEMTOTAL_MARGIN)) + (crash_size or 0)
        return Memory(
            estimate,
            _round_up(estimate, _SZ_128M),
            "meminfo-fallback",
            memtotal,
            note="estimated from MemTotal (+3 % and the current reservation): /proc/iomem was not readable; "
            "run as root for the exact figure",
        )
    return Memory(0, 0, "unknown", None, note="neither /proc/iomem nor /proc/meminfo could be read")


def _round_up(value: int, unit: int) -> int:
    return -(-value // unit) * unit


def read_kexec(host: Host, ram: int, arch: str) -> KexecState:
    """The running kernel's crash-kernel state."""
    loaded_text = host.read_optional("/sys/kernel/kexec_crash_loaded")
    supported = loaded_text is not None
    cmdline = (host.read_optional("/proc/cmdline") or "").strip()
    _, crash_ranges = parse_iomem(host.read_optional("/proc/iomem") or "")
    res = crashkernel.evaluate(cmdline, ram or 1, arch) if cmdline else None
    return KexecState(
        supported=supported,
        crash_loaded=(loaded_text.strip() == "1") if loaded_text is not None else None,
        crash_size=_read_int(host, "/sys/kernel/kexec_crash_size"),
        iomem_ranges=tuple(crash_ranges),
        running_cmdline=cmdline,
        running_crashkernel=res.spec if res is not None and res.found else None,
    )


def read_kernel_files(host: Host, release: str) -> KernelFiles:
    """Kernel, initrd and kdump initrd of the running release (sizes feed the estimate)."""

    def first(paths: List[str]) -> Tuple[Optional[str], Optional[int]]:
        for p in paths:
            size = host.size(p)
            if size is not None:
                return p, size
        return None, None

    vmlinuz, vmlinuz_bytes = first(
        [f"/boot/vmlinuz-{release}", f"/boot/vmlinux-{release}", f"/boot/Image-{release}",
         f"/boot/image-{release}", f"/lib/modules/{release}/vmlinuz", f"/usr/lib/modules/{release}/vmlinuz"]
    )
    initrd, initrd_bytes = first(
        [f"/boot/initrd.img-{release}", f"/boot/initramfs-{release}.img", f"/boot/initrd-{release}"]
    )
    kdump_initrd, kdump_bytes = first(
        [f"/var/lib/kdump/initrd.img-{release}", f"/boot/initramfs-{release}kdump.img",
         f"/boot/initrd-{release}-kdump", f"/var/lib/kdump/initramfs-{release}kdump.img",
         # SUSE's mkdumprd writes one kdump initrd for the kernel it loads (every kdump branch).
         "/var/lib/kdump/initrd"]
    )
    modules = 0
    for base in (f"/lib/modules/{release}", f"/usr/lib/modules/{release}"):
        dep = host.read_optional(f"{base}/modules.dep")
        if dep is not None:
            modules = sum(1 for line in dep.splitlines() if line.strip())
            break
    unpacked = None
    if kdump_initrd and kdump_initrd.startswith("/var/lib/kdump/initrd.img-"):
        record = f"/var/lib/kdump/size_initrd.img-{release}"
        text = (host.read_optional(record) or "").strip()
        if text.isdigit() and int(text) > 0 and not _older_than(host, record, kdump_initrd):
            unpacked = int(text) * MIB
    return KernelFiles(release, vmlinuz, vmlinuz_bytes, initrd, initrd_bytes, kdump_initrd, kdump_bytes, modules,
                       init_size=bzimage_init_size(host, vmlinuz) if vmlinuz else None,
                       kdump_initrd_unpacked_bytes=unpacked,
                       kdump_initrd_modules=kdump_initrd_modules(host) if unpacked is None and kdump_initrd
                       and kdump_initrd.startswith("/var/lib/kdump/") else None,
                       cma_default_bytes=kernel_cma_default(host, release))


_CMA_OPTION_RE = re.compile(r"^(CONFIG_(?:CMA|DMA_CMA|CMA_SIZE_SEL_MBYTES|CMA_SIZE_MBYTES))=(.*)$", re.M)


def kernel_cma_default(host: Host, release: str) -> int:
    """The default CMA size the kernel's build configuration selects, in bytes (0: none or unknown).

    Debian's arm64 kernels are built with CONFIG_CMA_SIZE_MBYTES=64 (amd64: CONFIG_CMA not
    set); a size chosen as a percentage of RAM is not counted (unknown inside a reservation).
    """
    text = host.read_optional(f"/boot/config-{release}")
    if not text:
        return 0
    # Only the four options that decide it: the config has some 10,000 lines, read at every detect.
    opts: Dict[str, str] = {m.group(1): m.group(2) for m in _CMA_OPTION_RE.finditer(text)}
    if opts.get("CONFIG_CMA") != "y" or opts.get("CONFIG_DMA_CMA") != "y" or opts.get("CONFIG_CMA_SIZE_SEL_MBYTES") != "y":
        return 0
    value = opts.get("CONFIG_CMA_SIZE_MBYTES", "0")
    return int(value) * MIB if value.isdigit() else 0


_MODULES_RE = re.compile(r"^[ \t]*MODULES=[\"']?([a-z]+)[\"']?[ \t]*(?:#.*)?$", re.M)
_CONF_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def kdump_initrd_modules(host: Host) -> Optional[str]:
    """MODULES= of kdump-tools' copy of the initramfs configuration, as mkinitramfs reads it.

    kdump-tools' kernel hook copies /etc/initramfs-tools to /var/lib/kdump/initramfs-tools,
    adds conf.d/zzz-kdump (MODULES=dep when the system uses most) and builds from it:
    initramfs.conf first, then conf.d/* in order, the last assignment wins (the hook's own
    file-name filter: alphanumeric start, no .dpkg-* files).
    """
    base = "/var/lib/kdump/initramfs-tools"
    found: Optional[str] = None
    texts = [host.read_optional(f"{base}/initramfs.conf") or ""]
    texts += [host.read_optional(f"{base}/conf.d/{n}") or "" for n in host.listdir(f"{base}/conf.d")
              if _CONF_NAME_RE.match(n) and ".dpkg-" not in n]
    for text in texts:
        for m in _MODULES_RE.finditer(text):
            found = m.group(1)
    return found


def _older_than(host: Host, record: str, data: str) -> bool:
    """True when ``record`` was written before ``data`` changed: kdump-tools' hook writes the
    size record right after the initrd, so an initrd rebuilt by hand leaves a stale one."""
    try:
        return host.stat(record).st_mtime + 2 < host.stat(data).st_mtime
    except HostError:
        return True


def bzimage_init_size(host: Host, path: str) -> Optional[int]:
    """``init_size`` from an x86 bzImage's setup header (boot protocol 2.10+), None for other images.

    The header starts at 0x1f1; "HdrS" at 0x202, the protocol version at 0x206,
    ``init_size`` (u32, little-endian) at 0x260 (Documentation/arch/x86/boot.rst).
    """
    try:
        head = host.read_head(path, 0x264)
    except HostError:
        return None
    if len(head) < 0x264 or head[0x202:0x206] != b"HdrS":
        return None
    if int.from_bytes(head[0x206:0x208], "little") < 0x20A:
        return None
    size = int.from_bytes(head[0x260:0x264], "little")
    return size or None


def read_container(host: Host) -> Optional[str]:
    """The container manager's name if this root runs in a container (systemd's order)."""
    if host.exists("/proc/vz") and not host.exists("/proc/bc"):
        return "openvz"
    osrelease = host.read_optional("/proc/sys/kernel/osrelease") or ""
    if "Microsoft" in osrelease or "WSL" in osrelease:
        return "wsl"
    manager = host.read_optional("/run/host/container-manager")
    if manager and manager.strip():
        return manager.strip()
    marker = host.read_optional("/run/systemd/container")
    if marker and marker.strip():
        return marker.strip()
    if host.exists("/run/.containerenv"):
        return "podman"
    if host.exists("/.dockerenv"):
        return "docker"
    environ = host.read_optional("/proc/1/environ")
    if environ:
        for item in environ.split("\0"):
            if item.startswith("container=") and item[len("container="):]:
                return item[len("container="):]
    return None


def read_secure_boot(host: Host) -> Optional[bool]:
    """True when UEFI Secure Boot is enforced (SecureBoot=1 and SetupMode=0), None without EFI."""
    base = "/sys/firmware/efi/efivars"
    if not host.is_dir(base):
        if host.read_optional("/sys/firmware/ipl/secure") is not None:
            return (host.read_optional("/sys/firmware/ipl/secure") or "").strip() == "1"
        return None
    try:
        sb = host.read_bytes(f"{base}/SecureBoot-{EFI_GLOBAL}")
    except Exception:
        return False
    try:
        setup = host.read_bytes(f"{base}/SetupMode-{EFI_GLOBAL}")
    except Exception:
        setup = b"\0\0\0\0\0"
    return len(sb) >= 5 and sb[4] == 1 and not (len(setup) >= 5 and setup[4] == 1)


def read_lockdown(host: Host) -> Optional[str]:
    """The active lockdown level (the bracketed word), None without the LSM."""
    text = host.read_optional("/sys/kernel/security/lockdown")
    if not text:
        return None
    m = re.search(r"\[(\w+)\]", text)
    return m.group(1) if m else None


def read_boot_method(host: Host, family: Optional[str], arch: str) -> Tuple[str, str]:
    """(method, why) following the decision list of field guide §7.6."""
    if host.exists("/run/ostree-booted"):
        return "ostree", "/run/ostree-booted exists"
    if family == "suse":
        loader = host.read_optional("/etc/sysconfig/bootloader") or ""
        m = re.search(r'^LOADER_TYPE="?([\w-]+)"?', loader, flags=re.M)
        kind = m.group(1) if m else ""
        if kind in ("grub2", "grub2-efi"):
            return "grub-suse", f"LOADER_TYPE={kind}"
        if kind in ("grub2-bls", "systemd-boot"):
            return "suse-bls", f"LOADER_TYPE={kind}"
        return "unknown", f"LOADER_TYPE={kind or 'missing'} in /etc/sysconfig/bootloader"
    has_bls = any(n.endswith(".conf") for n in host.listdir(bootconfig.BLS_DIR))
    if family == "redhat":
        if arch == "s390x" and host.exists("/etc/zipl.conf") and has_bls:
            return "zipl-bls", "s390x with /etc/zipl.conf and BLS entries"
        if has_bls:
            entries = bootconfig.bls_entries(host)
            if any(e.uses_kernelopts for e in entries) and bootconfig.grubenv_path(host):
                return "grubenv-kernelopts", "BLS entries take $kernelopts from grubenv (RHEL 8 style)"
            if host.exists("/boot/grub2/grub.cfg") or host.exists("/boot/grub2/grubenv"):
                return "grub-bls", "GRUB 2 with BLS entries"
            if host.exists("/etc/kernel/cmdline"):
                return "systemd-boot", "BLS entries without GRUB 2 and /etc/kernel/cmdline"
        return "unknown", "no BLS entries in /boot/loader/entries"
    if family == "debian":
        if arch == "s390x" and host.exists("/etc/zipl.conf"):
            return "zipl-debian", "s390x with /etc/zipl.conf"
        if host.exists(bootconfig.GRUB_DEFAULT) and (
            host.exists("/usr/sbin/update-grub") or host.exists("/boot/grub/grub.cfg")
        ):
            return "grub-debian", "GRUB 2 with /etc/default/grub and update-grub"
        if host.exists("/etc/kernel/cmdline") and has_bls:
            return "systemd-boot", "loader entries and /etc/kernel/cmdline"
        return "unknown", "no /etc/default/grub with update-grub"
    return "unknown", "unknown distribution family"


def read_dump(host: Host, path: str) -> DumpTarget:
    """Free space, LUKS and existing dumps at the local dump directory."""
    luks = False
    mounts = host.read_optional("/proc/mounts") or ""
    best = ("", "")
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            mnt = fields[1]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best[1]):
                best = (fields[0], mnt)
    source = best[0]
    crypttab = host.read_optional("/etc/crypttab") or ""
    names = [l.split()[0] for l in crypttab.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    if source.startswith("/dev/mapper/") and source[len("/dev/mapper/"):] in names:
        luks = True
    elif source.startswith("/dev/mapper/") and any(n in source for n in ("luks", "crypt")):
        luks = True
    dumps = tuple(n for n in host.listdir(path) if not n.startswith(".") and n not in ("kexec_cmd", "kdump_lock"))
    return DumpTarget(path=path, free_bytes=host.free_bytes(path), luks=luks, existing_dumps=dumps)


def read_service(host: Host, unit: str) -> Service:
    """Is the unit installed, enabled (a .wants symlink), active (live only)?"""
    present = any(host.exists(f"{d}/{unit}") for d in
                  ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"))
    enabled = False
    for name in host.listdir("/etc/systemd/system"):
        if name.endswith(".wants") and host.lexists(f"/etc/systemd/system/{name}/{unit}"):
            enabled = True
            break
    active: Optional[bool] = None
    if host.is_live and host.which("systemctl"):
        result = host.run(["systemctl", "is-active", unit], timeout=20)
        active = result.stdout.strip() == "active"
    return Service(unit=unit, present=present, enabled=enabled, active=active)


def given_memory(ram: int) -> Memory:
    """The RAM an administrator named for an offline image (``--ram``)."""
    return Memory(ram, _round_up(ram, _SZ_128M), "given", None,
                  note="given with --ram: the RAM of the machine that will boot this image")


def detect(host: Host, arch: Optional[str] = None, ram: Optional[int] = None) -> Facts:
    """Read everything kdumpwiz needs to know about ``host`` (see :class:`Facts`).

    ``ram`` (bytes) is only for offline images (:func:`is_offline_image`): a
    running kernel's own count is never overridden, since ranges are matched
    against exactly that count at boot.
    """
    with host.reading():  # every file read once, however many helpers ask (bench/speed)
        return _detect(host, arch, ram)


def _detect(host: Host, arch: Optional[str] = None, ram: Optional[int] = None) -> Facts:
    """The body of :func:`detect`, inside its read scope."""
    offline = is_offline_image(host)
    if ram is not None and not offline:
        raise ValueError("--ram is only for offline images (a root without /proc/cmdline and /sys/kernel): "
                         "here the RAM is read from the running kernel's /proc/iomem")
    if ram is not None and ram <= 0:
        raise ValueError(f"--ram must be a positive size, not {ram}")
    release = (host.read_optional("/proc/sys/kernel/osrelease") or "").strip()
    if not release and host.is_live:
        release = platform.release()
    if not release and not host.is_live and not offline:
        # A copied tree keeps /proc/cmdline but seldom /proc/sys: the boot loader named the kernel it booted.
        release = booted_release(host)
    if not release and not host.is_live:
        release = newest_installed_release(host)
    hostname = (host.read_optional("/proc/sys/kernel/hostname") or host.read_optional("/etc/hostname") or "").strip()
    dist = read_distro(host)
    family = family_for(dist)
    the_arch = read_arch(host, release, arch)
    crash_size = _read_int(host, "/sys/kernel/kexec_crash_size")
    if ram is not None:
        memory = given_memory(ram)
    elif offline:
        memory = Memory(0, 0, "unknown", None, note="offline image: the RAM of the machine that will boot it is unknown")
    else:
        memory = read_memory(host, crash_size)
    kexec = read_kexec(host, memory.system_ram_bytes, the_arch)
    method, why = read_boot_method(host, family, the_arch)
    cmdline, detail = bootconfig.configured_cmdline(host, method, release)
    configured_ck = None
    if cmdline is not None:
        res = crashkernel.evaluate(cmdline, memory.system_ram_bytes or 1, the_arch)
        configured_ck = res.spec if res.found else None
    boot = BootInfo(
        method=method,
        efi=host.is_dir("/sys/firmware/efi"),
        secure_boot=read_secure_boot(host),
        lockdown=read_lockdown(host),
        files=tuple(profile(family).boot_files(host, method)) if family else (),
        configured_cmdline=cmdline,
        configured_crashkernel=configured_ck,
        detail=f"{why}; {detail}",
    )
    fam = profile(family) if family else None
    packages = fam.packages(host, dist) if fam else Packages((), (), (), ())
    service = read_service(host, fam.service_unit) if fam else Service("", False, False, None)
    dump = read_dump(host, fam.current_dump_path(host) if fam else "/var/crash")
    container = read_container(host)

    blockers: List[Blocker] = []
    warnings: List[str] = []
    if container:
        blockers.append(Blocker(
            "container",
            f"this is a container ({container}): its kernel and boot loader belong to the host",
            "run kdumpwiz on the host or virtual machine that boots the kernel",
        ))
    if offline and memory.system_ram_bytes == 0:
        blockers.append(Blocker(
            "ram-unknown",
            "this is an offline image (no /proc/cmdline or /sys/kernel under the root): the RAM of the machine "
            "that will boot it is unknown, and crashkernel= sizes depend on it",
            "pass --ram SIZE with the RAM of the target machine (e.g. --ram 16G), or run kdumpwiz on that machine",
        ))
    if not kexec.supported and not offline:
        blockers.append(Blocker(
            "no-kexec",
            "the running kernel has no kexec/crash-dump support (/sys/kernel/kexec_crash_loaded is missing)",
            "boot a kernel built with CONFIG_KEXEC and CONFIG_CRASH_DUMP (any distribution kernel) and run kdumpwiz again",
        ))
    if family is not None and not container and method != "ostree" and not host.listdir("/boot"):
        # An unmounted /boot partition: the kernel and boot loader files are
        # elsewhere, and update-grub/grub2-mkconfig/zipl would write beside them.
        blockers.append(Blocker(
            "boot-missing",
            "/boot is missing or empty (a separate /boot partition that is not mounted?)",
            "mount /boot (see /etc/fstab) and run kdumpwiz again",
        ))
    if family is None:
        blockers.append(Blocker(
            "unknown-family",
            f"unsupported distribution {dist.name or dist.id or 'unknown'!r} (ID={dist.id!r}, ID_LIKE={' '.join(dist.like)!r})",
            "kdumpwiz supports Debian/Ubuntu, the RHEL family (RHEL, CentOS, Rocky, Alma, Oracle, Fedora, Amazon) and SUSE",
        ))
    if the_arch not in SUPPORTED_ARCHES:
        blockers.append(Blocker(
            "unsupported-arch",
            f"architecture {the_arch!r} is not supported",
            f"kdumpwiz supports {', '.join(SUPPORTED_ARCHES)}; pass --arch if detection was wrong",
        ))
    if family and not blockers and fam is not None and method not in fam.supported_boot_methods:
        blockers.append(Blocker(
            "boot-method",
            f"boot method {method!r} ({why}) is not one kdumpwiz can edit safely on {family}",
            fam.boot_method_remedy(method),
        ))
    from .apply import interrupted  # late: apply imports the planning modules

    stuck = interrupted(host)
    if stuck is not None:
        # Said first thing by every run (detect, the wizard's System step): the
        # files may be written while update-grub & co. never ran.
        warnings.append(f"apply {stuck.id} was interrupted before it finished: run {host.cli('apply --finish --yes')} "
                        f"to complete it or {host.cli('rollback')} to undo it")
    if host.is_live and os.geteuid() != 0:
        # Said up front: otherwise the admin reviews a whole plan only to be refused at Apply.
        warnings.append("not running as root: kdumpwiz can detect and plan, but applying needs root "
                        "(run it with sudo), and some readings are less exact")
    if offline:
        warnings.append("offline image: the running-kernel checks are skipped; commands run through chroot, where "
                        "boot-loader tools usually need /proc, /sys and /dev (--skip-commands writes the files only "
                        "and lists them); boot the image and run 'kdumpwiz verify' there")
    if memory.source == "meminfo-fallback":
        warnings.append(memory.note)
    if boot.secure_boot:
        warnings.append("Secure Boot is enforced: the capture kernel must be signed and loaded with kexec_file_load (kexec -s)")
    if boot.lockdown and boot.lockdown != "none":
        warnings.append(f"kernel lockdown is '{boot.lockdown}': kexec_load is refused, kexec -s (kexec_file_load) is needed")
    if packages.missing:
        warnings.append(f"missing packages: {' '.join(packages.missing)} (install: {' '.join(packages.install_argv)})")
    if dump.luks:
        warnings.append(f"the dump directory {dump.path} is on an encrypted (LUKS) volume: the capture kernel must unlock it")

    return Facts(
        hostname=hostname,
        distro=dist,
        family=family,
        arch=the_arch,
        page_size=read_page_size(host, release, the_arch),
        cpus=read_cpus(host),
        memory=memory,
        kexec=kexec,
        kernel=read_kernel_files(host, release),
        boot=boot,
        packages=packages,
        service=service,
        dump=dump,
        container=container,
        blockers=tuple(blockers),
        offline=offline,
        warnings=tuple(warnings),
        extra=fam.extra_facts(host) if fam else {},
    )
