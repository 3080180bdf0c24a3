"""Per-family edits: the real shell as the oracle for Debian's grub.d chain, override
detection, RHEL's auto_reset policy and grubenv, SUSE's KDUMP_CRASHKERNEL, dump targets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kdumpwiz.engine import crashkernel
from kdumpwiz.engine.answers import Answers, Target
from kdumpwiz.engine.apply import apply_plan
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.editors import kdumpconf, shellvars
from kdumpwiz.engine.errors import EditError, IneffectiveEditError, KdumpwizError
from kdumpwiz.engine.plan import build_plan

DASH = "/usr/bin/dash"


def dash_grub_cmdline(root: Path) -> str:
    """What grub-mkconfig's 10_linux would put on a normal entry, computed by dash itself."""
    script = (
        'set -e\n. "$1/etc/default/grub"\n'
        'for x in "$1"/etc/default/grub.d/*.cfg; do if [ -e "$x" ]; then . "$x"; fi; done\n'
        'printf "%s %s" "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT"\n'
    )
    out = subprocess.run([DASH, "-c", script, "dash", str(root)], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    assert out.returncode == 0, out.stderr
    return out.stdout


def plan_apply(host, answers=None):
    plan = build_plan(host, detect(host), answers or Answers())
    apply_plan(host, plan)
    return plan


@pytest.mark.parametrize("name", ["debian12-amd64", "ubuntu2204-amd64", "ubuntu2404-arm64", "ubuntu2404-cloud"])
@pytest.mark.parametrize("value", ["auto", "448M", "1G-8G:256M,8G-:512M"])
def test_debian_chain_under_dash_gives_the_planned_value(name, value, make_system):
    host = make_system(name)
    facts = detect(host)
    plan = plan_apply(host, Answers(crashkernel=value))
    line = dash_grub_cmdline(host.root)
    res = crashkernel.evaluate(line, facts.memory.system_ram_bytes, facts.arch)
    assert res.token == plan.crashkernel and res.reserved_bytes == plan.reserved_bytes > 0
    if host.exists("/etc/default/grub.d/zz-kdumpwiz.cfg"):
        subprocess.run([DASH, "-n", str(host.path("/etc/default/grub.d/zz-kdumpwiz.cfg"))], check=True)


def test_later_dropin_that_replaces_the_variable_is_refused(make_system):
    host = make_system("ubuntu2404-cloud")
    late = host.path("/etc/default/grub.d/~local.cfg")
    late.write_text('GRUB_CMDLINE_LINUX_DEFAULT="console=ttyS1"\n')
    with pytest.raises(IneffectiveEditError, match="would use no crashkernel="):
        build_plan(host, detect(host), Answers(crashkernel="256M"))


def test_later_dropin_with_its_own_crashkernel_is_refused(make_system):
    host = make_system("debian12-amd64")
    host.path("/etc/default/grub.d/zzz-site.cfg").write_text(
        'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=1G"\n')
    with pytest.raises(IneffectiveEditError, match="would use crashkernel=1G"):
        build_plan(host, detect(host), Answers(crashkernel="256M"))


def test_later_dropin_that_appends_is_fine(make_system):
    host = make_system("debian12-amd64")
    host.path("/etc/default/grub.d/zzz-serial.cfg").write_text(
        'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT console=ttyS1,115200"\n')
    plan = plan_apply(host, Answers(crashkernel="256M"))
    line = dash_grub_cmdline(host.root)
    assert line.endswith("crashkernel=256M console=ttyS1,115200")
    assert crashkernel.evaluate(line, detect(host).memory.system_ram_bytes).token == plan.crashkernel == "256M"


def test_bashism_in_grub_defaults_is_refused_with_line(make_system):
    host = make_system("debian12-amd64")
    path = host.path("/etc/default/grub")
    lines = path.read_text().splitlines(keepends=True)
    lines.append('GRUB_CMDLINE_LINUX_DEFAULT+=" nosplash"\n')
    path.write_text("".join(lines))
    with pytest.raises(EditError) as err:
        build_plan(host, detect(host), Answers(crashkernel="256M"))
    assert err.value.path == "/etc/default/grub" and err.value.line == len(lines)


def test_existing_dropin_is_edited_in_place(make_system):
    host = make_system("ubuntu2204-amd64")
    plan_apply(host, Answers(crashkernel="384M"))
    second = build_plan(host, detect(host), Answers(crashkernel="512M"))
    assert [f.path for f in second.files] == ["/etc/default/grub.d/zz-kdumpwiz.cfg"]
    diff = second.files[0].diff
    assert '-GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=384M"' in diff
    assert '+GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=512M"' in diff


def test_debian_targets_and_options(make_system):
    host = make_system("debian12-amd64")
    answers = Answers(crashkernel="256M", target=Target(type="ssh", path="/srv/crash", host="kdump@backup.example.com",
                                                        key="/root/.ssh/kdump_id_rsa"),
                      dump_level=17, compression="zstd", extra_args="nokaslr").validate()
    plan = plan_apply(host, answers)
    text = host.read_text("/etc/default/kdump-tools")
    get = lambda n: shellvars.get_value(text, n)  # noqa: E731
    assert get("SSH") == "kdump@backup.example.com" and get("SSH_KEY") == "/root/.ssh/kdump_id_rsa"
    assert get("KDUMP_COREDIR") == "/srv/crash"
    assert get("MAKEDUMP_ARGS") == "-z -d 17"
    assert get("KDUMP_CMDLINE_APPEND").endswith(" nokaslr")
    assert any("kdump-config propagate" in n for n in plan.notes)
    # Back to a local target: SSH is emptied, not left pointing at the server.
    plan_apply(host, Answers(crashkernel="256M", target=Target(path="/var/crash")).validate())
    text = host.read_text("/etc/default/kdump-tools")
    assert shellvars.get_value(text, "SSH") == "" and shellvars.get_value(text, "KDUMP_COREDIR") == "/var/crash"


def test_redhat_custom_value_turns_auto_reset_off(make_system):
    host = make_system("rhel9-x86_64")
    default = build_plan(host, detect(host), Answers())
    assert all(f.path != "/etc/kdump.conf" for f in default.files)
    plan = plan_apply(host, Answers(crashkernel="512M"))
    conf = host.read_text("/etc/kdump.conf")
    assert kdumpconf.get(conf, "auto_reset_crashkernel") == "no"
    assert any("auto_reset_crashkernel no" in n for n in plan.notes)
    for entry in host.listdir("/boot/loader/entries"):
        assert "crashkernel=512M" in host.read_text(f"/boot/loader/entries/{entry}")
    assert "crashkernel=512M" in host.read_text("/etc/kernel/cmdline")
    grub = host.read_text("/etc/default/grub")
    assert shellvars.get_value(grub, "GRUB_CMDLINE_LINUX").count("crashkernel=") == 1


def test_redhat8_grubenv_keeps_its_size(make_system):
    host = make_system("rhel8-x86_64")
    before = host.read_bytes("/boot/grub2/grubenv")
    plan_apply(host, Answers(crashkernel="256M"))
    after = host.read_bytes("/boot/grub2/grubenv")
    assert len(after) == len(before) == 1024
    assert b"kernelopts=root=/dev/mapper/rhel-root ro crashkernel=256M " in after
    assert detect(host).boot.configured_crashkernel == "256M"


def test_redhat_ssh_target(make_system):
    host = make_system("fedora41-x86_64")
    plan_apply(host, Answers(crashkernel="auto", target=Target(type="ssh", host="kdump@10.0.0.5", path="/var/crash",
                                                             key="/root/.ssh/kdump_id_rsa")).validate())
    conf = host.read_text("/etc/kdump.conf")
    assert kdumpconf.get(conf, "ssh") == "kdump@10.0.0.5"
    assert kdumpconf.get(conf, "sshkey") == "/root/.ssh/kdump_id_rsa"
    assert "-F" in kdumpconf.get(conf, "core_collector").split()
    plan_apply(host, Answers(crashkernel="auto").validate())
    conf = host.read_text("/etc/kdump.conf")
    assert kdumpconf.get(conf, "ssh") is None and "-F" not in kdumpconf.get(conf, "core_collector").split()


def test_suse_15_sp6_writes_grub_only_and_keeps_escaped_quotes(make_system):
    """kdump 2.0 (SLE-15-SP6 branch, 9e9a829: no KDUMP_CRASHKERNEL, no kdump-commandline.service): the grub line only."""
    host = make_system("opensuse-leap156-x86_64")
    grub_before = host.read_text("/etc/default/grub")
    sysconfig_before = host.read_text("/etc/sysconfig/kdump")
    plan = plan_apply(host, Answers(crashkernel="320M", target=Target(type="nfs", host="nfs.example.com:/exports",
                                                                       path="/crash")).validate())
    sysconfig = host.read_text("/etc/sysconfig/kdump")
    assert "KDUMP_CRASHKERNEL" not in sysconfig_before and "KDUMP_CRASHKERNEL" not in sysconfig
    assert shellvars.get_value(sysconfig, "KDUMP_SAVEDIR") == "nfs://nfs.example.com/exports/crash"
    grub = host.read_text("/etc/default/grub")
    before_value = shellvars.get_value(grub_before, "GRUB_CMDLINE_LINUX_DEFAULT")
    after_value = shellvars.get_value(grub, "GRUB_CMDLINE_LINUX_DEFAULT")
    assert after_value == f"{before_value} crashkernel=320M"
    assert ["grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"] in [list(c.argv) for c in plan.commands]
    text = " ".join(plan.notes)
    assert "kdump-commandline.service" not in text and "2.0.x" in text


# Expected bytes below come from running perl-bootloader's shell pbl (openSUSE/perl-bootloader master
# 143f4c3, include/library lib_add_option/lib_set_cmdline_grub) and kdumptool commandline (openSUSE/kdump
# master 34da4b8, kdumptool/kdumptool) on copies of these files under unshare -m.
PBL_CASES = [
    # case a: appended at the end, inner quotes stay escaped, the rest of the file byte-identical
    ('GRUB_CMDLINE_LINUX_DEFAULT="splash=silent mitigations=auto quiet security=apparmor acpi_osi=\\"!Windows 2015\\""\n'
     'GRUB_CMDLINE_LINUX=""\n', "crashkernel=256M",
     'GRUB_CMDLINE_LINUX_DEFAULT="splash=silent mitigations=auto quiet security=apparmor acpi_osi=\\"!Windows 2015\\" '
     'crashkernel=256M"\nGRUB_CMDLINE_LINUX=""\n'),
    # case b: an old value is replaced where it was
    ('GRUB_CMDLINE_LINUX_DEFAULT="splash=silent crashkernel=128M quiet"\n', "crashkernel=256M",
     'GRUB_CMDLINE_LINUX_DEFAULT="splash=silent crashkernel=256M quiet"\n'),
    # case c: kdumptool's one argument with both tokens replaces the old pair at the first one's place
    ('GRUB_CMDLINE_LINUX_DEFAULT="quiet crashkernel=200M,high x crashkernel=72M,low"\n',
     "crashkernel=72M,low crashkernel=240M,high",
     'GRUB_CMDLINE_LINUX_DEFAULT="quiet crashkernel=72M,low crashkernel=240M,high x"\n'),
    # case e: every GRUB_CMDLINE_LINUX_DEFAULT= line becomes the one new line (sed /^.../c)
    ('GRUB_CMDLINE_LINUX_DEFAULT="a"\nX=1\nGRUB_CMDLINE_LINUX_DEFAULT="b"\n', "crashkernel=256M",
     'GRUB_CMDLINE_LINUX_DEFAULT="b crashkernel=256M"\nX=1\nGRUB_CMDLINE_LINUX_DEFAULT="b crashkernel=256M"\n'),
    # case e': a self-reference is flattened
    ('GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT x"\n',
     "crashkernel=256M",
     'GRUB_CMDLINE_LINUX_DEFAULT="quiet x crashkernel=256M"\nGRUB_CMDLINE_LINUX_DEFAULT="quiet x crashkernel=256M"\n'),
]


@pytest.mark.parametrize("before, option, after", PBL_CASES)
def test_pbl_edit_is_byte_identical_to_perl_bootloader(before, option, after):
    from kdumpwiz.engine.editors import pbl

    assert pbl.set_default_option(before, option) == after
    assert pbl.set_default_option(after, option) == after, "pbl run again changes nothing"


@pytest.mark.parametrize("text, why", [
    # a literal $ (single quotes) would be written unescaped inside double quotes and expand next time
    ("GRUB_CMDLINE_LINUX_DEFAULT='quiet $x'\n", "backtick"),
    ('GRUB_CMDLINE_LINUX_DEFAULT="quiet \\\n  splash"\n', "several lines"),
    ('export GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n', "does not start with"),
])
def test_pbl_edit_refuses_what_pbl_would_garble(text, why):
    from kdumpwiz.engine.editors import pbl

    with pytest.raises(EditError, match=why):
        pbl.set_default_option(text, "crashkernel=256M")


def test_tumbleweed_auto_keeps_kdumps_calibrated_pair(make_system):
    """kdump >= 2.1 with KDUMP_CRASHKERNEL=auto settled: the booted pair is kdump's; auto changes nothing."""
    host = make_system("tumbleweed-x86_64")
    facts = detect(host)
    assert facts.kexec.running_crashkernel == "72M,low 256M,high"
    assert facts.kernel.kdump_initrd == "/var/lib/kdump/initrd"
    # The estimate counts SUSE's one kdump initrd (three times its size), not the system initrd.
    assert facts.kernel.kdump_initrd_bytes
    assert ("kdump initrd in tmpfs (x3)", 3 * facts.kernel.kdump_initrd_bytes) in build_plan(
        host, facts, Answers()).suggestion.estimate_parts
    plan = build_plan(host, facts, Answers().validate())
    assert plan.crashkernel == "72M,low 256M,high" and plan.is_empty
    assert not plan.reboot_needed


def test_tumbleweed_explicit_size_is_written_as_kdump_and_pbl_would(make_system):
    """KDUMP_CRASHKERNEL and the grub line agree token for token, so kdump-commandline.service has nothing to do."""
    host = make_system("tumbleweed-x86_64")
    grub_before = host.read_text("/etc/default/grub")
    plan = plan_apply(host, Answers(crashkernel="384M").validate())
    sysconfig = host.read_text("/etc/sysconfig/kdump")
    assert shellvars.get_value(sysconfig, "KDUMP_CRASHKERNEL") == "crashkernel=384M"
    grub = host.read_text("/etc/default/grub")
    old_line = next(line for line in grub_before.splitlines() if line.startswith("GRUB_CMDLINE_LINUX_DEFAULT="))
    new_line = next(line for line in grub.splitlines() if line.startswith("GRUB_CMDLINE_LINUX_DEFAULT="))
    # pbl --add-option 'crashkernel=384M': the first crashkernel= word replaced, the second dropped.
    assert old_line.endswith('selinux=1 crashkernel=72M,low crashkernel=256M,high"')
    assert new_line == old_line.replace("crashkernel=72M,low crashkernel=256M,high", "crashkernel=384M")
    assert grub.replace(new_line, old_line) == grub_before, "only that line changed"
    assert "kdump-commandline.service compares it" in " ".join(plan.notes)
    # What kdumptool would compare at the next boot: exactly its expected tokens.
    after = detect(host)
    assert [w for w in after.boot.configured_cmdline.split() if w.startswith("crashkernel=")] == ["crashkernel=384M"]


def test_tumbleweed_stale_token_elsewhere_is_removed(make_system):
    """crashkernel=128M in GRUB_CMDLINE_LINUX would boot as '128M 384M', which kdumptool never accepts: it goes."""
    host = make_system("tumbleweed-x86_64")
    path = host.path("/etc/default/grub")
    path.write_text(path.read_text().replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="crashkernel=128M"'))
    plan = build_plan(host, detect(host), Answers(crashkernel="384M").validate())
    grub_change = next(f for f in plan.files if f.path == "/etc/default/grub")
    assert '-GRUB_CMDLINE_LINUX="crashkernel=128M"' in grub_change.diff
    assert '+GRUB_CMDLINE_LINUX=""' in grub_change.diff


def test_tumbleweed_fixes_what_kdumptool_would_execute(make_system):
    """KDUMP_UPDATE_BOOTLOADER is run as a command by kdumptool ('yes' hangs in /usr/bin/yes); AUTO_RESIZE would shrink."""
    host = make_system("tumbleweed-x86_64")
    path = host.path("/etc/sysconfig/kdump")
    text = path.read_text().replace('KDUMP_UPDATE_BOOTLOADER="true"', 'KDUMP_UPDATE_BOOTLOADER="yes"')
    path.write_text(text.replace('KDUMP_AUTO_RESIZE="false"', 'KDUMP_AUTO_RESIZE="true"'))
    plan = plan_apply(host, Answers(crashkernel="384M").validate())
    sysconfig = host.read_text("/etc/sysconfig/kdump")
    assert shellvars.get_value(sysconfig, "KDUMP_UPDATE_BOOTLOADER") == "true"
    assert shellvars.get_value(sysconfig, "KDUMP_AUTO_RESIZE") == "false"
    assert any("KDUMP_AUTO_RESIZE" in w for w in plan.warnings)


def test_suse_fadump_is_refused_with_the_reason(make_system):
    host = make_system("sles15-ppc64le")
    path = host.path("/etc/sysconfig/kdump")
    path.write_text(path.read_text().replace('KDUMP_FADUMP="false"', 'KDUMP_FADUMP="true"'))
    with pytest.raises(KdumpwizError, match="fadump"):
        build_plan(host, detect(host), Answers(crashkernel="1G").validate())


def test_suse_bls_remedy_is_true(make_system):
    """pbl on grub2-bls edits only /etc/kernel/cmdline; sdbootutil update-all-entries updates the entries."""
    host = make_system("opensuse-leap156-x86_64")
    path = host.path("/etc/sysconfig/bootloader")
    path.write_text(path.read_text().replace('LOADER_TYPE="grub2-efi"', 'LOADER_TYPE="grub2-bls"'))
    facts = detect(host)
    remedy = " ".join(b.remedy for b in facts.blockers)
    assert "sdbootutil update-all-entries" in remedy and "/etc/kernel/cmdline" in remedy


def test_suse_refuses_raw_target(make_system):
    host = make_system("sles15-ppc64le")
    with pytest.raises(KdumpwizError, match="not supported by the suse"):
        build_plan(host, detect(host), Answers(target=Target(type="raw", device="/dev/sdb1")).validate())


# What each release's kdump-tools package installs as /etc/default/grub.d/kdump-tools.cfg, from outside
# the code: Debian 12 1:1.8.1 and Debian 13 1:1.10.7 read from the packages (trixie .deb extracted:
# 'crashkernel=512M-:192M' on amd64, the tiered value on arm64/ppc64el); Debian's arm64/ppc64el files
# debian/kdump-tools.grub.{arm64,ppc64el} (salsa kdump-tools via kaloronahuang/kdump-tools 5ace24e);
# Ubuntu 24.04-26.04 amd64 machines' kdump-tools.cfg and /proc/cmdline (tiered), Ubuntu's 26.04
# server guide (canonical/ubuntu-server-documentation aaa816e: "the current default"); Ubuntu 22.04
# amd64 keeps Debian's 512M-:192M.
UBUNTU_TIERED = "2G-4G:320M,4G-32G:512M,32G-64G:1024M,64G-128G:2048M,128G-:4096M"


@pytest.mark.parametrize("distro_id, version, arch, expected", [
    ("debian", "12", "x86_64", "384M-:128M"),
    ("debian", "12", "aarch64", UBUNTU_TIERED),
    ("debian", "13", "x86_64", "512M-:192M"),
    ("debian", "13", "ppc64le", UBUNTU_TIERED),
    ("ubuntu", "22.04", "x86_64", "512M-:192M"),
    ("ubuntu", "22.04", "aarch64", UBUNTU_TIERED),
    ("ubuntu", "24.04", "x86_64", UBUNTU_TIERED),
    ("ubuntu", "25.10", "x86_64", UBUNTU_TIERED),
    ("ubuntu", "26.04", "x86_64", UBUNTU_TIERED),
])
def test_debian_family_default_follows_the_release(make_system, distro_id, version, arch, expected):
    """Before kdump-tools is installed, the predicted default is the one that release's package ships."""
    from dataclasses import replace

    from kdumpwiz.engine.facts import Distro
    from kdumpwiz.engine.profiles import profile

    host = make_system("no-kexec")  # Ubuntu 24.04 without kdump-tools: no kdump-tools.cfg to read
    facts = detect(host)
    facts = replace(facts, arch=arch, distro=Distro(id=distro_id, version=version, like=(), name=distro_id))
    value, source = profile("debian").distro_default(host, facts)
    assert value == expected, source


def test_tumbleweed_auto_keep_leaves_a_non_pbl_spelling_alone(make_system):
    """Keeping kdump's pair rewrites nothing: pbl runs only on a mismatch, so the admin's spelling stays."""
    host = make_system("tumbleweed-x86_64")
    path = host.path("/etc/default/grub")
    path.write_text(path.read_text().replace("selinux=1 crashkernel=72M,low", "selinux=1  crashkernel=72M,low"))
    plan = build_plan(host, detect(host), Answers().validate())
    assert plan.crashkernel == "72M,low 256M,high" and plan.is_empty


# -- Debian: kexec-tools' reboot-by-kexec trap ------------------------------------------------

KEXEC_TOOLS_DEFAULTS = """\
# Defaults for kexec initscript
# sourced by /etc/init.d/kexec and /etc/init.d/kexec-load

# Load a kexec kernel (true/false)
LOAD_KEXEC={load}

# Kernel and initrd image
KERNEL_IMAGE="/vmlinuz"
INITRD="/initrd.img"

# If empty, use current /proc/cmdline
APPEND=""

# Load the default kernel from grub config (true/false)
USE_GRUB_CONFIG={grub}
"""  # the file kexec-tools 1:2.0.25's postinst writes (Debian 12), with debconf's default load_kexec=true


@pytest.mark.parametrize("load,grub,edited", [("true", "false", True), ("1", "false", True),
                                               ("false", "false", False), ("true", "true", False)])
def test_debian_stops_a_kexec_reboot_that_would_skip_the_new_cmdline(make_system, load, grub, edited):
    """LOAD_KEXEC=true reboots by kexec into the running command line: the new crashkernel= would never boot."""
    from kdumpwiz.engine.apply import rollback

    host = make_system("debian12-amd64")
    path = host.root / "etc/default/kexec"
    original = KEXEC_TOOLS_DEFAULTS.format(load=load, grub=grub)
    path.write_text(original)
    plan = build_plan(host, detect(host), Answers(crashkernel="256M").validate())
    changed = {f.path: f for f in plan.files}
    assert ("/etc/default/kexec" in changed) is edited
    if not edited:
        return
    assert "+LOAD_KEXEC=false" in changed["/etc/default/kexec"].diff
    assert any("LOAD_KEXEC=false" in n for n in plan.notes)
    apply_plan(host, plan, skip_commands=True)
    text = path.read_text()
    assert "LOAD_KEXEC=false\n" in text and "USE_GRUB_CONFIG=false" in text
    assert text.count("LOAD_KEXEC=") == 1  # the line is changed in place, not appended
    # kexec-tools' init script tests exactly this (/etc/init.d/kexec: "$LOAD_KEXEC" != "true" -> exit)
    out = subprocess.run(["dash", "-c", f". {path}; echo $LOAD_KEXEC"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "false"
    rollback(host, skip_commands=True)
    assert path.read_text() == original


def test_debian_leaves_kexec_alone_when_the_boot_line_does_not_change(make_system):
    host = make_system("debian12-amd64")
    (host.root / "etc/default/kexec").write_text(KEXEC_TOOLS_DEFAULTS.format(load="true", grub="false"))
    facts = detect(host)
    plan = build_plan(host, facts, Answers(crashkernel=facts.boot.configured_crashkernel or "auto").validate())
    assert "/etc/default/kexec" not in {f.path for f in plan.files}
