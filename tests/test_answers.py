"""Answers: YAML in, validated dataclass out; every bad value refused with a clear message."""

from __future__ import annotations

import pytest

from kdumpwiz.engine.answers import Answers, Target, load_answers, load_answers_text
from kdumpwiz.engine.errors import AnswersError


def test_defaults_are_local_var_crash_auto():
    a = load_answers_text("crashkernel: auto\n")
    assert a.crashkernel == "auto"
    assert a.target.type == "local" and a.target.path == "/var/crash"
    assert a.dump_level == 31 and a.enable_service is True


def test_round_trip_through_yaml():
    a = Answers(crashkernel="384M", target=Target(type="ssh", path="/srv/crash", host="kdump@backup.example.com",
                                                  key="/root/.ssh/kdump_id_rsa"), dump_level=17, compression="zstd",
                extra_args="nokaslr").validate()
    b = load_answers_text(a.to_yaml())
    assert b == a


def test_crashkernel_prefix_is_accepted():
    assert load_answers_text("crashkernel: crashkernel=256M").crashkernel == "256M"


@pytest.mark.parametrize(
    "text, needle",
    [
        ("- a\n- b\n", "top level must be a mapping"),
        ("crashkernal: 256M\n", "unknown key(s): crashkernal"),
        ("crashkernel: 256\n", "has no unit"),
        ("crashkernel: true\n", "must be a string"),
        ("crashkernel: '256M 512M'\n", "single value"),
        ("target: /var/crash\n", "target must be a mapping"),
        ("target: {type: tape}\n", "target.type: 'tape'"),
        ("target: {type: local, path: var/crash}\n", "absolute path"),
        ("target: {type: local, path: /var/../etc}\n", "'..'"),
        ("target: {type: local, path: \"/var/crash\\nUSE_KDUMP=0\"}\n", "newline"),
        ("target: {type: local, path: '/var/my crash'}\n", "characters"),
        ("target: {type: local, path: /proc/crash}\n", "inside /proc"),
        ("target: {type: local, path: /}\n", "cannot be /"),
        ("target: {type: ssh, host: -oProxyCommand=sh}\n", "not user@host"),
        ("target: {type: ssh, host: 'root@host -oProxyCommand=x'}\n", "not user@host"),
        ("target: {type: ssh, host: root@-evil}\n", "not user@host"),
        ("target: {type: ssh}\n", "an SSH target needs user@host, e.g. kdump@backup.example.com"),
        ("target: {type: ssh, host: ''}\n", "an SSH target needs user@host"),
        ("target: {type: nfs, host: '  '}\n", "an NFS target needs server:/export"),
        ("target: {type: ssh, host: root@h, key: ../id_rsa}\n", "target.key"),
        ("target: {type: nfs, host: 'srv:/export;reboot'}\n", "server:/export"),
        ("target: {type: nfs, host: '$(id):/x'}\n", "server:/export"),
        ("target: {type: raw, device: '/dev/sda1 ; rm'}\n", "target.device"),
        ("target: {type: local, host: x@y}\n", "not used with target type"),
        ("target: {type: local, colour: red}\n", "unknown target key(s): colour"),
        ("dump_level: 32\n", "0 to 31"),
        ("dump_level: '31'\n", "0 to 31"),
        ("compression: gzip\n", "compression"),
        ("extra_args: 'nokaslr; reboot'\n", "not a plain kernel parameter"),
        ("extra_args: 'crashkernel=1G'\n", "not a plain kernel parameter"),
        ("enable_service: maybe\n", "true or false"),
        ("a: [1\n", "not valid YAML"),
        ("a: &x [1, 2]\nb: *x\n", "aliases"),
    ],
)
def test_bad_answers_are_refused(text, needle):
    with pytest.raises(AnswersError) as err:
        load_answers_text(text, "answers.yaml")
    assert needle in str(err.value)
    assert str(err.value).startswith("answers.yaml")


def test_billion_laughs_is_refused_fast():
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    with pytest.raises(AnswersError):
        load_answers_text(bomb)


def test_huge_and_non_utf8_files_are_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * 100_000 + b"\n")
    with pytest.raises(AnswersError, match="too large"):
        load_answers(str(big))
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"crashkernel: 256M # caf\xe9\n")
    with pytest.raises(AnswersError, match="not UTF-8"):
        load_answers(str(latin))
    with pytest.raises(AnswersError, match="cannot read"):
        load_answers(str(tmp_path / "missing.yaml"))


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_an_empty_answers_file_is_refused(text):
    """Empty is a truncated copy or a wrong path far more often than 'all defaults'."""
    with pytest.raises(AnswersError, match="answers file is empty"):
        load_answers_text(text)


def test_duplicate_keys_are_refused_with_both_lines():
    with pytest.raises(AnswersError, match=r"line 3: key 'crashkernel' appears twice \(first on line 1\)"):
        load_answers_text("crashkernel: 256M\ndump_level: 31\ncrashkernel: 512M\n")
    with pytest.raises(AnswersError, match="key 'path' appears twice"):
        load_answers_text("target:\n  type: local\n  path: /a\n  path: /b\n")
