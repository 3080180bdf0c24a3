"""The capture kernel's CMA area is counted in the estimate (issue 11 §5).

The capture kernel is the running kernel: Debian's arm64 kernels are built with
CONFIG_CMA_SIZE_MBYTES=64 (the `cma-reserved` of their boot log) and kdump-tools'
default append has no ``cma=``, so 64 MiB of the reservation is gone before the
capture kernel unpacks its initrd (128M then runs out of memory there, per the
issue's measurement).  Debian's amd64 kernels have CONFIG_CMA unset; RHEL's arm64
kdump append carries ``cma=0``.  The config lines below are the ones those
kernels' /boot/config-* files hold.
"""

from __future__ import annotations

from kdumpwiz.engine.crashkernel import MIB
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.sizing import capture_cma, estimate, suggest

ARM64_CMA = "CONFIG_CMA=y\nCONFIG_DMA_CMA=y\nCONFIG_CMA_SIZE_MBYTES=64\nCONFIG_CMA_SIZE_SEL_MBYTES=y\n"
AMD64_NO_CMA = "# CONFIG_CMA is not set\n"
PERCENT = "CONFIG_CMA=y\nCONFIG_DMA_CMA=y\nCONFIG_CMA_SIZE_PERCENTAGE=10\nCONFIG_CMA_SIZE_SEL_PERCENTAGE=y\n"


def _with_config(host, text: str) -> None:
    release = detect(host).kernel.release
    (host.root / "boot").mkdir(exist_ok=True)
    (host.root / f"boot/config-{release}").write_text(text)


def _part(host, label: str) -> int:
    return sum(b for name, b in estimate(host, detect(host))[1] if name.startswith(label))


def test_arm64_default_cma_is_part_of_the_estimate(make_system):
    host = make_system("ubuntu2404-arm64")
    before = estimate(host, detect(host))[0]
    _with_config(host, ARM64_CMA)
    facts = detect(host)
    assert facts.kernel.cma_default_bytes == 64 * MIB
    assert _part(host, "CMA area") == 64 * MIB
    assert estimate(host, facts)[0] >= before + 64 * MIB
    assert any("CONFIG_CMA_SIZE_MBYTES=64" in r for r in estimate(host, facts)[2])
    assert suggest(host, facts).estimate_bytes >= before + 64 * MIB


def test_cma_given_to_the_capture_kernel_wins(make_system):
    """The last cma= of the running command line and kdump-tools' append decides; cma=0 gives it back."""
    host = make_system("ubuntu2404-arm64")
    _with_config(host, ARM64_CMA)
    defaults = host.root / "etc/default/kdump-tools"
    text = defaults.read_text()
    defaults.write_text(text + 'KDUMP_CMDLINE_APPEND="reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 cma=0"\n')
    assert capture_cma(host, detect(host))[0] == 0 and _part(host, "CMA area") == 0
    defaults.write_text(text + 'KDUMP_CMDLINE_APPEND="reset_devices nr_cpus=1 cma=32M@0-4G"\n')
    assert capture_cma(host, detect(host)) == (32 * MIB, "cma=32M@0-4G on the capture kernel's command line")
    defaults.write_text(text + 'KDUMP_CMDLINE_APPEND="reset_devices nr_cpus=1 cma=lots"\n')
    assert capture_cma(host, detect(host))[0] == 64 * MIB  # the kernel ignores what it cannot parse


def test_no_cma_where_the_kernel_has_none(make_system):
    host = make_system("debian12-amd64")
    _with_config(host, AMD64_NO_CMA)
    assert detect(host).kernel.cma_default_bytes == 0 and _part(host, "CMA area") == 0
    arm = make_system("ubuntu2404-arm64")
    _with_config(arm, PERCENT)  # a share of RAM: unknown inside a reservation, not guessed
    assert detect(arm).kernel.cma_default_bytes == 0


def test_rhel_arm64_append_with_cma_0(make_system):
    host = make_system("rocky9-aarch64-64k")
    _with_config(host, ARM64_CMA)
    sysconfig = host.root / "etc/sysconfig/kdump"
    lines = [l for l in sysconfig.read_text().splitlines() if not l.startswith("KDUMP_COMMANDLINE_APPEND=")]
    sysconfig.write_text("\n".join(lines + ['KDUMP_COMMANDLINE_APPEND="irqpoll nr_cpus=1 reset_devices cma=0 hugetlb_cma=0"']) + "\n")
    assert capture_cma(host, detect(host))[0] == 0
