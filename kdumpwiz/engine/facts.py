"""The immutable snapshot of what detection found on a host.

Screens and the CLI render a :class:`Facts`; they never probe the machine
themselves. ``to_dict()`` is the JSON contract of ``kdumpwiz detect --json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional, Tuple

FAMILIES = ("debian", "redhat", "suse")

#: Boot methods kdumpwiz knows how to recognise; only some can be edited.
BOOT_METHODS = (
    "grub-debian",         # /etc/default/grub + grub.d/*.cfg, update-grub (Debian/Ubuntu)
    "zipl-debian",         # Debian/Ubuntu s390x: /etc/zipl.conf parameters=, zipl
    "grub-bls",            # RHEL 9+/Fedora/AL2023: BLS options + /etc/default/grub (+ /etc/kernel/cmdline)
    "grubenv-kernelopts",  # RHEL 8: BLS entries use $kernelopts from grubenv
    "zipl-bls",            # RHEL family s390x: BLS entries read by zipl
    "grub-suse",           # SUSE grub2 / grub2-efi through KDUMP_CRASHKERNEL + /etc/default/grub
    "suse-bls",            # SUSE grub2-bls / systemd-boot (sdbootutil)
    "systemd-boot",        # /etc/kernel/cmdline + loader entries
    "ostree",              # rpm-ostree / bootc kargs
    "unknown",
)


@dataclass(frozen=True)
class Blocker:
    """A reason kdump is impossible or unsafe here, and what to do instead."""

    code: str
    reason: str
    remedy: str

    def __str__(self) -> str:
        return f"{self.reason} -- {self.remedy}"


@dataclass(frozen=True)
class Distro:
    """The distribution as os-release (through python-distro) names it."""

    id: str
    version: str
    like: Tuple[str, ...]
    name: str
    codename: str = ""

    @property
    def major(self) -> int:
        """The major version number, 0 when there is none (rolling releases)."""
        head = self.version.split(".")[0]
        return int(head) if head.isdigit() else 0


@dataclass(frozen=True)
class Memory:
    """RAM as the kernel's crashkernel parser counts it, with its provenance.

    ``system_ram_bytes`` is the sum of top-level "System RAM" ranges of
    /proc/iomem (memblock, within a page); ``source`` says whether it came from
    there or from the MemTotal fallback (MemTotal + current reservation + a
    margin), which is labelled because it can pick the wrong range; "given"
    is ``--ram`` for an offline image and "unknown" an image without it.
    """

    system_ram_bytes: int
    rounded_bytes: int
    source: str
    memtotal_bytes: Optional[int]
    note: str = ""


@dataclass(frozen=True)
class KexecState:
    """The running kernel's crash-kernel state (from /proc and /sys)."""

    supported: bool                  # /sys/kernel/kexec_crash_loaded exists
    crash_loaded: Optional[bool]     # kexec_crash_loaded == 1 (None: file missing)
    crash_size: Optional[int]        # kexec_crash_size in bytes (None: missing)
    iomem_ranges: Tuple[Tuple[int, int], ...]  # "Crash kernel" ranges in /proc/iomem
    running_cmdline: str
    running_crashkernel: Optional[str]  # value of the token the kernel used, if any


@dataclass(frozen=True)
class KernelFiles:
    """The running kernel's files that the capture kernel reuses (sizes feed the estimate)."""

    release: str
    vmlinuz: Optional[str]
    vmlinuz_bytes: Optional[int]
    initrd: Optional[str]
    initrd_bytes: Optional[int]
    kdump_initrd: Optional[str]
    kdump_initrd_bytes: Optional[int]
    modules: int                     # modules listed in modules.dep (0 if unknown)
    #: x86 bzImage ``init_size``: the memory the kernel needs to decompress and start,
    #: which kexec must find in one piece inside the reservation (None: not a bzImage).
    init_size: Optional[int] = None
    #: The kdump initrd's unpacked size as kdump-tools (1:1.10+) records it when it builds
    #: the initrd (``/var/lib/kdump/size_initrd.img-<release>``, whole MiB rounded up by du).
    kdump_initrd_unpacked_bytes: Optional[int] = None
    #: MODULES= of the configuration kdump-tools built its initrd with
    #: (``/var/lib/kdump/initramfs-tools``: dep, most, list, netboot), None if unknown.
    kdump_initrd_modules: Optional[str] = None
    #: The CMA area every boot of this kernel sets aside by default (``CONFIG_CMA_SIZE_MBYTES``
    #: of ``/boot/config-<release>``, with CONFIG_DMA_CMA): the capture kernel too takes it out
    #: of the reservation unless its command line says ``cma=``. 0: none or unknown.
    cma_default_bytes: int = 0


@dataclass(frozen=True)
class BootInfo:
    """How this machine boots and what its boot configuration asks for."""

    method: str
    efi: bool
    secure_boot: Optional[bool]
    lockdown: Optional[str]
    files: Tuple[str, ...]            # the boot files kdumpwiz would read/edit
    configured_cmdline: Optional[str]  # the default entry's command line as configured on disk
    configured_crashkernel: Optional[str]
    detail: str = ""


@dataclass(frozen=True)
class Packages:
    """kdump packages of this family: installed, missing, and how to install them."""

    required: Tuple[str, ...]
    installed: Tuple[str, ...]
    missing: Tuple[str, ...]
    install_argv: Tuple[str, ...]


@dataclass(frozen=True)
class Service:
    """The kdump service unit and its state."""

    unit: str
    present: bool
    enabled: bool
    active: Optional[bool]            # None when not asked (not the live system)


@dataclass(frozen=True)
class DumpTarget:
    """The configured local dump directory: free space and encryption."""

    path: str
    free_bytes: Optional[int]
    luks: bool
    existing_dumps: Tuple[str, ...]


@dataclass(frozen=True)
class Facts:
    """Everything detection found; immutable so every consumer sees the same."""

    hostname: str
    distro: Distro
    family: Optional[str]
    arch: str
    page_size: int
    cpus: int
    memory: Memory
    kexec: KexecState
    kernel: KernelFiles
    boot: BootInfo
    packages: Packages
    service: Service
    dump: DumpTarget
    container: Optional[str]
    blockers: Tuple[Blocker, ...]
    warnings: Tuple[str, ...] = ()
    extra: Dict[str, Any] = field(default_factory=dict)
    #: An unbooted image (no running kernel under the root): see detect.is_offline_image.
    offline: bool = False

    @property
    def blocked(self) -> bool:
        """True when any blocker stops kdump here."""
        return bool(self.blockers)

    def to_dict(self) -> Dict[str, Any]:
        """The JSON form; ``blockers`` is a list of one-line strings."""
        out = asdict(self)
        out["blockers"] = [str(b) for b in self.blockers]
        out["blocker_details"] = [asdict(b) for b in self.blockers]
        out["warnings"] = list(self.warnings)
        out["distro"]["like"] = list(self.distro.like)
        out["kexec"]["iomem_ranges"] = [list(r) for r in self.kexec.iomem_ranges]
        return out
