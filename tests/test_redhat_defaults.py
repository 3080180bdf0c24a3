"""The RHEL family's default crashkernel= follows the installed kexec-tools / kdump-utils, not the newest upstream.

Every expected string is what the real ``kdumpctl get-default-crashkernel`` printed, run in a
sandbox (the package's own kdumpctl and kdump-lib.sh, a fake /proc/iomem, /sys/kernel/fadump,
/sys/bus/pci/drivers, /sys/devices/platform, a stubbed journalctl, the revision's own
/etc/sysconfig/kdump) at: kexec-tools 2.0.25-13.el9_2.1 and 2.0.26-8.el9 (RHEL 9.2/9.3, the
el9 dist-git as imported by openela-main/kexec-tools, c613fef and 1dc98e5) and rhkdump/kdump-utils
v1.0.52 (679a1c5), v1.0.53 (fe18f93), v1.0.54 (d5ddc85), v1.0.57 (063548f), v1.0.59 (76be088),
v1.0.60 (fc6e8c3). The output does not depend on RAM (it is the whole range string).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import pytest

from kdumpwiz.engine.answers import Answers
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.errors import CrashkernelError
from kdumpwiz.engine.plan import build_plan
from kdumpwiz.engine.profiles import profile
from tests.fixtures.rpmdb import write_rpmdb

K0 = "2G-4G:384M,4G-16G:512M,16G-64G:1G,64G-128G:2G,128G-:4G"
F0 = ("4G-16G:768M,16G-64G:1G,64G-128G:2G,128G-1T:4G,1T-2T:6G,2T-4T:12G,4T-8T:20G,8T-16T:36G,16T-32T:64G,"
      "32T-64T:128G,64T-:180G")
K16 = "2G-4G:400M,4G-16G:528M,16G-64G:1040M,64G-128G:2064M,128G-:4112M"
F16 = ("4G-16G:784M,16G-64G:1040M,64G-128G:2064M,128G-1T:4112M,1T-2T:6160M,2T-4T:12304M,4T-8T:20496M,"
       "8T-16T:36880M,16T-32T:65552M,32T-64T:131088M,64T-:184336M")
K1 = "2G-4G:385M,4G-16G:513M,16G-64G:1025M,64G-128G:2049M,128G-:4097M"

EL9_3 = ("kexec-tools", "2.0.26", "8.el9")
EL9_2 = ("kexec-tools", "2.0.25", "13.el9_2.1")


def _machine(make_system, arch: str, pkg, *, fadump: Optional[str] = None, append: Optional[str] = None,
             fadump_append: Optional[str] = None, dmesg: Optional[str] = None, page_64k: bool = False,
             smmu: bool = False, mlx5: bool = False):
    """rhel9-x86_64's tree with another rpm database, arch and hardware: (host, facts)."""
    host = make_system("rhel9-x86_64")
    name, version, release = pkg
    rpms = [(name, None, version, release, arch)]
    if name == "kdump-utils":
        rpms.append(("kexec-tools", None, "2.0.29", "1.fc42", arch))
    db = host.path("/var/lib/rpm/rpmdb.sqlite")
    db.unlink()
    write_rpmdb(db, rpms)
    if fadump is not None:
        # kdump-utils reads /sys/kernel/fadump/enabled, the el9 scripts the legacy /sys/kernel/fadump_enabled.
        host.path("/sys/kernel/fadump").mkdir(parents=True, exist_ok=True)
        host.path("/sys/kernel/fadump/enabled").write_text(fadump + "\n")
        host.path("/sys/kernel/fadump_enabled").write_text(fadump + "\n")
    sysconfig = host.path("/etc/sysconfig/kdump")
    text = sysconfig.read_text()
    if append is not None:
        text += f'KDUMP_COMMANDLINE_APPEND="$KDUMP_COMMANDLINE_APPEND {append}"\n'
    if fadump_append is not None:
        text += f'FADUMP_COMMANDLINE_APPEND="{fadump_append}"\n'
    sysconfig.write_text(text)
    if dmesg is not None:
        host.path("/var/log").mkdir(parents=True, exist_ok=True)
        host.path("/var/log/dmesg").write_text(f"[    0.000000] Linux version 5.14.0\n[    0.010000] {dmesg}\n")
    if smmu:
        host.path("/sys/devices/platform/arm-smmu-v3.0.auto").mkdir(parents=True)
    if mlx5:
        host.path("/sys/bus/pci/drivers/mlx5_core").mkdir(parents=True)
    facts = detect(host)
    facts = replace(facts, arch=arch, page_size=65536 if page_64k else 4096)
    return host, facts


def _default(make_system, arch, pkg, **kw) -> str:
    host, facts = _machine(make_system, arch, pkg, **kw)
    found = profile("redhat").distro_default(host, facts)
    assert found is not None
    return found[0]


@pytest.mark.parametrize("pkg, kw, expected", [
    # RHEL 9.3: no per-CPU term, whatever nr_cpus says; fadump mode from the legacy sysfs file.
    (EL9_3, {}, K0),
    (EL9_3, {"append": "nr_cpus=16"}, K0),
    (EL9_3, {"fadump": "1"}, F0),
    # The per-CPU term arrived in v1.0.60 (0d38985), not 1.0.57.
    (("kdump-utils", "1.0.57", "1.fc42"), {"append": "nr_cpus=16"}, K0),
    (("kdump-utils", "1.0.59", "1.fc42"), {"append": "nr_cpus=16"}, K0),
    (("kdump-utils", "1.0.60", "1.fc43"), {"append": "nr_cpus=16"}, K16),
    (("kdump-utils", "1.0.60", "1.fc43"), {}, K1),                                # nr_cpus defaults to 1
    (("kdump-utils", "1.0.60", "1.fc43"), {"append": "nr_cpus=abc"}, K1),         # invalid: 1
    # fadump: the table follows the mode, nr_cpus the system's mode variable.
    (("kdump-utils", "1.0.60", "1.fc43"), {"fadump": "1", "fadump_append": "nr_cpus=16 numa=off"}, F16),
    (("kdump-utils", "1.0.57", "1.fc42"), {"fadump": "1", "fadump_append": "nr_cpus=16 numa=off"}, F0),
])
def test_ppc64le_default_per_installed_version(make_system, pkg, kw, expected):
    assert _default(make_system, "ppc64le", pkg, **kw) == expected


SME = "Memory Encryption Features active: AMD SME"
SNP = "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP"


@pytest.mark.parametrize("pkg, dmesg, expected", [
    (EL9_3, None, "1G-4G:192M,4G-64G:256M,64G-:512M"),
    (EL9_3, SME, "1G-4G:192M,4G-64G:256M,64G-:512M"),                             # el9 has no SME term
    (("kdump-utils", "1.0.52", "1.fc40"), SME, "1G-4G:256M,4G-64G:320M,64G-:576M"),
    (("kdump-utils", "1.0.53", "1.fc41"), None, "2G-64G:256M,64G-:512M"),
    (("kdump-utils", "1.0.53", "1.fc41"), SME, "2G-64G:320M,64G-:576M"),
    (("kdump-utils", "1.0.60", "1.fc43"), SNP, "2G-64G:256M,64G-:512M"),          # the regex ends at SEV
])
def test_x86_64_default_and_memory_encryption(make_system, pkg, dmesg, expected):
    assert _default(make_system, "x86_64", pkg, dmesg=dmesg) == expected


@pytest.mark.parametrize("pkg, kw, expected", [
    (EL9_2, {"page_64k": True}, "1G-4G:256M,4G-64G:320M,64G-:576M"),             # 2.0.25: no 64K terms yet
    (EL9_3, {"page_64k": True}, "1G-4G:356M,4G-64G:420M,64G-:676M"),
    (EL9_3, {"mlx5": True}, "1G-4G:406M,4G-64G:470M,64G-:726M"),
    (("kdump-utils", "1.0.53", "1.fc41"), {}, "1G-4G:256M,4G-64G:320M,64G-:576M"),
    (("kdump-utils", "1.0.54", "1.fc41"), {}, "2G-4G:256M,4G-64G:320M,64G-:576M"),
    (("kdump-utils", "1.0.54", "1.fc41"), {"smmu": True}, "2G-4G:256M,4G-64G:320M,64G-:576M"),  # SMMU: 64K only
    (("kdump-utils", "1.0.54", "1.fc41"), {"page_64k": True, "smmu": True, "mlx5": True},
     "2G-4G:940M,4G-64G:1004M,64G-:1260M"),
])
def test_aarch64_default_per_installed_version(make_system, pkg, kw, expected):
    assert _default(make_system, "aarch64", pkg, **kw) == expected


@pytest.mark.parametrize("arch, expected", [("x86_64", "2G-64G:256M,64G-:512M"),
                                             ("aarch64", "1G-4G:256M,4G-64G:320M,64G-:576M")])
def test_rhel10_kdump_utils_carries_the_2g_table(make_system, arch, expected):
    """RHEL 10.0 ships kdump-utils 1.0.51-11.el10_0 yet documents 2 GB-64 GB: 256 MB (fe18f93 backported),
    and 1 GB-4 GB: 256 MB on 64-bit ARM (no ca42bd6): Red Hat's RHEL 10 "Memory requirements for kdump"."""
    assert _default(make_system, arch, ("kdump-utils", "1.0.51", "11.el10_0")) == expected


def test_fadump_value_below_the_fadump_default_is_refused(make_system):
    """ppc64le with fadump on: 512M would be pinned with auto_reset_crashkernel no, below kdump's 1G."""
    host, facts = _machine(make_system, "ppc64le", EL9_3, fadump="1")
    with pytest.raises(CrashkernelError, match="fadump is on"):
        build_plan(host, facts, Answers(crashkernel="512M").validate())


def test_fadump_suggestion_is_never_below_the_fadump_table(make_system):
    """The reported case: kdumpwiz suggested 513M on a 32 GiB fadump LPAR where kdumpctl says 1G."""
    from kdumpwiz.engine.sizing import suggest

    host, facts = _machine(make_system, "ppc64le", EL9_3, fadump="1")
    assert facts.memory.rounded_bytes == 32 << 30
    suggestion = suggest(host, facts)
    assert suggestion.baseline_value == F0 and suggestion.reserved_bytes >= 1 << 30, suggestion.reasons
    assert "fadump default" in suggestion.baseline_source
