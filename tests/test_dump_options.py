"""How many dumps to keep and what to do when the dump fails (issue 13 §2), per family.

The variables are the families' own (kdump-tools 1.8.1 kdump-tools.conf: KDUMP_NUM_DUMPS,
"0 or unset: no dump files are automatically purged", and KDUMP_FAIL_CMD, default
"reboot -f"; openSUSE kdump sysconfig.kdump: KDUMP_KEEP_OLD_DUMPS, "0 prevents the
automatic removal"; kexec-tools/kdump-utils kdump.conf: failure_action, on early RHEL 8
"default"). A family without such a setting refuses the option instead of dropping it.
"""

from __future__ import annotations

import pytest

from kdumpwiz.engine.answers import Answers, load_answers_text
from kdumpwiz.engine.detect import detect
from kdumpwiz.engine.editors import kdumpconf, shellvars
from kdumpwiz.engine.errors import AnswersError
from kdumpwiz.engine.plan import build_plan


def _new_text(plan, path: str) -> str:
    return next(c.new for c in plan.files if c.path == path)


def test_debian_keep_and_failure_action(make_system):
    host = make_system("debian12-amd64")
    plan = build_plan(host, detect(host), Answers(crashkernel="256M", keep_dumps=3, failure_action="poweroff"))
    text = _new_text(plan, "/etc/default/kdump-tools")
    assert shellvars.get_value(text, "KDUMP_NUM_DUMPS") == "3"
    assert shellvars.get_value(text, "KDUMP_FAIL_CMD") == "poweroff -f"


def test_debian_defaults_leave_both_alone(make_system):
    host = make_system("debian12-amd64")
    plan = build_plan(host, detect(host), Answers(crashkernel="256M"))
    changed = [c.new for c in plan.files if c.path == "/etc/default/kdump-tools"]
    text = changed[0] if changed else host.path("/etc/default/kdump-tools").read_text()
    assert shellvars.get_value(text, "KDUMP_NUM_DUMPS") is None and shellvars.get_value(text, "KDUMP_FAIL_CMD") is None


def test_debian_refuses_a_shell(make_system):
    host = make_system("debian12-amd64")
    with pytest.raises(AnswersError, match="failure_action: 'shell' cannot be set for the debian"):
        build_plan(host, detect(host), Answers(crashkernel="256M", failure_action="shell"))


@pytest.mark.parametrize("name, keyword", [("rhel9-x86_64", "failure_action"), ("fedora41-x86_64", "failure_action")])
def test_redhat_failure_action(make_system, name, keyword):
    host = make_system(name)
    plan = build_plan(host, detect(host), Answers(crashkernel="512M", failure_action="shell"))
    assert kdumpconf.get(_new_text(plan, "/etc/kdump.conf"), keyword) == "shell"


def test_kdump_conf_that_documents_only_default_gets_default(make_system):
    """kexec-tools el8's kdump.conf documents failure_action (and 'default' as its older name): it
    gets failure_action. A file that knows only 'default' (older kexec-tools) gets that word."""
    host = make_system("rhel8-x86_64")
    path = host.path("/etc/kdump.conf")
    plan = build_plan(host, detect(host), Answers(crashkernel="512M", failure_action="halt"))
    assert kdumpconf.get(_new_text(plan, "/etc/kdump.conf"), "failure_action") == "halt"
    old = "\n".join(l for l in path.read_text().splitlines() if "failure_action" not in l) + "\n"
    assert "#default shell" in old
    path.write_text(old)
    new = _new_text(build_plan(host, detect(host), Answers(crashkernel="512M", failure_action="halt")), "/etc/kdump.conf")
    assert kdumpconf.get(new, "default") == "halt" and kdumpconf.get(new, "failure_action") is None


def test_redhat_has_no_keep_setting(make_system):
    host = make_system("rhel9-x86_64")
    with pytest.raises(AnswersError, match="keeps every dump"):
        build_plan(host, detect(host), Answers(crashkernel="512M", keep_dumps=2))


def test_suse_keep_old_dumps(make_system):
    host = make_system("opensuse-leap156-x86_64")
    plan = build_plan(host, detect(host), Answers(crashkernel="512M", keep_dumps=5))
    assert shellvars.get_value(_new_text(plan, "/etc/sysconfig/kdump"), "KDUMP_KEEP_OLD_DUMPS") == "5"
    with pytest.raises(AnswersError, match="failure_action"):
        build_plan(host, detect(host), Answers(crashkernel="512M", failure_action="reboot"))


@pytest.mark.parametrize("text, error", [
    ("keep_dumps: -1\n", "keep_dumps: must be a number of dumps from 0"),
    ("keep_dumps: yes\n", "keep_dumps"),
    ("failure_action: explode\n", "failure_action: 'explode' is not one of"),
])
def test_bad_values_are_refused(text, error):
    with pytest.raises(AnswersError, match=error):
        load_answers_text(text)


def test_round_trip_through_yaml():
    a = Answers(keep_dumps=0, failure_action="reboot").validate()
    assert load_answers_text(a.to_yaml()) == a
    assert "keep_dumps" not in Answers().to_yaml() and "failure_action" not in Answers().to_yaml()
