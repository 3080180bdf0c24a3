"""The demo machine behind ``kdumpwiz --demo``.

:func:`build_demo_root` writes a fake root tree of a realistic Ubuntu 24.04
x86_64 server into a directory: 16 GiB of RAM (as /proc/iomem shows it), 8 CPUs,
legacy BIOS boot with GRUB, the running kernel 6.8.0-48-generic, and
kdump-tools 1:1.10.3ubuntu2 installed and enabled with Ubuntu's tiered default
(``2G-4G:320M,4G-32G:512M,...``: 512 MiB on 16 GiB) in
``/etc/default/grub.d/kdump-tools.cfg``. It was installed by curtin as a server
is, so ``GRUB_CMDLINE_LINUX_DEFAULT`` is empty, and grub 2.12 ships no
``init-select.cfg``. The running command line has no ``crashkernel=`` yet (the
package was installed, the machine not rebooted), so nothing is reserved:
``/sys/kernel/kexec_crash_size`` is 0. The debconf question "enable
kdump-tools?" was answered no, so ``USE_KDUMP=0``. The default covers this
machine's estimate, so the demo's plan keeps it and shows why: it enables
kdump-tools and asks for the reboot that makes the reservation.

Kernel and initrd files are sparse, so the tree costs a few hundred KiB of disk.
Nothing here reads the real system or imports the engine; the tree is plain data
that the engine then detects like any other root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from .treebuilder import (
    CPU_MODELS,
    MiB,
    UBUNTU2404_SERVER_GRUB_DEFAULT,
    UBUNTU2404_LSB_RELEASE,
    UBUNTU2404_OS_RELEASE,
    UBUNTU2404_VERSIONS,
    DebianSystem,
    KdumpTools,
    Machine,
    Tree,
    build_debian_family,
    deb_core_packages,
    memtotal_kb,
    ram_bytes,
    render_mounts,
    x86_bios_iomem,
    x86_kernel_children,
)

__all__ = ["DEMO_SPEC", "build_demo_root"]

_RELEASE = "6.8.0-48-generic"
_ROOT_LV = "/dev/mapper/ubuntu--vg-ubuntu--lv"
_BOOT_UUID = "5d0a5f3e-1b7c-4c53-9b7e-2f1d8c3a6e41"
_ROOT_UUID = "0b2c6f47-8e0a-4f6f-a2f4-9c7d1e5b3a28"
#: Ubuntu 24.04's kdump-tools.cfg on amd64 (1:1.10.3ubuntu2; see profiles.debian.packaged_default).
_DEFAULT_CRASHKERNEL = "2G-4G:320M,4G-32G:512M,32G-64G:1024M,64G-128G:2048M,128G-:4096M"
_IOMEM = x86_bios_iomem(16, x86_kernel_children(0x2c600000, 0x1400e87, 0x9d4000, 0x3bd7c0, 0x31c000))

DEMO_SPEC: Dict[str, Any] = {
    "name": "demo",
    "family": "debian",
    "distro_id": "ubuntu",
    "version": "24.04",
    "arch": "x86_64",
    "kernel_release": _RELEASE,
    "system_ram_bytes": 17179319296,
    "boot_method": "grub-debian",
    "cpus": 8,
    "page_size": 4096,
    "blockers": (),
    "running_crashkernel": None,
    "notes": "Ubuntu 24.04 server, 16 GiB BIOS/GRUB, kdump-tools installed with its tiered default "
             "(512M here) but not rebooted yet: nothing reserved",
}


def _demo_system() -> DebianSystem:
    kdump = KdumpTools(version="1:1.10.3ubuntu2", crashkernel=_DEFAULT_CRASHKERNEL, mem_estimator=True, use_kdump=False,
                       kdump_initrd_size=31 * MiB + 417792)
    machine = Machine(
        hostname="demo-server",
        machine_id="3f6c2a9d8e1b4c7fa05d2e9b61c8f4a7",
        arch="x86_64",
        kernel_release=_RELEASE,
        cpus=8,
        cpu_model=CPU_MODELS["kvm-icelake"],
        iomem=_IOMEM,
        memtotal_kb=memtotal_kb(ram_bytes(_IOMEM), 0.026),
        swap_kb=4194300,
        cmdline=f"BOOT_IMAGE=/vmlinuz-{_RELEASE} root={_ROOT_LV} ro",
        mounts=render_mounts([
            f"{_ROOT_LV} / ext4 rw,relatime 0 0",
            "/dev/sda2 /boot ext4 rw,relatime 0 0",
            "/dev/loop0 /snap/core22/1663 squashfs ro,nodev,relatime,errors=continue,threads=single 0 0",
        ]),
        fstab=(
            "# /etc/fstab: static file system information.\n"
            "#\n"
            "# Use 'blkid' to print the universally unique identifier for a\n"
            "# device; this may be used with UUID= as a more robust way to name devices\n"
            "# that works even if disks are added and removed. See fstab(5).\n"
            "#\n"
            "# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
            f"# / was on /dev/ubuntu-vg/ubuntu-lv during curtin installation\n"
            f"/dev/disk/by-id/dm-uuid-LVM-Xk2uJ7bqM0d3cT9sWfP1yR8vL4nA6hQe5Zg3Ks7Dj2Ub9Np0Wc1Vx4Ty8Rm6Li3Oa / ext4 "
            "defaults 0 1\n"
            f"# /boot was on /dev/sda2 during curtin installation\n"
            f"/dev/disk/by-uuid/{_BOOT_UUID} /boot ext4 defaults 0 1\n"
            "/swap.img\tnone\tswap\tsw\t0\t0\n"
        ),
        os_release=UBUNTU2404_OS_RELEASE,
        crash_size=0,
    )
    packages = deb_core_packages(
        "ubuntu", "amd64", UBUNTU2404_VERSIONS, f"linux-image-{_RELEASE}", "6.8.0-48.48", "pc", kdump=kdump)
    return DebianSystem(
        machine=machine,
        flavour="ubuntu",
        pretty_name="Ubuntu",
        debian_version="trixie/sid",
        lsb_release=UBUNTU2404_LSB_RELEASE,
        grub_default=UBUNTU2404_SERVER_GRUB_DEFAULT,
        grub_cmdline_default=f" crashkernel={_DEFAULT_CRASHKERNEL}",
        root_arg=_ROOT_LV,
        root_fs_uuid=_BOOT_UUID,
        boot_on_root=False,
        grub_cfg_parttool="part_gpt",
        packages=packages,
        kdump_tools=kdump,
        grub_cfg_mode=0o644,   # the demo's simulated update-grub rewrites it as the invoking user
        vmlinuz_size=14 * MiB + 931720,
        initrd_size=66 * MiB + 3145728,
    )


def build_demo_root(dest: Path) -> Path:
    """Write the demo machine's root tree into ``dest`` (created if needed; may be empty) and return it."""
    dest = Path(dest)
    build_debian_family(Tree(dest), _demo_system())
    return dest
