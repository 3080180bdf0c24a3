"""Host containment and the detection rules that fixtures alone do not exercise."""

from __future__ import annotations

import os

import pytest

from kdumpwiz.engine.detect import detect, parse_iomem, read_container, read_secure_boot
from kdumpwiz.engine.errors import HostError
from kdumpwiz.engine.facts import Distro
from kdumpwiz.engine.profiles import family_for
from kdumpwiz.engine.host import Host, RecordingRunner


def test_absolute_symlinks_stay_inside_the_root(tmp_path):
    root = tmp_path / "root"
    (root / "boot").mkdir(parents=True)
    (root / "boot/vmlinuz-1").write_text("inside")
    (root / "var/lib/kdump").mkdir(parents=True)
    os.symlink("/boot/vmlinuz-1", root / "var/lib/kdump/vmlinuz")
    os.symlink("/etc/shadow", root / "var/lib/kdump/escape")
    os.symlink("../../../../../../etc/passwd", root / "var/lib/kdump/dotdot")
    host = Host(root)
    assert host.read_text("/var/lib/kdump/vmlinuz") == "inside"
    assert host.path("/var/lib/kdump/escape") == root / "etc/shadow"
    assert host.path("/var/lib/kdump/dotdot") == root / "etc/passwd"
    assert not host.exists("/var/lib/kdump/escape")
    assert host.path("/../../etc/hosts") == root / "etc/hosts"


def test_symlink_loops_are_an_error(tmp_path):
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    with pytest.raises(HostError, match="too many levels"):
        Host(tmp_path).path("/a")


def test_relative_paths_are_refused(tmp_path):
    with pytest.raises(HostError):
        Host(tmp_path).path("etc/fstab")


def test_commands_run_through_chroot_off_the_live_root(tmp_path):
    runner = RecordingRunner()
    Host(tmp_path, runner).run(["update-grub"])
    assert runner.calls == [("chroot", str(tmp_path.resolve()), "update-grub")]
    assert runner.logical_calls == [("update-grub",)]
    with pytest.raises(HostError):
        Host(tmp_path, runner).run(["echo", "a\0b"])


def test_not_utf8_config_is_refused(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/kdump.conf").write_bytes(b"path /var/cr\xe4sh\n")
    with pytest.raises(HostError, match="not valid UTF-8"):
        Host(tmp_path).read_text("/etc/kdump.conf")


def test_iomem_sums_only_top_level_system_ram():
    text = (
        "00000000-00000fff : Reserved\n"
        "00001000-0009fbff : System RAM\n"
        "00100000-bfffffff : System RAM\n"
        "  01000000-02209987 : Kernel code\n"
        "  2d000000-3cffffff : Crash kernel\n"
        "  3d000000-3dffffff : System RAM\n"
        "100000000-63fffffff : System RAM\n"
    )
    total, crash = parse_iomem(text)
    assert total == (0x9fbff - 0x1000 + 1) + (0xbfffffff - 0x100000 + 1) + (0x63fffffff - 0x100000000 + 1)
    assert crash == [(0x2d000000, 0x3cffffff)]


def test_memtotal_fallback_is_labelled_and_adds_the_reservation(make_system):
    host = make_system("debian12-amd64")
    iomem = host.path("/proc/iomem")
    # What a non-root reader sees: every address zero.
    iomem.write_text("".join(
        f"{'  ' if l.startswith(' ') else ''}00000000-00000000 : {l.split(' : ', 1)[1]}\n"
        for l in iomem.read_text().splitlines()
    ))
    facts = detect(host)
    assert facts.memory.source == "meminfo-fallback"
    memtotal = facts.memory.memtotal_bytes
    assert facts.memory.system_ram_bytes == int(memtotal * 1.03) + facts.kexec.crash_size
    assert any("MemTotal" in w for w in facts.warnings)


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"/.dockerenv": ""}, "docker"),
        ({"/run/.containerenv": ""}, "podman"),
        ({"/run/systemd/container": "lxc\n"}, "lxc"),
        ({"/proc/1/environ": "HOME=/\0container=systemd-nspawn\0"}, "systemd-nspawn"),
        ({"/proc/sys/kernel/osrelease": "5.15.153.1-microsoft-standard-WSL2\n"}, "wsl"),
        ({"/proc/vz/veinfo": ""}, "openvz"),
        ({}, None),
    ],
)
def test_container_detection(tmp_path, files, expected):
    for path, text in files.items():
        real = tmp_path / path.lstrip("/")
        real.parent.mkdir(parents=True, exist_ok=True)
        real.write_text(text)
    assert read_container(Host(tmp_path)) == expected


@pytest.mark.parametrize("sb, setup, expected", [(1, 0, True), (0, 0, False), (1, 1, False)])
def test_secure_boot_needs_secureboot_1_and_setupmode_0(tmp_path, sb, setup, expected):
    d = tmp_path / "sys/firmware/efi/efivars"
    d.mkdir(parents=True)
    guid = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
    (d / f"SecureBoot-{guid}").write_bytes(b"\x06\x00\x00\x00" + bytes([sb]))
    (d / f"SetupMode-{guid}").write_bytes(b"\x06\x00\x00\x00" + bytes([setup]))
    assert read_secure_boot(Host(tmp_path)) is expected


@pytest.mark.parametrize(
    "distro_id, like, family",
    [
        ("rhel", ("fedora",), "redhat"),
        ("amzn", ("fedora",), "redhat"),
        ("oracle", (), "redhat"),
        ("sles", (), "suse"),
        ("opensuse-tumbleweed", ("opensuse", "suse"), "suse"),
        ("linuxmint", ("ubuntu", "debian"), "debian"),
        ("myderivative", ("rhel", "centos", "fedora"), "redhat"),
        ("arch", (), None),
        ("gentoo", (), None),
    ],
)
def test_family_from_id_and_like(distro_id, like, family):
    assert family_for(Distro(id=distro_id, version="1", like=like, name=distro_id)) == family


def test_luks_dump_target_is_detected_and_costs_memory(make_system):
    host = make_system("fedora41-x86_64")
    base = detect(host)
    mounts = host.path("/proc/mounts")
    mounts.write_text(mounts.read_text() + "/dev/mapper/luks-crash /var/crash xfs rw,relatime 0 0\n")
    host.path("/etc/crypttab").write_text("luks-crash UUID=0f4e6c2a-1b2c-4d5e-8f90-123456789abc none luks\n")
    facts = detect(host)
    assert facts.dump.luks and not base.dump.luks
    assert any("LUKS" in w for w in facts.warnings)
    from kdumpwiz.engine.sizing import estimate

    assert estimate(host, facts)[0] > estimate(host, base)[0]


def test_hints_name_the_same_root(tmp_path):
    """A hint off the live root must carry --root, or the admin would act on the machine they run on."""
    from kdumpwiz.engine.host import Host

    assert Host("/").cli("rollback") == "'kdumpwiz rollback'"
    odd = tmp_path / "my image"
    odd.mkdir()
    assert Host(odd).cli("apply --finish --yes") == f"""'kdumpwiz --root "{odd}" apply --finish --yes'"""
    plain = tmp_path / "img"
    plain.mkdir()
    assert Host(plain).cli("rollback") == f"'kdumpwiz --root {plain} rollback'"


def test_non_root_on_the_live_system_is_told_up_front(monkeypatch):
    """Detection on / as a normal user warns at once that applying needs root (not only at Apply)."""
    import os

    from kdumpwiz.engine.detect import detect
    from kdumpwiz.engine.host import Host, RecordingRunner

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    facts = detect(Host("/", RecordingRunner()))
    assert any(w.startswith("not running as root") for w in facts.warnings)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert not any(w.startswith("not running as root") for w in detect(Host("/", RecordingRunner())).warnings)


def _bzimage(path, init_size: int, version: int = 0x20F, magic: bytes = b"HdrS", size: int = 8 << 20) -> None:
    """A sparse kernel file with just the setup-header fields the x86 boot protocol defines."""
    with open(path, "wb") as fh:
        fh.truncate(size)
        fh.seek(0x202)
        fh.write(magic + version.to_bytes(2, "little"))
        fh.seek(0x260)
        fh.write(init_size.to_bytes(4, "little"))


@pytest.mark.parametrize("version, magic, expected", [
    (0x20F, b"HdrS", 0x3F97000),   # Debian 12's 6.1 kernel: 63.6 MiB (vm-e2e-notes §8)
    (0x20A, b"HdrS", 0x3F97000),   # the first protocol with init_size
    (0x209, b"HdrS", None),        # older: the field is not defined
    (0x20F, b"MZ\0\0", None),      # not a bzImage (an arm64 Image, a PE zboot, a vmlinux)
])
def test_bzimage_init_size_is_read_from_the_setup_header(tmp_path, version, magic, expected):
    from kdumpwiz.engine.detect import bzimage_init_size
    (tmp_path / "boot").mkdir()
    _bzimage(tmp_path / "boot/vmlinuz-6.1.0-50-amd64", 0x3F97000, version, magic)
    assert bzimage_init_size(Host(tmp_path), "/boot/vmlinuz-6.1.0-50-amd64") == expected


def test_short_or_missing_kernel_has_no_init_size(tmp_path):
    from kdumpwiz.engine.detect import bzimage_init_size
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot/vmlinuz-x").write_bytes(b"HdrS")
    assert bzimage_init_size(Host(tmp_path), "/boot/vmlinuz-x") is None
    assert bzimage_init_size(Host(tmp_path), "/boot/vmlinuz-missing") is None


@pytest.mark.parametrize("content, expected", [("36\n", 36 << 20), ("0\n", None), ("", None), ("36M\n", None)])
def test_kdump_tools_recorded_unpacked_initrd_size(tmp_path, content, expected):
    """kdump-tools 1:1.10's hook writes `du -sm` of the unpacked initrd next to it; junk is ignored."""
    from kdumpwiz.engine.detect import read_kernel_files
    rel = "6.12.117+deb13-amd64"
    (tmp_path / "var/lib/kdump").mkdir(parents=True)
    (tmp_path / f"var/lib/kdump/initrd.img-{rel}").write_bytes(b"\0" * 4096)
    (tmp_path / f"var/lib/kdump/size_initrd.img-{rel}").write_text(content)
    assert read_kernel_files(Host(tmp_path), rel).kdump_initrd_unpacked_bytes == expected


def test_a_size_record_older_than_the_initrd_is_ignored(tmp_path):
    """An initrd rebuilt by hand (mkinitramfs) leaves kdump-tools' record of the old one behind."""
    from kdumpwiz.engine.detect import read_kernel_files
    rel = "6.12.117+deb13-amd64"
    (tmp_path / "var/lib/kdump").mkdir(parents=True)
    initrd = tmp_path / f"var/lib/kdump/initrd.img-{rel}"
    record = tmp_path / f"var/lib/kdump/size_initrd.img-{rel}"
    initrd.write_bytes(b"\0" * 4096)
    record.write_text("36\n")
    os.utime(record, (1_700_000_000, 1_700_000_000))
    os.utime(initrd, (1_700_000_100, 1_700_000_100))   # rebuilt 100 s after the record
    assert read_kernel_files(Host(tmp_path), rel).kdump_initrd_unpacked_bytes is None
    os.utime(record, (1_700_000_101, 1_700_000_101))   # the hook writes it right after the initrd
    assert read_kernel_files(Host(tmp_path), rel).kdump_initrd_unpacked_bytes == 36 << 20


@pytest.mark.parametrize("files, expected", [
    ({"initramfs.conf": "MODULES=most\n", "conf.d/zzz-kdump": "MODULES=dep\n"}, "dep"),   # kdump-tools' hook
    ({"initramfs.conf": "MODULES=most\n"}, "most"),
    ({"initramfs.conf": "MODULES=most\n", "conf.d/zzz-kdump": "MODULES=dep\n",
      "conf.d/zzz-kdump.dpkg-old": "MODULES=list\n"}, "dep"),                          # skipped like the hook does
    ({"initramfs.conf": "# MODULES=list\nMODULES=most\n", "conf.d/a": "MODULES='netboot'\n"}, "netboot"),
    ({}, None),
])
def test_kdump_initrd_modules_policy(tmp_path, files, expected):
    from kdumpwiz.engine.detect import kdump_initrd_modules
    base = tmp_path / "var/lib/kdump/initramfs-tools"
    (base / "conf.d").mkdir(parents=True)
    for name, text in files.items():
        (base / name).write_text(text)
    assert kdump_initrd_modules(Host(tmp_path)) == expected
