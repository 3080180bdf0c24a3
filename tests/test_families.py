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


def test_suse_sets_kdump_crashkernel_and_keeps_escaped_quotes(make_system):
    host = make_system("opensuse-leap156-x86_64")
    grub_before = host.read_text("/etc/default/grub")
    plan = plan_apply(host, Answers(crashkernel="320M", target=Target(type="nfs", host="nfs.example.com:/exports",
                                                                       path="/crash")).validate())
    sysconfig = host.read_text("/etc/sysconfig/kdump")
    assert shellvars.get_value(sysconfig, "KDUMP_CRASHKERNEL") == "crashkernel=320M"
    assert shellvars.get_value(sysconfig, "KDUMP_SAVEDIR") == "nfs://nfs.example.com/exports/crash"
    grub = host.read_text("/etc/default/grub")
    before_value = shellvars.get_value(grub_before, "GRUB_CMDLINE_LINUX_DEFAULT")
    after_value = shellvars.get_value(grub, "GRUB_CMDLINE_LINUX_DEFAULT")
    assert after_value == f"{before_value} crashkernel=320M"
    assert ["grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"] in [list(c.argv) for c in plan.commands]


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
