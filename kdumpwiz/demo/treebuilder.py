"""Write fake root trees of Linux machines: the files kdumpwiz reads, nothing else.

Shared by the packaged demo machine (:mod:`kdumpwiz.demo`) and the test fixtures
(``tests/fixtures/systems.py``). Standard library only, and no engine imports:
this module describes machines, it does not interpret them.

The pieces, from small to large:

* :class:`Tree`: writes text, bytes, sparse files, placeholder executables and
  *relative* symlinks under a root directory.
* :class:`Res` with :func:`render_iomem` and the layout functions
  (:func:`x86_bios_iomem`, :func:`x86_uefi_iomem`, :func:`arm64_uefi_iomem`,
  :func:`ppc64le_iomem`, :func:`s390x_iomem`): ``/proc/iomem`` as the kernel prints it.
* :func:`render_meminfo`, :func:`render_cpuinfo`, :func:`render_mounts`,
  :func:`render_dpkg_status`: the other /proc and package-database texts.
* :class:`Machine` with :func:`write_machine`: every file any machine has
  (os-release, /proc, /sys, /var/crash, fstab, ...).
* :class:`DebianSystem` with :func:`build_debian_family`: a Debian or Ubuntu
  machine with GRUB, ``/etc/default/grub.d`` and optionally kdump-tools.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30

EFI_GLOBAL_GUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
PLACEHOLDER_SCRIPT = "#!/bin/sh\nexit 0\n"
LOCKDOWN_NONE = "[none] integrity confidentiality\n"
LOCKDOWN_INTEGRITY = "none [integrity] confidentiality\n"

# Kernel config lines every kdump-capable distro kernel has (field guide §10).
KEXEC_CONFIG_LINES = (
    "CONFIG_RELOCATABLE=y",
    "CONFIG_KEXEC=y",
    "CONFIG_KEXEC_FILE=y",
    "CONFIG_KEXEC_SIG=y",
    "CONFIG_CRASH_DUMP=y",
    "CONFIG_PROC_VMCORE=y",
)


# ---------------------------------------------------------------------------
# Writing files
# ---------------------------------------------------------------------------


class Tree:
    """A root directory to write a machine into; every path is relative to it."""

    def __init__(self, root: Union[str, Path]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, rel: str) -> Path:
        """The real path of ``rel`` (refuses absolute paths and ``..``)."""
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts:
            raise ValueError(f"tree path must be relative and stay inside the root: {rel!r}")
        return self.root.joinpath(*pure.parts)

    def mkdir(self, rel: str, mode: int = 0o755) -> Path:
        """Create directory ``rel`` (and its parents)."""
        p = self.path(rel)
        p.mkdir(parents=True, exist_ok=True)
        os.chmod(p, mode)
        return p

    def data(self, rel: str, content: bytes, mode: int = 0o644) -> Path:
        """Write ``content`` to ``rel``."""
        p = self.path(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
        os.chmod(p, mode)
        return p

    def text(self, rel: str, content: str, mode: int = 0o644) -> Path:
        """Write UTF-8 text to ``rel``."""
        return self.data(rel, content.encode("utf-8"), mode)

    def sparse(self, rel: str, size: int, mode: int = 0o644) -> Path:
        """A file of ``size`` bytes that takes no disk space (a kernel, an initrd)."""
        p = self.path(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "wb") as f:
            f.truncate(size)
        os.chmod(p, mode)
        return p

    def placeholder(self, rel: str) -> Path:
        """An executable stand-in for a tool (``#!/bin/sh`` / ``exit 0``)."""
        return self.text(rel, PLACEHOLDER_SCRIPT, 0o755)

    def symlink(self, rel: str, target: str) -> Path:
        """Symlink ``rel`` -> ``target``; absolute targets are refused (they escape the tree)."""
        if PurePosixPath(target).is_absolute():
            raise ValueError(f"symlink {rel} -> {target}: absolute targets escape the tree")
        p = self.path(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_symlink() or p.exists():
            p.unlink()
        os.symlink(target, p)
        return p

    def link_to(self, rel: str, dest_rel: str) -> Path:
        """Symlink ``rel`` to the tree path ``dest_rel``, spelled relative to ``rel``'s directory."""
        target = os.path.relpath(dest_rel, os.path.dirname(rel) or ".")
        return self.symlink(rel, target)


def md5_text(content: str) -> str:
    """The md5 dpkg records for a conffile with this content."""
    return hashlib.md5(content.encode("utf-8")).hexdigest()  # noqa: S324 - dpkg's checksum, not security


# ---------------------------------------------------------------------------
# /proc/iomem
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Res:
    """One /proc/iomem resource: inclusive ``start``-``end``, a name, child resources."""

    start: int
    end: int
    name: str
    children: Tuple["Res", ...] = ()

    @property
    def size(self) -> int:
        """Bytes covered (``end - start + 1``)."""
        return self.end - self.start + 1


RAM = "System RAM"


def render_iomem(regions: Sequence[Res]) -> str:
    """Print resources like the kernel: ``%0*llx`` with width 8, two spaces per level."""
    lines: List[str] = []

    def emit(res: Res, depth: int) -> None:
        """Print ``res`` and, indented, its children."""
        lines.append(f"{'  ' * depth}{res.start:08x}-{res.end:08x} : {res.name}")
        for child in res.children:
            emit(child, depth + 1)

    for region in regions:
        emit(region, 0)
    return "\n".join(lines) + "\n"


def ram_bytes(regions: Sequence[Res]) -> int:
    """Sum of the top-level "System RAM" resources (what memblock counts, field guide §3)."""
    return sum(r.size for r in regions if r.name == RAM)


def add_child(regions: Sequence[Res], child: Res) -> List[Res]:
    """Insert ``child`` under the top-level System RAM resource that contains it."""
    out: List[Res] = []
    placed = False
    for r in regions:
        if not placed and r.name == RAM and r.start <= child.start and child.end <= r.end:
            kids = sorted(r.children + (child,), key=lambda c: c.start)
            out.append(replace(r, children=tuple(kids)))
            placed = True
        else:
            out.append(r)
    if not placed:
        raise ValueError(f"no System RAM region holds {child.start:x}-{child.end:x}")
    return out


def reserve_crash_kernel(regions: Sequence[Res], size: int, limit: int = 4 * GiB,
                         align: int = 16 * MiB) -> Tuple[List[Res], Res]:
    """Add a ``Crash kernel`` child the way x86/s390 place it: top-down below ``limit``.

    Returns the new regions and the crash resource. The top 16 MiB of the chosen
    region stay free, as on real machines (other early allocations live there).
    """
    for r in sorted((r for r in regions if r.name == RAM and r.start < limit),
                    key=lambda r: r.start, reverse=True):
        top = min(r.end + 1, limit)
        end = (top // align) * align - align
        start = end - size
        if start >= r.start and all(c.end < start or c.start >= end for c in r.children):
            crash = Res(start, end - 1, "Crash kernel")
            return add_child(regions, crash), crash
    raise ValueError(f"no room for a {size}-byte crash kernel below {limit:#x}")


def x86_kernel_children(base: int, code: int, rodata: int, data: int, bss: int) -> Tuple[Res, ...]:
    """``Kernel code/rodata/data/bss`` children, each section starting 2 MiB- or page-aligned."""
    def up(x: int, a: int) -> int:
        """Round ``x`` up to a multiple of ``a``."""
        return (x + a - 1) // a * a

    code_r = Res(base, base + code - 1, "Kernel code")
    ro_start = up(code_r.end + 1, 2 * MiB)
    ro_r = Res(ro_start, ro_start + rodata - 1, "Kernel rodata")
    data_start = up(ro_r.end + 1, 2 * MiB)
    data_r = Res(data_start, data_start + data - 1, "Kernel data")
    bss_start = up(data_r.end + 1 + 0x8b4000, 4 * KiB)  # init sections sit between data and bss
    bss_r = Res(bss_start, bss_start + bss - 1, "Kernel bss")
    return (code_r, ro_r, data_r, bss_r)


def x86_bios_iomem(ram_gib: float, kernel: Tuple[Res, ...], firmware: str = "seabios") -> List[Res]:
    """A legacy-BIOS x86_64 VM: SeaBIOS (QEMU i440fx) or AWS Nitro's e820 map.

    RAM below 4 GiB stops at 3 GiB (the PCI hole starts at 0xc0000000); the rest
    is remapped above 4 GiB, as QEMU and EC2 do.
    """
    total = int(ram_gib * GiB)
    low = min(total, 3 * GiB)
    high = total - low
    if firmware == "seabios":
        base_end, top_reserved = 0x9fbff, 0x25000
        head = [
            Res(0x00000000, 0x00000fff, "Reserved"),
            Res(0x00001000, base_end, RAM),
            Res(0x0009fc00, 0x0009ffff, "Reserved"),
            Res(0x000a0000, 0x000bffff, "PCI Bus 0000:00"),
            Res(0x000c0000, 0x000c99ff, "Video ROM"),
            Res(0x000ca000, 0x000cadff, "Adapter ROM"),
            Res(0x000cb000, 0x000cb5ff, "Adapter ROM"),
            Res(0x000f0000, 0x000fffff, "Reserved", (Res(0x000f0000, 0x000fffff, "System ROM"),)),
        ]
    else:  # nitro
        base_end, top_reserved = 0x9dfff, 0x17000
        head = [
            Res(0x00000000, 0x00000fff, "Reserved"),
            Res(0x00001000, base_end, RAM),
            Res(0x0009e000, 0x0009ffff, "Reserved"),
            Res(0x000a0000, 0x000bffff, "PCI Bus 0000:00"),
            Res(0x000e0000, 0x000fffff, "Reserved", (Res(0x000f0000, 0x000fffff, "System ROM"),)),
        ]
    low_end = low - top_reserved - 1
    regions = head + [
        Res(0x00100000, low_end, RAM, kernel),
        Res(low_end + 1, low - 1, "Reserved"),
        Res(0xc0000000, 0xfebfffff, "PCI Bus 0000:00", (
            Res(0xfd000000, 0xfdffffff, "0000:00:02.0"),
            Res(0xfeb80000, 0xfebbffff, "0000:00:03.0"),
        )),
        Res(0xfec00000, 0xfec003ff, "IOAPIC 0"),
        Res(0xfed00000, 0xfed003ff, "HPET 0", (Res(0xfed00000, 0xfed003ff, "PNP0103:00"),)),
        Res(0xfee00000, 0xfee00fff, "Local APIC", (Res(0xfee00000, 0xfee00fff, "Reserved"),)),
        Res(0xfffc0000, 0xffffffff, "Reserved"),
    ]
    if high:
        regions.append(Res(0x100000000, 0x100000000 + high - 1, RAM))
    regions.append(Res(0x100000000 + max(high, 4 * GiB), 0x100000000 + max(high, 4 * GiB) + 0x7fffffff,
                       "PCI Bus 0000:00"))
    return regions


def x86_uefi_iomem(ram_gib: float, kernel: Tuple[Res, ...]) -> List[Res]:
    """A UEFI x86_64 VM (QEMU q35 + OVMF): 2 GiB below the hole, cut up by ACPI/EFI ranges."""
    total = int(ram_gib * GiB)
    high = total - 2 * GiB
    nvs = "ACPI Non-volatile Storage"
    return [
        Res(0x00000000, 0x00000fff, "Reserved"),
        Res(0x00001000, 0x0009ffff, RAM),
        Res(0x000a0000, 0x000fffff, "Reserved", (
            Res(0x000a0000, 0x000bffff, "PCI Bus 0000:00"),
            Res(0x000f0000, 0x000fffff, "System ROM"),
        )),
        Res(0x00100000, 0x007fffff, RAM),
        Res(0x00800000, 0x00807fff, nvs),
        Res(0x00808000, 0x0080afff, RAM),
        Res(0x0080b000, 0x0080bfff, nvs),
        Res(0x0080c000, 0x00810fff, RAM),
        Res(0x00811000, 0x008fffff, nvs),
        Res(0x00900000, 0x7e5f2fff, RAM, kernel),
        Res(0x7e5f3000, 0x7e7f2fff, "Reserved"),
        Res(0x7e7f3000, 0x7e872fff, "ACPI Tables"),
        Res(0x7e873000, 0x7e8f2fff, nvs),
        Res(0x7e8f3000, 0x7f5d7fff, RAM),
        Res(0x7f5d8000, 0x7f5dbfff, "Reserved"),
        Res(0x7f5dc000, 0x7f5ddfff, nvs),
        Res(0x7f5de000, 0x7f8eefff, RAM),
        Res(0x7f8ef000, 0x7fffffff, "Reserved"),
        Res(0x80000000, 0xafffffff, "PCI Bus 0000:00"),
        Res(0xb0000000, 0xbfffffff, "PCI ECAM 0000 [bus 00-ff]", (Res(0xb0000000, 0xbfffffff, "Reserved"),)),
        Res(0xc0000000, 0xfebfffff, "PCI Bus 0000:00", (
            Res(0xfc000000, 0xfcffffff, "0000:00:01.0"),
            Res(0xfea00000, 0xfeafffff, "PCI Bus 0000:01"),
        )),
        Res(0xfec00000, 0xfec003ff, "IOAPIC 0"),
        Res(0xfed00000, 0xfed003ff, "HPET 0", (Res(0xfed00000, 0xfed003ff, "PNP0103:00"),)),
        Res(0xfed1c000, 0xfed1ffff, "Reserved"),
        Res(0xfee00000, 0xfee00fff, "Local APIC"),
        Res(0xffc00000, 0xffffffff, "Reserved"),
        Res(0x100000000, 0x100000000 + high - 1, RAM),
        Res(0x380000000000, 0x3807ffffffff, "PCI Bus 0000:00"),
    ]


def arm64_uefi_iomem(ram_gib: float, kernel_base: int = 0x40210000) -> List[Res]:
    """An arm64 UEFI VM (QEMU virt + AAVMF): RAM from 0x40000000, EFI runtime holes (nomap).

    The holes are 64 KiB aligned, so the same map is valid for 4k and 64k kernels.
    """
    total = int(ram_gib * GiB)
    start = 0x40000000
    end = start + total - 1
    kernel = (
        Res(kernel_base, kernel_base + 0x1a3ffff, "Kernel code"),
        Res(kernel_base + 0x1a40000, kernel_base + 0x1e8ffff, "reserved"),
        Res(kernel_base + 0x1e90000, kernel_base + 0x23bffff, "Kernel data"),
        Res(0x48000000, 0x483fffff, "reserved"),
    )
    holes = [(0xbe9e0000, 0xbea5ffff), (0xbfbd0000, 0xbfc2ffff), (0xbfe50000, 0xbfe5ffff)]
    regions = [
        Res(0x09000000, 0x09000fff, "pl011@9000000", (Res(0x09000000, 0x09000fff, "ARMH0011:00"),)),
        Res(0x09010000, 0x09010fff, "pl031@9010000", (Res(0x09010000, 0x09010fff, "rtc-pl031"),)),
        Res(0x09030000, 0x09030fff, "pl061@9030000", (Res(0x09030000, 0x09030fff, "ARMH0061:00"),)),
        Res(0x10000000, 0x3efeffff, "pcie@10000000", (
            Res(0x10000000, 0x101fffff, "PCI Bus 0000:01"),
            Res(0x10200000, 0x103fffff, "PCI Bus 0000:02"),
        )),
        Res(0x3f000000, 0x3fffffff, "PCI ECAM"),
    ]
    cursor = start
    first = True
    for h_start, h_end in holes:
        regions.append(Res(cursor, h_start - 1, RAM, kernel if first else ()))
        regions.append(Res(h_start, h_end, "reserved"))
        cursor = h_end + 1
        first = False
    regions.append(Res(cursor, end, RAM))
    regions.append(Res(0x8000000000, 0xffffffffff, "pcie@10000000"))
    return regions


def ppc64le_iomem(ram_gib: float) -> List[Res]:
    """A PowerVM LPAR: one System RAM range from 0 (no kernel children on ppc64)."""
    total = int(ram_gib * GiB)
    return [
        Res(0x00000000, total - 1, RAM),
        Res(0x200800000000, 0x20083fffffff, "/pci@800000020000018"),
        Res(0x200840000000, 0x20087fffffff, "/pci@800000020000019"),
    ]


def s390x_iomem(ram_gib: float) -> List[Res]:
    """An s390x guest: RAM from 0, KASLR-placed kernel children."""
    total = int(ram_gib * GiB)
    return [Res(0x00000000, total - 1, RAM, (
        Res(0x3e500000, 0x3f2ccfff, "Kernel code"),
        Res(0x3f2cd000, 0x3f93ffff, "Kernel data"),
        Res(0x3fb0b000, 0x3fcdbfff, "Kernel bss"),
    ))]


# ---------------------------------------------------------------------------
# /proc/meminfo, /proc/cpuinfo, /proc/mounts
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchMem:
    """Per-architecture constants of /proc/meminfo."""

    hugepagesize_kb: int
    vmalloc_total_kb: int
    direct_map: Tuple[Tuple[str, int], ...] = ()  # (suffix, block kB), largest last


ARCH_MEM = {
    "x86_64": ArchMem(2048, 34359738367, (("4k", 4), ("2M", 2048), ("1G", 1048576))),
    "aarch64": ArchMem(2048, 133141626880),
    "aarch64-64k": ArchMem(524288, 2199023255551),
    "ppc64le": ArchMem(16384, 8589934592),
    "s390x": ArchMem(1024, 549755813888, (("4k", 4), ("1M", 1024), ("2G", 2097152))),
}


def memtotal_kb(ram: int, gap: float, reserved: int = 0) -> int:
    """MemTotal for ``ram`` bytes of memblock RAM: ``gap`` (0.02-0.04) lost, minus any crash reservation."""
    return int(ram * (1.0 - gap)) // KiB - reserved // KiB


def render_meminfo(total_kb: int, ram: int, arch_mem: ArchMem, swap_kb: int = 0,
                   used_fraction: float = 0.18) -> str:
    """A plausible /proc/meminfo for a mostly idle server with ``total_kb`` MemTotal."""
    used = int(total_kb * used_fraction)
    cached = int(total_kb * 0.11)
    buffers = int(total_kb * 0.012)
    free = total_kb - used - cached - buffers
    sreclaim = int(total_kb * 0.009)
    sunreclaim = int(total_kb * 0.004)
    anon = int(used * 0.55)
    rows: List[Tuple[str, Union[int, str]]] = [
        ("MemTotal", total_kb),
        ("MemFree", free),
        ("MemAvailable", free + cached + buffers + sreclaim - int(total_kb * 0.01)),
        ("Buffers", buffers),
        ("Cached", cached),
        ("SwapCached", 0),
        ("Active", int(cached * 0.35) + int(anon * 0.1)),
        ("Inactive", int(cached * 0.62) + int(anon * 0.9)),
        ("Active(anon)", int(anon * 0.1)),
        ("Inactive(anon)", int(anon * 0.9)),
        ("Active(file)", int(cached * 0.35)),
        ("Inactive(file)", int(cached * 0.62)),
        ("Unevictable", 27648),
        ("Mlocked", 27648),
        ("SwapTotal", swap_kb),
        ("SwapFree", swap_kb),
        ("Zswap", 0),
        ("Zswapped", 0),
        ("Dirty", 412),
        ("Writeback", 0),
        ("AnonPages", anon),
        ("Mapped", int(cached * 0.21)),
        ("Shmem", int(total_kb * 0.002)),
        ("KReclaimable", sreclaim),
        ("Slab", sreclaim + sunreclaim),
        ("SReclaimable", sreclaim),
        ("SUnreclaim", sunreclaim),
        ("KernelStack", 9216),
        ("PageTables", int(anon * 0.02)),
        ("SecPageTables", 0),
        ("NFS_Unstable", 0),
        ("Bounce", 0),
        ("WritebackTmp", 0),
        ("CommitLimit", total_kb // 2 + swap_kb),
        ("Committed_AS", int(used * 1.9)),
        ("VmallocTotal", arch_mem.vmalloc_total_kb),
        ("VmallocUsed", 58240),
        ("VmallocChunk", 0),
        ("Percpu", 5120),
        ("HardwareCorrupted", 0),
        ("AnonHugePages", (anon // 4 // arch_mem.hugepagesize_kb) * arch_mem.hugepagesize_kb),
        ("ShmemHugePages", 0),
        ("ShmemPmdMapped", 0),
        ("FileHugePages", 0),
        ("FilePmdMapped", 0),
        ("HugePages_Total", "0"),
        ("HugePages_Free", "0"),
        ("HugePages_Rsvd", "0"),
        ("HugePages_Surp", "0"),
        ("Hugepagesize", arch_mem.hugepagesize_kb),
        ("Hugetlb", 0),
    ]
    if arch_mem.direct_map:
        ram_kb = ram // KiB
        (s4, _), (smid, bmid), (sbig, bbig) = arch_mem.direct_map
        small = 190332
        big = max(0, (ram_kb - small - 2 * 1048576) // bbig * bbig)
        rows += [(f"DirectMap{s4}", small), (f"DirectMap{smid}", ram_kb - small - big), (f"DirectMap{sbig}", big)]
    out = []
    for key, value in rows:
        label = f"{key}:"
        if isinstance(value, str):  # HugePages_* counters have no unit
            out.append(f"{label:<16}{value:>8}")
        else:
            out.append(f"{label:<16}{value:>8} kB")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class CpuModel:
    """What /proc/cpuinfo says about one CPU model (x86 keys; other arches use ``extra``)."""

    model_name: str
    vendor: str = "GenuineIntel"
    family: int = 6
    model: int = 85
    stepping: int = 7
    microcode: str = "0x1"
    mhz: str = "2500.000"
    cache: str = "36608 KB"
    bogomips: str = "5000.00"
    address_sizes: str = "46 bits physical, 48 bits virtual"
    flags: str = ""
    bugs: str = ""


_X86_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss "
    "ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid tsc_known_freq pni "
    "pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c "
    "rdrand hypervisor lahf_lm abm 3dnowprefetch invpcid_single ssbd ibrs ibpb stibp fsgsbase tsc_adjust bmi1 "
    "avx2 smep bmi2 erms invpcid avx512f avx512dq rdseed adx smap clflushopt clwb avx512cd avx512bw avx512vl "
    "xsaveopt xsavec xgetbv1 xsaves arat pku ospke md_clear arch_capabilities"
)
_AMD_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht "
    "syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm rep_good nopl cpuid extd_apicid tsc_known_freq pni pclmulqdq "
    "ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand "
    "hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext ssbd ibrs ibpb "
    "stibp vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt clwb sha_ni "
    "xsaveopt xsavec xgetbv1 xsaves clzero xsaveerptr wbnoinvd arat umip pku ospke vaes vpclmulqdq rdpid fsrm"
)
_INTEL_BUGS = "spectre_v1 spectre_v2 spec_store_bypass swapgs taa mmio_stale_data retbleed gds bhi"
_AMD_BUGS = "sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso"

CPU_MODELS: Dict[str, CpuModel] = {
    "kvm-cascadelake": CpuModel("Intel Xeon Processor (Cascadelake)", microcode="0x1", mhz="2992.968",
                                cache="16384 KB", bogomips="5985.93", address_sizes="40 bits physical, 48 bits virtual",
                                flags=_X86_FLAGS, bugs=_INTEL_BUGS),
    "kvm-icelake": CpuModel("Intel Xeon Processor (Icelake)", model=106, stepping=0, mhz="2593.906",
                            cache="16384 KB", bogomips="5187.81", address_sizes="46 bits physical, 57 bits virtual",
                            flags=_X86_FLAGS, bugs=_INTEL_BUGS),
    "ec2-8259cl": CpuModel("Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", microcode="0x5003801", mhz="2499.998",
                           cache="36608 KB", bogomips="4999.99", flags=_X86_FLAGS, bugs=_INTEL_BUGS),
    "ec2-8375c": CpuModel("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", model=106, stepping=6,
                          microcode="0xd0003e7", mhz="2899.970", cache="55296 KB", bogomips="5799.94",
                          flags=_X86_FLAGS, bugs=_INTEL_BUGS),
    "kvm-epyc-milan": CpuModel("AMD EPYC-Milan Processor", vendor="AuthenticAMD", family=25, model=1, stepping=1,
                               microcode="0x1000065", mhz="2445.406", cache="512 KB", bogomips="4890.81",
                               address_sizes="40 bits physical, 48 bits virtual", flags=_AMD_FLAGS, bugs=_AMD_BUGS),
    "ryzen-5800x": CpuModel("AMD Ryzen 7 5800X 8-Core Processor", vendor="AuthenticAMD", family=25, model=33,
                            stepping=0, microcode="0xa20120e", mhz="3799.998", cache="512 KB", bogomips="7599.99",
                            address_sizes="48 bits physical, 48 bits virtual", flags=_AMD_FLAGS, bugs=_AMD_BUGS),
    "kvm-skylake": CpuModel("Intel Core Processor (Skylake, IBRS)", model=94, stepping=3, mhz="3407.998",
                            cache="16384 KB", bogomips="6815.99", address_sizes="40 bits physical, 48 bits virtual",
                            flags=_X86_FLAGS, bugs=_INTEL_BUGS),
}


def _x86_cpuinfo(model: CpuModel, cpus: int) -> str:
    blocks = []
    for n in range(cpus):
        rows = [
            ("processor", str(n)), ("vendor_id", model.vendor), ("cpu family", str(model.family)),
            ("model", str(model.model)), ("model name", model.model_name), ("stepping", str(model.stepping)),
            ("microcode", model.microcode), ("cpu MHz", model.mhz), ("cache size", model.cache),
            ("physical id", "0"), ("siblings", str(cpus)), ("core id", str(n)), ("cpu cores", str(cpus)),
            ("apicid", str(n)), ("initial apicid", str(n)), ("fpu", "yes"), ("fpu_exception", "yes"),
            ("cpuid level", "13" if model.vendor == "AuthenticAMD" else "22"), ("wp", "yes"),
            ("flags", model.flags), ("bugs", model.bugs), ("bogomips", model.bogomips),
            ("clflush size", "64"), ("cache_alignment", "64"), ("address sizes", model.address_sizes),
            ("power management", ""),
        ]
        blocks.append("\n".join(_cpu_row(k, v) for k, v in rows))
    return "\n\n".join(blocks) + "\n\n"


def _cpu_row(key: str, value: str) -> str:
    # The kernel pads keys with tabs to column 16 (two tabs for short keys).
    tabs = "\t\t" if len(key) < 8 else "\t"
    if key == "power management":
        return "power management:" + (f" {value}" if value else "")
    return f"{key}{tabs}: {value}"


def _arm64_cpuinfo(cpus: int, part: str = "0xd0c", variant: str = "0x3", revision: str = "1") -> str:
    features = ("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop "
                "asimddp ssbs")
    blocks = []
    for n in range(cpus):
        blocks.append("\n".join([
            f"processor\t: {n}", "BogoMIPS\t: 50.00", f"Features\t: {features}",
            "CPU implementer\t: 0x41", "CPU architecture: 8", f"CPU variant\t: {variant}",
            f"CPU part\t: {part}", f"CPU revision\t: {revision}",
        ]))
    return "\n\n".join(blocks) + "\n\n"


def _ppc64le_cpuinfo(cpus: int) -> str:
    blocks = []
    for n in range(cpus):
        blocks.append("\n".join([
            f"processor\t: {n}", "cpu\t\t: POWER9 (architected), altivec supported",
            "clock\t\t: 2750.000000MHz", "revision\t: 2.2 (pvr 004e 0202)",
        ]))
    footer = "\n".join([
        "timebase\t: 512000000", "platform\t: pSeries", "model\t\t: IBM,9009-42A",
        "machine\t\t: CHRP IBM,9009-42A", "MMU\t\t: Hash",
    ])
    return "\n\n".join(blocks) + "\n\n" + footer + "\n"


def _s390x_cpuinfo(cpus: int) -> str:
    # s390x prints a summary with one "processor N:" line per CPU, then one block per CPU.
    head = [
        "vendor_id       : IBM/S390",
        f"# processors    : {cpus}",
        "bogomips per cpu: 3241.00",
        "max thread id   : 0",
        "features\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs te vx vxd vxe gs vxe2 vxp sort "
        "dflt sie ",
        "facilities      : 0 1 2 3 4 6 7 8 9 10 12 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 30 31 32 33 34 "
        "35 36 37 38 40 41 42 43 44 45 47 48 49 50 51 52 53 54 57 58 59 60 61 73 74 75 76 77 80 81 82 128 129 "
        "130 131 133 134 135 138 139 146 147 148 150 151 152 155 156 168",
        "cache0          : level=1 type=Data scope=Private size=128K line_size=256 associativity=8",
        "cache1          : level=1 type=Instruction scope=Private size=128K line_size=256 associativity=8",
        "cache2          : level=2 type=Data scope=Private size=32768K line_size=256 associativity=8",
        "cache3          : level=2 type=Instruction scope=Private size=32768K line_size=256 associativity=8",
        "cache4          : level=3 type=Unified scope=Shared size=262144K line_size=256 associativity=32",
    ]
    head += [f"processor {n}: version = FF,  identification = 0{n}8E28,  machine = 8561" for n in range(cpus)]
    blocks = ["\n".join(head)]
    for n in range(cpus):
        blocks.append("\n".join([
            f"cpu number      : {n}", f"physical id     : {n // 2}", f"core id         : {n}",
            "book id         : 0", "drawer id       : 0", "dedicated       : 0", f"address         : {n}",
            "siblings        : 1", "cpu cores       : 1", "version         : FF",
            f"identification  : 0{n}8E28", "machine         : 8561", "cpu MHz dynamic : 5200",
            "cpu MHz static  : 5200",
        ]))
    return "\n\n".join(blocks) + "\n"


def render_cpuinfo(arch: str, cpus: int, model: Optional[CpuModel] = None) -> str:
    """/proc/cpuinfo in the arch's own format (x86 needs a :class:`CpuModel`)."""
    if arch == "x86_64":
        return _x86_cpuinfo(model or CPU_MODELS["kvm-cascadelake"], cpus)
    if arch == "aarch64":
        return _arm64_cpuinfo(cpus)
    if arch == "ppc64le":
        return _ppc64le_cpuinfo(cpus)
    if arch == "s390x":
        return _s390x_cpuinfo(cpus)
    raise ValueError(f"no cpuinfo format for {arch}")


def cpu_list(cpus: int) -> str:
    """The ``online``/``possible`` sysfs syntax: ``0`` or ``0-N``."""
    return "0\n" if cpus == 1 else f"0-{cpus - 1}\n"


def render_mounts(mounts: Iterable[str], efi: bool = False, extra_tail: Iterable[str] = (),
                  dev_source: str = "udev") -> str:
    """/proc/mounts: the pseudo filesystems of a systemd machine, then ``mounts`` (root, /boot, ...)."""
    lines = [
        "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
        "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
        f"{dev_source} /dev devtmpfs rw,nosuid,relatime,size=4001380k,nr_inodes=1000345,mode=755,inode64 0 0",
        "devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0",
        "tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=812060k,mode=755,inode64 0 0",
    ]
    mounts = list(mounts)
    lines.append(mounts[0])
    lines += [
        "securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0",
        "tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0",
        "tmpfs /run/lock tmpfs rw,nosuid,nodev,noexec,relatime,size=5120k,inode64 0 0",
        "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0",
        "pstore /sys/fs/pstore pstore rw,nosuid,nodev,noexec,relatime 0 0",
    ]
    if efi:
        lines.append("efivarfs /sys/firmware/efi/efivars efivarfs rw,nosuid,nodev,noexec,relatime 0 0")
    lines += [
        "bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0",
        "systemd-1 /proc/sys/fs/binfmt_misc autofs rw,relatime,fd=29,pgrp=1,timeout=0,minproto=5,maxproto=5,"
        "direct,pipe_ino=17171 0 0",
        "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0",
        "mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec,relatime 0 0",
        "debugfs /sys/kernel/debug debugfs rw,nosuid,nodev,noexec,relatime 0 0",
        "tracefs /sys/kernel/tracing tracefs rw,nosuid,nodev,noexec,relatime 0 0",
        "configfs /sys/kernel/config configfs rw,nosuid,nodev,noexec,relatime 0 0",
    ]
    lines += mounts[1:]
    lines += list(extra_tail)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# The machine: everything every tree has
# ---------------------------------------------------------------------------


@dataclass
class Machine:
    """The running-system facts of one machine; :func:`write_machine` turns them into files."""

    hostname: str
    machine_id: str
    arch: str
    kernel_release: str
    cpus: int
    iomem: List[Res]
    memtotal_kb: int
    cmdline: str
    mounts: str
    fstab: str
    os_release: str
    cpu_model: Optional[CpuModel] = None
    arch_mem: Optional[ArchMem] = None
    swap_kb: int = 0
    efi: bool = False
    secure_boot: bool = False
    lockdown: str = LOCKDOWN_NONE
    kexec: bool = True              # the kernel has CONFIG_KEXEC_CORE + CRASH_DUMP (sysfs files exist)
    crash_size: int = 0             # /sys/kernel/kexec_crash_size
    crash_loaded: bool = False      # /sys/kernel/kexec_crash_loaded
    pmd_size: int = 2 * MiB         # transparent_hugepage/hpage_pmd_size
    usrmerge: bool = True           # /bin, /sbin, /lib are symlinks into /usr
    lib64: bool = True              # ... and /lib64 too (not on Debian/Ubuntu arm64)
    crypttab: Optional[str] = ""    # None: no /etc/crypttab
    extra_sys_kernel: Dict[str, str] = field(default_factory=dict)

    @property
    def ram(self) -> int:
        """memblock RAM in bytes (top-level System RAM of the iomem layout)."""
        return ram_bytes(self.iomem)


def write_machine(tree: Tree, m: Machine) -> None:
    """Write the files every machine has: os-release, identity, /proc, /sys, /var/crash, fstab."""
    if m.usrmerge:
        for d in ("usr/bin", "usr/sbin", "usr/lib"):
            tree.mkdir(d)
        tree.symlink("bin", "usr/bin")
        tree.symlink("sbin", "usr/sbin")
        tree.symlink("lib", "usr/lib")
        if m.lib64:
            tree.mkdir("usr/lib64")
            tree.symlink("lib64", "usr/lib64")
    tree.text("usr/lib/os-release", m.os_release)
    tree.symlink("etc/os-release", "../usr/lib/os-release")
    tree.text("etc/machine-id", m.machine_id + "\n", 0o444)
    tree.text("etc/hostname", m.hostname + "\n")
    tree.text("etc/fstab", m.fstab)
    if m.crypttab is not None:
        tree.text("etc/crypttab", m.crypttab)

    tree.text("proc/sys/kernel/osrelease", m.kernel_release + "\n")
    tree.text("proc/sys/kernel/arch", m.arch + "\n")
    tree.text("proc/sys/kernel/hostname", m.hostname + "\n")
    tree.text("proc/cmdline", m.cmdline + "\n")
    tree.text("proc/iomem", render_iomem(m.iomem))
    arch_mem = m.arch_mem or ARCH_MEM[m.arch]
    tree.text("proc/meminfo", render_meminfo(m.memtotal_kb, m.ram, arch_mem, m.swap_kb))
    tree.text("proc/cpuinfo", render_cpuinfo(m.arch, m.cpus, m.cpu_model))
    tree.text("proc/mounts", m.mounts)

    tree.text("sys/devices/system/cpu/online", cpu_list(m.cpus))
    tree.text("sys/devices/system/cpu/possible", cpu_list(m.cpus))
    tree.text("sys/kernel/mm/transparent_hugepage/hpage_pmd_size", f"{m.pmd_size}\n")
    tree.text("sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n")
    tree.text("sys/kernel/security/lockdown", m.lockdown)
    if m.kexec:
        tree.text("proc/sys/kernel/kexec_load_disabled", "0\n")
        tree.text("sys/kernel/kexec_crash_loaded", "1\n" if m.crash_loaded else "0\n")
        tree.text("sys/kernel/kexec_crash_size", f"{m.crash_size}\n")
        tree.text("sys/kernel/kexec_loaded", "0\n")
        tree.text("sys/kernel/vmcoreinfo", "1f2d4e000 1024\n", 0o444)
    for rel, content in m.extra_sys_kernel.items():
        tree.text(f"sys/kernel/{rel}", content)
    if m.efi:
        attrs = b"\x06\x00\x00\x00"
        tree.text("sys/firmware/efi/fw_platform_size", "64\n")
        tree.data(f"sys/firmware/efi/efivars/SecureBoot-{EFI_GLOBAL_GUID}", attrs + (b"\x01" if m.secure_boot else b"\x00"))
        tree.data(f"sys/firmware/efi/efivars/SetupMode-{EFI_GLOBAL_GUID}", attrs + b"\x00")

    tree.mkdir("var/crash")
    tree.placeholder("usr/bin/systemctl")


def kernel_config(release: str, kexec: bool = True, extra: Sequence[str] = ()) -> str:
    """A few real lines of ``/boot/config-<release>``."""
    head = ["#", "# Automatically generated file; DO NOT EDIT.", f"# Linux/{release} Kernel Configuration", "#"]
    if kexec:
        body = list(KEXEC_CONFIG_LINES)
    else:
        body = ["CONFIG_RELOCATABLE=y", "# CONFIG_KEXEC is not set", "# CONFIG_KEXEC_FILE is not set",
                "# CONFIG_CRASH_DUMP is not set", "# CONFIG_PROC_VMCORE is not set"]
    body += ["CONFIG_IKCONFIG=m", "CONFIG_MODULES=y", "CONFIG_SECURITY_LOCKDOWN_LSM=y"]
    return "\n".join(head + body + list(extra)) + "\n"


def modules_dep(ext: str = "zst") -> str:
    """A few lines of ``modules.dep`` (modules compressed with ``ext``: zst, xz)."""
    k = "kernel"
    return (
        f"{k}/fs/xfs/xfs.ko.{ext}: {k}/lib/libcrc32c.ko.{ext}\n"
        f"{k}/fs/nfs/nfs.ko.{ext}: {k}/fs/lockd/lockd.ko.{ext} {k}/net/sunrpc/sunrpc.ko.{ext} "
        f"{k}/fs/nfs_common/grace.ko.{ext}\n"
        f"{k}/drivers/block/virtio_blk.ko.{ext}:\n"
        f"{k}/drivers/net/virtio_net.ko.{ext}: {k}/drivers/net/net_failover.ko.{ext} {k}/net/core/failover.ko.{ext}\n"
        f"{k}/lib/libcrc32c.ko.{ext}:\n"
    )


# ---------------------------------------------------------------------------
# Debian / Ubuntu
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DebPackage:
    """One ``/var/lib/dpkg/status`` stanza."""

    name: str
    version: str
    arch: str
    description: str
    section: str = "admin"
    installed_size: int = 512
    maintainer: str = "Debian Kernel Team <debian-kernel@lists.debian.org>"
    depends: str = ""
    source: str = ""
    status: str = "install ok installed"
    priority: str = "optional"
    conffiles: Tuple[Tuple[str, str], ...] = ()   # (path, md5)
    multi_arch: str = ""


def render_dpkg_status(packages: Sequence[DebPackage]) -> str:
    """``/var/lib/dpkg/status``: blank-line separated stanzas in dpkg's field order."""
    stanzas = []
    for p in packages:
        rows = [f"Package: {p.name}", f"Status: {p.status}", f"Priority: {p.priority}", f"Section: {p.section}",
                f"Installed-Size: {p.installed_size}", f"Maintainer: {p.maintainer}", f"Architecture: {p.arch}"]
        if p.multi_arch:
            rows.append(f"Multi-Arch: {p.multi_arch}")
        if p.source:
            rows.append(f"Source: {p.source}")
        rows.append(f"Version: {p.version}")
        if p.depends:
            rows.append(f"Depends: {p.depends}")
        if p.conffiles:
            rows.append("Conffiles:")
            rows += [f" {path} {md5}" for path, md5 in p.conffiles]
        summary, _, rest = p.description.partition("\n")
        rows.append(f"Description: {summary}")
        rows += [f" {line}" if line else " ." for line in rest.splitlines()]
        stanzas.append("\n".join(rows))
    return "\n\n".join(stanzas) + "\n\n"


DEBIAN12_GRUB_DEFAULT = """\
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
# For full documentation of the options in this file, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""

# If your computer has multiple operating systems installed, then you
# probably want to run os-prober. However, if your computer is a host
# for guest OSes installed via LVM or raw disk devices, running
# os-prober can cause damage to those guest OSes as it mounts
# filesystems to look for things.
GRUB_DISABLE_OS_PROBER=true

# Uncomment to enable BadRAM filtering, modify to suit your needs
# This works with Linux (no patch required) and with any kernel that obtains
# the memory map information from GRUB (GNU Mach, kernel of FreeBSD ...)
#GRUB_BADRAM="0x01234567,0xfefefefe,0x89abcdef,0xefefefef"

# Uncomment to disable graphical terminal
#GRUB_TERMINAL=console

# The resolution used on graphical terminal
# note that you can use only modes which your graphic card supports via VBE
# you can see them in real GRUB with the command `vbeinfo'
#GRUB_GFXMODE=640x480

# Uncomment if you don't want GRUB to pass "root=UUID=xxx" parameter to Linux
#GRUB_DISABLE_LINUX_UUID=true

# Uncomment to disable generation of recovery mode menu entries
#GRUB_DISABLE_RECOVERY="true"

# Uncomment to get a beep at grub start
#GRUB_INIT_TUNE="480 440 1"
"""

_UBUNTU_GRUB_TAIL = """\
GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"
GRUB_CMDLINE_LINUX=""

# If your computer has multiple operating systems installed, then you
# probably want to run os-prober. However, if your computer is a host
# for guest OSes installed via LVM or raw disk devices, running
# os-prober can cause damage to those guest OSes as it mounts
# filesystems to look for things.
GRUB_DISABLE_OS_PROBER=true

# Uncomment to enable BadRAM filtering, modify to suit your needs
# This works with Linux (no patch required) and with any kernel that obtains
# the memory map information from GRUB (GNU Mach, kernel of FreeBSD ...)
#GRUB_BADRAM="0x01234567,0xfefefefe,0x89abcdef,0xefefefef"

# Uncomment to disable graphical terminal
#GRUB_TERMINAL=console

# The resolution used on graphical terminal
# note that you can use only modes which your graphic card supports via VBE
# you can see them in real GRUB with the command `vbeinfo'
#GRUB_GFXMODE=640x480

# Uncomment if you don't want GRUB to pass "root=UUID=xxx" parameter to Linux
#GRUB_DISABLE_LINUX_UUID=true

# Uncomment to disable generation of recovery mode menu entries
#GRUB_DISABLE_RECOVERY="true"

# Uncomment to get a beep at grub start
#GRUB_INIT_TUNE="480 440 1"
"""

# Ubuntu 22.04 still asks lsb_release for the distributor name.
UBUNTU2204_GRUB_DEFAULT = """\
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
# For full documentation of the options in this file, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT_STYLE=hidden
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
""" + _UBUNTU_GRUB_TAIL

# Ubuntu 24.04 reads the name from /etc/os-release (a command substitution with a subshell).
UBUNTU2404_GRUB_DEFAULT = """\
# If you change this file or any /etc/default/grub.d/*.cfg file,
# run 'update-grub' afterwards to update /boot/grub/grub.cfg.
# For full documentation of the options in these files, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT_STYLE=hidden
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=`( . /etc/os-release; echo ${NAME:-Ubuntu} ) 2>/dev/null || echo Ubuntu`
""" + _UBUNTU_GRUB_TAIL

# What curtin leaves on an installed Ubuntu server: it rewrites GRUB_CMDLINE_LINUX_DEFAULT to the
# console= tokens it carries over, which on a plain server are none (canonical/curtin
# curtin/commands/install_grub.py, replace_linux_default; 737e305).
UBUNTU2404_SERVER_GRUB_DEFAULT = UBUNTU2404_GRUB_DEFAULT.replace('GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"',
                                                                 'GRUB_CMDLINE_LINUX_DEFAULT=""')

# curtin's own drop-in with its defaults (probe_additional_os=False, terminal=console), written by
# write_grub_config: the last block is joined without a final newline (canonical/curtin 737e305,
# curtin/commands/install_grub.py; its unit test test_write_grub_config_defaults asserts that string).
CURTIN_SETTINGS_CFG = ("# Curtin disable grub os prober that might find other OS installs.\n"
                       'GRUB_DISABLE_OS_PROBER="true"\n'
                       "# Curtin configured GRUB_TERMINAL value\n"
                       'GRUB_TERMINAL="console"')

# grub-common's comment-only drop-in (Debian 11/12 and Ubuntu up to 22.04: grub 2.06). grub 2.12
# (Debian 13, Ubuntu 24.04) no longer ships it: Debian 2.12~rc1-5 removes it (#1042707).
INIT_SELECT_CFG = """\
# Work around a bug in the obsolete init-select package which broke
# grub-mkconfig when init-select was removed but not purged.  This file does
# nothing and will be removed in a later release.
#
# See:
#   https://bugs.debian.org/858528
#   https://bugs.debian.org/863801
"""

KDUMP_TOOLS_CMDLINE_APPEND = {
    "x86_64": "reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll usbcore.nousb",
    "aarch64": "reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1",
    "ppc64le": "reset_devices systemd.unit=kdump-tools-dump.service maxcpus=1 irqpoll noirqdistrib usbcore.nousb",
    "s390x": "reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll usbcore.nousb",
}
KDUMP_SYSCTL_CONF = "vm.nr_hugepages=0\nvm.nr_hugepages_mempolicy=0\n"
UBUNTU_TIERED_CRASHKERNEL = "2G-4G:320M,4G-32G:512M,32G-64G:1024M,64G-128G:2048M,128G-:4096M"


def kdump_tools_dropin(value: str) -> str:
    """``/etc/default/grub.d/kdump-tools.cfg``: one line appending ``crashkernel=value``."""
    return f'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel={value}"\n'


def kdump_tools_conf(cmdline_append: str, use_kdump: bool = True) -> str:
    """``/etc/default/kdump-tools`` as the package's postinst renders it (comments shortened).

    ``use_kdump`` is the debconf answer to kdump-tools/use_kdump ("Should kdump-tools be enabled by default?").
    """
    return f"""\
# kdump-tools configuration
# ---------------------------------------------------------------------------
# USE_KDUMP - controls kdump will be configured
#     0 - kdump kernel will not be loaded
#     1 - kdump kernel will be loaded and kdump is configured
#
USE_KDUMP={1 if use_kdump else 0}


# ---------------------------------------------------------------------------
# Kdump Kernel:
# KDUMP_KERNEL - A full pathname to a kdump kernel.
# KDUMP_INITRD - A full pathname to the kdump initrd (if used).
#     If these are not set, kdump-config will try to use the current kernel
#     and initrd if it is relocatable.  Otherwise, you will need to specify
#     these manually.
KDUMP_KERNEL=/var/lib/kdump/vmlinuz
KDUMP_INITRD=/var/lib/kdump/initrd.img


# ---------------------------------------------------------------------------
# vmcore Handling:
# KDUMP_COREDIR - local path to save the vmcore to.
# KDUMP_FAIL_CMD - This variable can be used to cause a reboot or
#     start a shell if saving the vmcore fails.  If not set, "reboot -f"
#     is the default.
#     Example - start a shell if the vmcore copy fails:
#         KDUMP_FAIL_CMD="echo 'makedumpfile FAILED.'; /bin/bash; reboot -f"
# KDUMP_DUMP_DMESG - If unset or set to 1, the dmesg buffer is dumped.
# KDUMP_NUM_DUMPS - How many dump files are kept (0 or unset: all).
# KDUMP_COMPRESSION - Compress the dumpfile: bzip2, gzip, lz4, xz
KDUMP_COREDIR="/var/crash"
#KDUMP_FAIL_CMD="reboot -f"
#KDUMP_DUMP_DMESG=
#KDUMP_NUM_DUMPS=
#KDUMP_COMPRESSION=


# ---------------------------------------------------------------------------
# Makedumpfile options:
# MAKEDUMP_ARGS - extra arguments passed to makedumpfile (8).  The default,
#     if unset, is to pass '-c -d 31' telling makedumpfile to use compression
#     and reduce the corefile to in-use kernel pages only.
#MAKEDUMP_ARGS="-c -d 31"


# ---------------------------------------------------------------------------
# Kexec/Kdump args
# KDUMP_KEXEC_ARGS - Additional arguments to the kexec command used to load
#     the kdump kernel
#         KDUMP_KEXEC_ARGS="--elf64-core-headers"
# KDUMP_CMDLINE - The default is to use the contents of /proc/cmdline.
#     Set this variable to override /proc/cmdline.
# KDUMP_CMDLINE_APPEND - Additional arguments to append to the command line
#     for the kdump kernel.  If unset, it defaults to
#     "{cmdline_append}"
#KDUMP_KEXEC_ARGS=""
#KDUMP_CMDLINE=""
#KDUMP_CMDLINE_APPEND="{cmdline_append}"

# ---------------------------------------------------------------------------
# Architecture specific Overrides:

# ---------------------------------------------------------------------------
# Remote dump facilities:
# HOSTTAG - Select if hostname of IP address will be used as a prefix to the
#           timestamped directory when sending files to the remote server.
#           'ip' is the default.
#HOSTTAG="hostname|[ip]"

# NFS -     Hostname and mount point of the NFS server configured to receive
#           the crash dump. The syntax must be {{HOSTNAME}}:{{MOUNTPOINT}}
#           (e.g. remote:/var/crash)
#NFS="<nfs mount>"
#NFS_TIMEO="600"
#NFS_RETRANS="3"

# FTP - Hostname and path of the FTP server configured to receive the crash dump.
#FTP="<server>:<path>"
#FTP_USER=""
#FTP_PASSWORD=""
#FTP_PORT=21

# SSH - username and hostname of the remote server that will receive the dump
#       and dmesg files.
# SSH_KEY - Full path of the ssh private key to be used to login to the remote
#           server. use kdump-config propagate to send the public key to the
#           remote server
#SSH="<user at server>"
#SSH_KEY="<path>"
"""


def kdump_tools_service(with_mem_estimator: bool) -> str:
    """``kdump-tools.service``; 1:1.10+ runs ``kdump_mem_estimator`` first."""
    pre = "ExecStartPre=-/usr/share/kdump-tools/kdump_mem_estimator\n" if with_mem_estimator else ""
    return f"""\
[Unit]
Description=Kernel crash dump capture service
DefaultDependencies=no
After=local-fs.target
After=networking.service
Before=basic.target

[Service]
Type=oneshot
StandardOutput=journal+console
EnvironmentFile=/etc/default/kdump-tools
{pre}ExecStart=/etc/init.d/kdump-tools start
ExecStop=/etc/init.d/kdump-tools stop
RemainAfterExit=yes

[Install]
WantedBy=basic.target
"""


@dataclass(frozen=True)
class KdumpTools:
    """kdump-tools as installed on a Debian/Ubuntu machine."""

    version: str
    crashkernel: str                 # the value in grub.d/kdump-tools.cfg
    mem_estimator: bool = False      # 1:1.10+ unit has ExecStartPre=kdump_mem_estimator
    enabled: bool = True
    use_kdump: bool = True           # debconf kdump-tools/use_kdump
    kdump_initrd_size: int = 29 * MiB
    #: Unpacked size of the kdump initrd; 0: three times the compressed size (the ratio
    #: measured on Debian 12/13 dep initrds, docs/sizing-data.md).  Written to
    #: size_initrd.img-<release> only by kdump-tools with the memory estimator (1:1.10+).
    kdump_initrd_unpacked: int = 0


@dataclass
class DebianSystem:
    """A Debian or Ubuntu machine booted by GRUB from ``/boot/grub/grub.cfg``."""

    machine: Machine
    flavour: str                     # "debian" | "ubuntu"
    pretty_name: str                 # GRUB menu title, e.g. "Debian GNU/Linux", "Ubuntu"
    debian_version: str
    grub_default: str
    grub_cmdline_default: str        # effective GRUB_CMDLINE_LINUX_DEFAULT after grub.d (for grub.cfg)
    root_arg: str                    # "UUID=..." / "PARTUUID=..." / "/dev/mapper/..."
    root_fs_uuid: str                # what grub.cfg searches for
    packages: List[DebPackage]
    grub_d: Dict[str, str] = field(default_factory=dict)   # extra drop-ins besides init-select.cfg
    kdump_tools: Optional[KdumpTools] = None
    lsb_release: str = ""
    vmlinuz_size: int = 11 * MiB
    initrd_size: int = 48 * MiB
    kernel_booted_by_grub: bool = True   # grub.cfg menu entries reference the running kernel
    boot_on_root: bool = True        # /boot is a directory of / (linux paths start with /boot)
    grub_cfg_extra_linux_branch: str = ""  # cloud images: initrd-less "panic=-1" branch
    efi_vendor_dir: str = ""         # e.g. "ubuntu", "debian": ESP stub grub.cfg
    grub_cfg_parttool: str = "part_gpt"
    grub_fs_module: str = "ext2"
    grub_cfg_mode: int = 0o444       # grub-mkconfig makes it read-only; the demo (run by users) uses 0o644
    init_size: int = 0               # >0: the sparse vmlinuz carries a bzImage setup header with this init_size


def write_bzimage_header(tree: Tree, rel: str, init_size: int, version: int = 0x20F) -> None:
    """Put an x86 boot-protocol setup header into the (sparse) kernel file ``rel``.

    Only the fields kdumpwiz reads: the "HdrS" magic (0x202), the protocol
    version (0x206) and ``init_size`` (0x260), as in Documentation/arch/x86/boot.rst.
    """
    with open(tree.path(rel), "r+b") as fh:
        fh.seek(0x1FE)
        fh.write(b"\x55\xaa")
        fh.seek(0x202)
        fh.write(b"HdrS" + version.to_bytes(2, "little"))
        fh.seek(0x260)
        fh.write(init_size.to_bytes(4, "little"))


def render_debian_grub_cfg(s: DebianSystem) -> str:
    """A short, realistic ``/boot/grub/grub.cfg`` as grub-mkconfig (10_linux) writes it."""
    m = s.machine
    rel = m.kernel_release
    boot = "/boot" if s.boot_on_root else ""
    ubuntu = s.flavour == "ubuntu"
    args = f"root={s.root_arg} ro  {s.grub_cmdline_default}"
    if ubuntu:
        args += " $vt_handoff"
    recovery = f"root={s.root_arg} ro {'recovery nomodeset dis_ucode_ldr' if ubuntu else 'single'} "
    klass = "ubuntu" if ubuntu else "debian"
    search = f"search --no-floppy --fs-uuid --set=root {s.root_fs_uuid}"
    loads = "\trecordfail\n\tload_video\n\tgfxmode $linux_gfx_mode\n" if ubuntu else "\tload_video\n"
    loads += ("\tinsmod gzio\n\tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi\n"
              f"\tinsmod {s.grub_cfg_parttool}\n\tinsmod {s.grub_fs_module}\n\t{search}\n")
    if s.grub_cfg_extra_linux_branch:
        body = (f"\tif [ \"${{initrdfail}}\" = 1 ]; then\n"
                f"\t  echo\t'GRUB_FORCE_PARTUUID set, initrdless boot failed. Attempting with initrd.'\n"
                f"\t  linux\t{boot}/vmlinuz-{rel} {args}\n"
                f"\t  initrd\t{boot}/initrd.img-{rel}\n"
                f"\telse\n"
                f"\t  echo\t'GRUB_FORCE_PARTUUID set, attempting initrdless boot.'\n"
                f"\t  linux\t{boot}/vmlinuz-{rel} {args} {s.grub_cfg_extra_linux_branch}\n"
                f"\tfi\n\tinitrdfail\n")
    else:
        body = (f"\techo\t'Loading Linux {rel} ...'\n" if not ubuntu else "")
        body += f"\tlinux\t{boot}/vmlinuz-{rel} {args}\n"
        body += ("\techo\t'Loading initial ramdisk ...'\n" if not ubuntu else "")
        body += f"\tinitrd\t{boot}/initrd.img-{rel}\n"
    uuid = s.root_fs_uuid
    title = s.pretty_name
    timeout = ("set timeout_style=hidden\nset timeout=0" if ubuntu
               else "terminal_output gfxterm\nset timeout_style=menu\nset timeout=5")
    header = f"""\
#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub-mkconfig using templates
# from /etc/grub.d and settings from /etc/default/grub
#

### BEGIN /etc/grub.d/00_header ###
if [ -s $prefix/grubenv ]; then
  set have_grubenv=true
  load_env
fi
if [ "${{next_entry}}" ] ; then
   set default="${{next_entry}}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="0"
fi

if [ x"${{feature_menuentry_id}}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi

export menuentry_id_option

function load_video {{
  if [ x$feature_all_video_module = xy ]; then
    insmod all_video
  else
    insmod efi_gop
    insmod efi_uga
    insmod ieee1275_fb
    insmod vbe
    insmod vga
    insmod video_bochs
    insmod video_cirrus
  fi
}}

{timeout}
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/10_linux ###
"""
    menu = (f"menuentry '{title}' --class {klass} --class gnu-linux --class gnu --class os "
            f"$menuentry_id_option 'gnulinux-simple-{uuid}' {{\n{loads}{body}}}\n")
    adv = (f"submenu 'Advanced options for {title}' $menuentry_id_option 'gnulinux-advanced-{uuid}' {{\n"
           f"\tmenuentry '{title}, with Linux {rel}' --class {klass} --class gnu-linux --class gnu --class os "
           f"$menuentry_id_option 'gnulinux-{rel}-advanced-{uuid}' {{\n"
           + "".join("\t" + line + "\n" for line in (loads + body).rstrip("\n").split("\n")) +
           "\t}\n"
           f"\tmenuentry '{title}, with Linux {rel} (recovery mode)' --class {klass} --class gnu-linux "
           f"--class gnu --class os $menuentry_id_option 'gnulinux-{rel}-recovery-{uuid}' {{\n"
           + "".join("\t" + line + "\n" for line in loads.rstrip("\n").split("\n")) +
           f"\t\techo\t'Loading Linux {rel} ...'\n"
           f"\t\tlinux\t{boot}/vmlinuz-{rel} {recovery}\n"
           f"\t\techo\t'Loading initial ramdisk ...'\n"
           f"\t\tinitrd\t{boot}/initrd.img-{rel}\n"
           "\t}\n}\n")
    tail = """\

### END /etc/grub.d/10_linux ###

### BEGIN /etc/grub.d/30_uefi-firmware ###
if [ "$grub_platform" = "efi" ]; then
\tfwsetup --is-supported
\tif [ "$?" = 0 ]; then
\t\tmenuentry 'UEFI Firmware Settings' $menuentry_id_option 'uefi-firmware' {
\t\t\tfwsetup
\t\t}
\tfi
fi
### END /etc/grub.d/30_uefi-firmware ###

### BEGIN /etc/grub.d/41_custom ###
if [ -f  ${config_directory}/custom.cfg ]; then
  source ${config_directory}/custom.cfg
elif [ -z "${config_directory}" -a -f  $prefix/custom.cfg ]; then
  source $prefix/custom.cfg
fi
### END /etc/grub.d/41_custom ###
"""
    return header + menu + adv + tail


def ships_init_select(packages: Sequence["DebPackage"]) -> bool:
    """True when the installed grub-common (2.06 and older) still ships init-select.cfg."""
    return any(p.name == "grub-common" and _grub_before_212(p.version) for p in packages)


def _grub_before_212(version: str) -> bool:
    upstream = version.split(":")[-1].split("-")[0].split("+")[0]
    return tuple(int(x) for x in re.findall(r"\d+", upstream)[:2]) < (2, 12)


def build_debian_family(tree: Tree, s: DebianSystem) -> None:
    """Write a Debian/Ubuntu machine: common files, GRUB, dpkg database, kernel, kdump-tools."""
    m = s.machine
    rel = m.kernel_release
    write_machine(tree, m)
    tree.text("etc/debian_version", s.debian_version + "\n")
    if s.lsb_release:
        tree.text("etc/lsb-release", s.lsb_release)

    # GRUB configuration: /etc/default/grub, then grub.d/*.cfg in byte order.
    tree.text("etc/default/grub", s.grub_default)
    if ships_init_select(s.packages):
        tree.text("etc/default/grub.d/init-select.cfg", INIT_SELECT_CFG)
    for name, content in s.grub_d.items():
        tree.text(f"etc/default/grub.d/{name}", content)
    tree.text("boot/grub/grub.cfg", render_debian_grub_cfg(s), s.grub_cfg_mode)
    tree.data("boot/grub/grubenv", b"# GRUB Environment Block\n" + b"#" * (1024 - 25))
    tree.placeholder("usr/sbin/update-grub")
    tree.placeholder("usr/sbin/grub-mkconfig")
    tree.placeholder("usr/sbin/grub-install")
    tree.placeholder("usr/sbin/update-initramfs")
    tree.placeholder("etc/kernel/postinst.d/zz-update-grub")
    tree.placeholder("etc/kernel/postinst.d/initramfs-tools")
    if m.efi and s.efi_vendor_dir:
        esp = f"boot/efi/EFI/{s.efi_vendor_dir}"
        suffix = "aa64" if m.arch == "aarch64" else "x64"
        tree.sparse(f"{esp}/shim{suffix}.efi", 966664)
        tree.sparse(f"{esp}/grub{suffix}.efi", 2320264)
        tree.sparse(f"{esp}/mm{suffix}.efi", 856280)
        tree.text(f"{esp}/grub.cfg", f"search.fs_uuid {s.root_fs_uuid} root\n"
                                      "set prefix=($root)'/boot/grub'\nconfigfile $prefix/grub.cfg\n")

    # The running kernel.
    if s.kernel_booted_by_grub:
        tree.sparse(f"boot/vmlinuz-{rel}", s.vmlinuz_size, 0o600)
        if s.init_size:
            write_bzimage_header(tree, f"boot/vmlinuz-{rel}", s.init_size)
        tree.sparse(f"boot/initrd.img-{rel}", s.initrd_size)
        tree.text(f"boot/config-{rel}", kernel_config(rel, m.kexec))
        tree.sparse(f"boot/System.map-{rel}", 8 * MiB, 0o600)
        tree.symlink("boot/vmlinuz", f"vmlinuz-{rel}")
        tree.symlink("boot/initrd.img", f"initrd.img-{rel}")
        tree.text(f"lib/modules/{rel}/modules.dep", modules_dep())

    # Packages.
    tree.text("var/lib/dpkg/status", render_dpkg_status(s.packages))
    tree.mkdir("var/lib/dpkg/info")

    kt = s.kdump_tools
    if kt is not None:
        dropin = kdump_tools_dropin(kt.crashkernel)
        tree.text("etc/default/grub.d/kdump-tools.cfg", dropin)
        tree.text("etc/default/kdump-tools", kdump_tools_conf(KDUMP_TOOLS_CMDLINE_APPEND[m.arch], kt.use_kdump))
        tree.text("etc/kdump/sysctl.conf", KDUMP_SYSCTL_CONF)
        tree.placeholder("usr/sbin/kdump-config")
        tree.placeholder("etc/init.d/kdump-tools")
        tree.placeholder("etc/kernel/postinst.d/kdump-tools")
        tree.placeholder("etc/kernel/postrm.d/kdump-tools")
        tree.placeholder("sbin/kexec")
        tree.placeholder("usr/bin/makedumpfile")
        unit = "lib/systemd/system/kdump-tools.service"
        tree.text(unit, kdump_tools_service(kt.mem_estimator))
        tree.text("lib/systemd/system/kdump-tools-dump.service", """\
[Unit]
Description=Kernel crash dump capture service
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
StandardOutput=journal+console
EnvironmentFile=/etc/default/kdump-tools
ExecStart=/etc/init.d/kdump-tools start
ExecStop=/etc/init.d/kdump-tools stop
RemainAfterExit=yes
""")
        if kt.enabled:
            tree.symlink("etc/systemd/system/basic.target.wants/kdump-tools.service",
                         "../../../../lib/systemd/system/kdump-tools.service")
        tree.sparse(f"var/lib/kdump/initrd.img-{rel}", kt.kdump_initrd_size)
        if kt.mem_estimator:
            # kdump-tools' hook records `du -sm` of the unpacked tree (whole MiB, rounded up).
            unpacked = kt.kdump_initrd_unpacked or 3 * kt.kdump_initrd_size
            tree.text(f"var/lib/kdump/size_initrd.img-{rel}", f"{-(-unpacked // MiB)}\n")
        tree.symlink("var/lib/kdump/vmlinuz", f"../../../boot/vmlinuz-{rel}")
        tree.symlink("var/lib/kdump/initrd.img", f"initrd.img-{rel}")


def deb_core_packages(flavour: str, arch_deb: str, versions: Dict[str, str], kernel_pkg: str,
                      kernel_version: str, grub_platform: str, kdump: Optional[KdumpTools] = None,
                      signed: bool = False, extra: Sequence[DebPackage] = ()) -> List[DebPackage]:
    """The dpkg stanzas kdumpwiz cares about: base-files, GRUB, the kernel, kdump-tools & co.

    ``versions`` maps ``base-files``, ``grub`` and, with kdump, ``kexec-tools`` and
    ``makedumpfile`` to version strings; ``grub_platform`` is ``pc``, ``efi-amd64``
    or ``efi-arm64``.
    """
    ubuntu = flavour == "ubuntu"
    maint = ("Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>" if ubuntu
             else "Debian Kernel Team <debian-kernel@lists.debian.org>")
    grub_maint = ("Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>" if ubuntu
                  else "GRUB Maintainers <pkg-grub-devel@alioth-lists.debian.net>")
    base_maint = (maint if ubuntu else "Santiago Vila <sanvila@debian.org>")
    g = versions["grub"]
    pkgs = [
        DebPackage("base-files", versions["base-files"], arch_deb, "Debian base system miscellaneous files\n"
                   "This package contains the basic filesystem hierarchy of a Debian system, and\n"
                   "several important miscellaneous files.", section="admin", installed_size=340,
                   maintainer=base_maint, priority="required"),
        DebPackage("grub-common", g, arch_deb, "GRand Unified Bootloader (common files)",
                   installed_size=12884, maintainer=grub_maint, source="grub2",
                   depends="gettext-base, lsb-base (>= 3.0-6), libc6 (>= 2.34), libdevmapper1.02.1 (>= 2:1.02.36)",
                   conffiles=((("/etc/default/grub.d/init-select.cfg", md5_text(INIT_SELECT_CFG)),)
                              if _grub_before_212(g) else ())),
        DebPackage("grub2-common", g, arch_deb, "GRand Unified Bootloader (common files for version 2)",
                   installed_size=1092, maintainer=grub_maint, source="grub2",
                   depends=f"grub-common (= {g}), dpkg (>= 1.15.4) | install-info"),
        DebPackage(f"grub-{grub_platform}", g, arch_deb, "GRand Unified Bootloader, version 2 "
                   f"({'PC/BIOS' if grub_platform == 'pc' else 'EFI'} version)", installed_size=540,
                   maintainer=grub_maint, source="grub2",
                   depends=f"debconf (>= 0.5) | debconf-2.0, grub2-common (= {g}), grub-{grub_platform}-bin (= {g}), "
                           "ucf"),
        DebPackage(f"grub-{grub_platform}-bin", g, arch_deb, "GRand Unified Bootloader, version 2 (binaries)",
                   installed_size=4348, maintainer=grub_maint, source="grub2",
                   depends=f"grub-common (= {g})"),
    ]
    if signed and grub_platform.startswith("efi"):
        pkgs.append(DebPackage(f"grub-{grub_platform}-signed", versions.get("grub-signed", "1.202+" + g), arch_deb,
                               "GRand Unified Bootloader, version 2 (EFI-AMD64 version, signed)",
                               installed_size=6576, maintainer=grub_maint, source="grub2-signed",
                               depends=f"grub-common (>= {g})"))
        pkgs.append(DebPackage("shim-signed", versions.get("shim-signed", "1.58+15.8-0ubuntu1"), arch_deb,
                               "Secure Boot chain-loading bootloader (Microsoft-signed binary)",
                               installed_size=3432, maintainer=grub_maint, section="utils",
                               depends="grub-efi-amd64-signed | grub-efi-arm64-signed, mokutil (>= 0.3.0+1538710437)"))
    pkgs.append(DebPackage(kernel_pkg, kernel_version, arch_deb,
                           f"Linux kernel image for version {kernel_pkg[len('linux-image-'):]}",
                           section="kernel", installed_size=15320, maintainer=maint,
                           depends="kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool"))
    if kdump is not None:
        dropin = kdump_tools_dropin(kdump.crashkernel)
        conf = "/etc/default/grub.d/kdump-tools.cfg"
        pkgs += [
            DebPackage("kexec-tools", versions["kexec-tools"], arch_deb, "tools to support fast kexec reboots\n"
                       "This package provides tools to load a kernel into memory and then\n"
                       "\"reboot\" directly into that kernel using the kexec system call,\n"
                       "bypassing the normal boot process.", installed_size=262, maintainer=maint,
                       depends="debconf (>= 0.5) | debconf-2.0, libc6 (>= 2.34), libzstd1 (>= 1.5.2), zlib1g (>= 1:1.1.4)"),
            DebPackage("makedumpfile", versions["makedumpfile"], arch_deb,
                       "VMcore extraction tool\nThis program is used to extract a subset of the memory available\n"
                       "either via /dev/mem or /proc/vmcore (for crashdumps).",
                       section="devel", installed_size=1011, maintainer=maint,
                       depends="libbz2-1.0, libc6 (>= 2.34), libdw1 (>= 0.158), libelf1 (>= 0.144), liblzo2-2 (>= 2.02)"),
            DebPackage("kdump-tools", kdump.version, arch_deb, "scripts and tools for automating kdump "
                       "(Linux crash dumps)\nAutomatically loads a kdump kernel into memory and saves crash dumps.",
                       section="devel", installed_size=136, maintainer=maint,
                       depends="bsdmainutils, debconf (>= 0.5) | debconf-2.0, file, kexec-tools, makedumpfile, "
                               "ucf, initramfs-tools-core",
                       conffiles=((conf, md5_text(dropin)),
                                  ("/etc/init.d/kdump-tools", md5_text(PLACEHOLDER_SCRIPT)),
                                  ("/etc/kdump/sysctl.conf", md5_text(KDUMP_SYSCTL_CONF)),
                                  ("/etc/kernel/postinst.d/kdump-tools", md5_text(PLACEHOLDER_SCRIPT)),
                                  ("/etc/kernel/postrm.d/kdump-tools", md5_text(PLACEHOLDER_SCRIPT)))),
        ]
    return pkgs + list(extra)


def grubenv_block(lines: Sequence[str], warning: bool = True) -> bytes:
    """A GRUB environment block: exactly 1024 bytes, ``#``-padded (what grub2-editenv writes).

    GRUB 2.06+ (RHEL 9, Fedora) adds the "WARNING: Do not edit" comment; 2.02 (RHEL 8) does not.
    """
    text = "# GRUB Environment Block\n"
    if warning:
        text += "# WARNING: Do not edit this file by tools other than grub-editenv!!!\n"
    text += "".join(line + "\n" for line in lines)
    data = text.encode("utf-8")
    if len(data) > 1024:
        raise ValueError("grubenv content exceeds 1024 bytes")
    return data + b"#" * (1024 - len(data))


UBUNTU2404_OS_RELEASE = """\
PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.1 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
"""

UBUNTU2404_LSB_RELEASE = """\
DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=24.04
DISTRIB_CODENAME=noble
DISTRIB_DESCRIPTION="Ubuntu 24.04.1 LTS"
"""

# Package versions of Ubuntu 24.04 (noble-updates, late 2024).
UBUNTU2404_VERSIONS = {
    "base-files": "13ubuntu10.1",
    "grub": "2.12-1ubuntu7.1",
    "grub-signed": "1.202.1+2.12-1ubuntu7.1",
    "shim-signed": "1.58+15.8-0ubuntu1",
    "kexec-tools": "1:2.0.27-1ubuntu2",
    "makedumpfile": "1:1.7.5-1ubuntu2",
}
