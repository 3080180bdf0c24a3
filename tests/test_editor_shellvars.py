"""Tests of the shell variable editor, checked against the real dash.

Every expected value is written out by hand from the shell rules (field guide
§7.1 quoting table); the dash-backed tests then source the same text with
/usr/bin/dash and require the same answer, so the model cannot drift from the
shell that grub-mkconfig runs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from kdumpwiz.engine.editors import shellvars as sv
from kdumpwiz.engine.errors import EditError

DASH = "/usr/bin/dash"
X = "GRUB_CMDLINE_LINUX_DEFAULT"
L = "GRUB_CMDLINE_LINUX"

# Modelled on Debian 12's /usr/share/grub/default/grub (grub2-common 2.06-13).
DEBIAN_GRUB = """\
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
# For full documentation of the options in this file, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
GRUB_CMDLINE_LINUX=""

# Uncomment to enable BadRAM filtering, modify to suit your needs
#GRUB_BADRAM="0x01234567,0xfefefefe,0x89abcdef,0xefefefef"

# Uncomment to disable graphical terminal
#GRUB_TERMINAL=console
"""

# Ubuntu cloud image drop-in: replaces the variable unconditionally.
CLOUDIMG = """\
# Cloud Image specific Grub settings for Generic Cloud Images
# CLOUD_IMG: This file was created/modified by the Cloud Image build process

# Set the recordfail timeout
GRUB_RECORDFAIL_TIMEOUT=0

# Do not wait on grub prompt
GRUB_TIMEOUT=0

# Set the default commandline
GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"

# Set the grub console type
GRUB_TERMINAL=console
"""

KDUMP_TOOLS_CFG = 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=384M-:128M"\n'

# Modelled on perl-bootloader's openSUSE test data: escaped inner quotes.
SUSE_GRUB = """\
# If you change this file, run 'grub2-mkconfig -o /boot/grub2/grub.cfg' afterwards to update
# /boot/grub2/grub.cfg.
GRUB_DISTRIBUTOR=
GRUB_DEFAULT=saved
GRUB_TIMEOUT=8
GRUB_CMDLINE_LINUX_DEFAULT="mitigations=off quiet foo=\\"foo  bar\\" quiet nosimplefb=1"
GRUB_CMDLINE_LINUX=""
GRUB_THEME=/boot/grub2/themes/openSUSE/theme.txt
SUSE_BTRFS_SNAPSHOT_BOOTING="true"
GRUB_CMDLINE_XEN_DEFAULT="vga=gfx-1024x768x16"
"""

# Modelled on kdump-tools.conf.in (Debian/Ubuntu /etc/default/kdump-tools).
KDUMP_TOOLS = """\
# kdump-tools configuration
USE_KDUMP=1
KDUMP_KERNEL=/var/lib/kdump/vmlinuz
KDUMP_COREDIR="/var/crash"
#KDUMP_FAIL_CMD="reboot -f"
#MAKEDUMP_ARGS="-c -d 31"
#SSH="<user at server>"
#SSH_KEY="<path>"
"""


# -- helpers -------------------------------------------------------------------


def dash_values(tmp_path: Path, files: Sequence[Tuple[str, str]], names: Sequence[str],
                initial: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Source ``files`` in order with dash under ``set -e`` and print ``names``."""
    script = ["set -e"]
    for i, (_, text) in enumerate(files):
        (tmp_path / f"f{i}").write_bytes(text.encode())
        script.append(f". ./f{i}")
    out: Dict[str, str] = {}
    env = {"PATH": "/usr/bin:/bin"}
    env.update(initial or {})
    for name in names:
        proc = subprocess.run([DASH, "-c", "; ".join(script + [f'printf %s "${name}"'])], cwd=tmp_path,
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        out[name] = proc.stdout
    return out


def dash_accepts(tmp_path: Path, text: str) -> None:
    """``dash -n`` (syntax check) accepts ``text``."""
    f = tmp_path / "syntax.sh"
    f.write_bytes(text.encode())
    proc = subprocess.run([DASH, "-n", str(f)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def changed_lines(old: str, new: str) -> List[int]:
    """1-based numbers of the lines that differ, requiring every other line to be byte-identical."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    assert len(a) == len(b), (a, b)
    return [i + 1 for i, (x, y) in enumerate(zip(a, b)) if x != y]


def check_against_dash(tmp_path: Path, files: Sequence[Tuple[str, str]], names: Sequence[str],
                       initial: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    ours = sv.evaluate(files, names, initial)
    assert ours == dash_values(tmp_path, files, names, initial)
    return ours


# -- parse -----------------------------------------------------------------------


def test_parse_debian_template() -> None:
    found = sv.parse(DEBIAN_GRUB, path="/etc/default/grub")
    assert [(a.name, a.value_text, a.start_line, a.end_line, a.op, a.exported) for a in found] == [
        ("GRUB_DEFAULT", "0", 6, 6, "=", False),
        ("GRUB_TIMEOUT", "5", 7, 7, "=", False),
        ("GRUB_DISTRIBUTOR", "`lsb_release -i -s 2> /dev/null || echo Debian`", 8, 8, "=", False),
        ("GRUB_CMDLINE_LINUX_DEFAULT", '"quiet"', 9, 9, "=", False),
        ("GRUB_CMDLINE_LINUX", '""', 10, 10, "=", False),
    ]
    for a in found:
        assert DEBIAN_GRUB[a.span[0]:a.span[1]] == a.value_text


def test_parse_forms() -> None:
    text = (
        "  INDENTED='single # not a comment'  # comment\n"
        "export EXP=\"a \\\"b\\\" \\$c\" # trailing\n"
        "A=1 B=\"two words\"; C=3;\n"
        "CONT=\"first \\\n"
        "  second\"\n"
        "BASH+=\" nope\"\n"
        "echo this is another command\n"
        "HASH=a#b\n"
        "EMPTY=\n"
    )
    found = sv.parse(text)
    got = [(a.name, a.value_text, a.start_line, a.end_line, a.exported, a.op) for a in found]
    assert got == [
        ("INDENTED", "'single # not a comment'", 1, 1, False, "="),
        ("EXP", '"a \\"b\\" \\$c"', 2, 2, True, "="),
        ("A", "1", 3, 3, False, "="),
        ("B", '"two words"', 3, 3, False, "="),
        ("C", "3", 3, 3, False, "="),
        ("CONT", '"first \\\n  second"', 4, 5, False, "="),
        ("BASH", '" nope"', 6, 6, False, "+="),
        ("HASH", "a#b", 8, 8, False, "="),
        ("EMPTY", "", 9, 9, False, "="),
    ]
    others = [it for it in sv.scan(text) if isinstance(it, sv.OtherLine)]
    assert [(o.start_line, o.text, o.commands) for o in others] == [(7, "echo this is another command", ("echo",))]


def test_parse_refuses_unterminated_quote_with_line() -> None:
    with pytest.raises(EditError) as exc:
        sv.parse('A=1\nB="never closed\nC=3\n', path="/etc/default/grub")
    assert exc.value.path == "/etc/default/grub"
    assert exc.value.line == 2


def test_parse_refuses_here_document() -> None:
    with pytest.raises(EditError) as exc:
        sv.parse("cat <<EOF\nGRUB_CMDLINE_LINUX=fake\nEOF\n")
    assert exc.value.line == 1


# -- evaluate: the quoting table of field guide §7.1, checked against dash ----------

QUOTING_TABLE = [
    ("bare word", "X=quiet\n", "quiet"),
    ("single quotes keep inner double quotes",
     "X='console=ttyS0,115200 \"x y\"'\n", 'console=ttyS0,115200 "x y"'),
    ("continuation inside double quotes keeps the indentation",
     'X="quiet"\nX="$X splash \\\n  crashkernel=256M"\n', "quiet splash   crashkernel=256M"),
    ("commented-out line is ignored", 'X="base"\n#X="commented crashkernel=1G"\n', "base"),
    ("export, braces and trailing comment",
     'X="quiet"\nexport X="${X} nomodeset" # trailing comment\n', "quiet nomodeset"),
    ("last assignment wins, self-references see the previous value",
     'X=a\nX="$X b"\nX="$X c"\n', "a b c"),
    ("escapes inside double quotes", 'X="a\\"b\\\\c\\$d\\e"\n', 'a"b\\c$d\\e'),
    ("unquoted backslash and continuation", "X=c\\\nd\\ e\n", "cd e"),
    ("backslash-newline is literal inside single quotes", "X='e\\\nf'\n", "e\\\nf"),
    ("hash inside a word is not a comment", "X=a#b # c\n", "a#b"),
    ("leading whitespace", '   X="indented"\n', "indented"),
    ("several assignments on one line run left to right", 'A=1 B=$A X="$B$A"\n', "11"),
    ("unset variables expand to nothing", 'X="${UNSET_VAR}tail"\n', "tail"),
    ("a lone dollar is literal", 'X=" $"\n', " $"),
    ("export of an already assigned variable", "X=v\nexport X\n", "v"),
    ("semicolon-separated statements", 'X=1; Y=2; X="$X$Y"\n', "12"),
    ("adjacent quoting styles", "X=a'b c'\"d\"\n", "ab cd"),
    ("an if block that is closed does not affect later assignments",
     'if [ -e /nonexistent ]; then\n  Y=1\nfi\nX="after"\n', "after"),
]


@pytest.mark.parametrize("text,expected", [(t, e) for _, t, e in QUOTING_TABLE],
                         ids=[name for name, _, _ in QUOTING_TABLE])
def test_quoting_table(tmp_path: Path, text: str, expected: str) -> None:
    assert sv.evaluate([("/etc/default/grub", text)], ["X"]) == {"X": expected}
    assert dash_values(tmp_path, [("f", text)], ["X"]) == {"X": expected}


def test_cloud_image_chain(tmp_path: Path) -> None:
    """50-cloudimg-settings.cfg replaces the value; kdump-tools.cfg (sorted later) appends to it."""
    files = [
        ("/etc/default/grub", DEBIAN_GRUB.replace('"quiet"', '"quiet splash crashkernel=1G"')),
        ("/etc/default/grub.d/50-cloudimg-settings.cfg", CLOUDIMG),
        ("/etc/default/grub.d/kdump-tools.cfg", KDUMP_TOOLS_CFG),
    ]
    got = check_against_dash(tmp_path, files, [X, L])
    assert got == {X: "console=tty1 console=ttyS0 crashkernel=384M-:128M", L: ""}


def test_unrelated_command_substitution_is_fine(tmp_path: Path) -> None:
    # GRUB_DISTRIBUTOR runs lsb_release; nobody asks for it.
    files = [("/etc/default/grub", DEBIAN_GRUB), ("/etc/default/grub.d/kdump-tools.cfg", KDUMP_TOOLS_CFG)]
    assert check_against_dash(tmp_path, files, [X, L]) == {X: "quiet crashkernel=384M-:128M", L: ""}
    text = 'NOW=$(date)\nY=`uname -r`\nZ=$((1 + 2))\nW=${HOME:-/root}\nX="plain"\n'
    assert sv.evaluate([("f", text)], ["X"]) == {"X": "plain"}
    # Ubuntu's templates source os-release inside the backquotes.
    for distributor in ("`( . /etc/os-release && echo ${NAME} )`",
                        "`( . /etc/os-release; echo ${NAME:-Ubuntu} ) 2>/dev/null || echo Ubuntu`"):
        ubuntu = f'GRUB_DEFAULT=0\nGRUB_DISTRIBUTOR={distributor}\nGRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n'
        assert sv.evaluate([("/etc/default/grub", ubuntu)], [X, L]) == {X: "quiet splash", L: ""}
        if "|| echo Ubuntu" in distributor:  # the other one fails under set -e without /etc/os-release
            assert dash_values(tmp_path, [("/etc/default/grub", ubuntu)], [X, L]) == {X: "quiet splash", L: ""}
        with pytest.raises(EditError) as exc:
            sv.evaluate([("/etc/default/grub", ubuntu)], ["GRUB_DISTRIBUTOR"])
        assert exc.value.line == 2


def test_unrelated_plus_equal_is_not_an_error() -> None:
    # dash does not see an assignment there; X is unaffected.
    assert sv.evaluate([("f", 'OTHER+=" x"\nX=1\n')], ["X"]) == {"X": "1"}


def test_initial_values_and_unassigned() -> None:
    files = [("/etc/default/grub.d/kdump-tools.cfg", KDUMP_TOOLS_CFG)]
    assert sv.evaluate(files, [X, L], {X: "quiet"}) == {X: "quiet crashkernel=384M-:128M", L: ""}
    assert sv.evaluate(files, [L], {L: "ro"}) == {L: "ro"}


def test_suse_escaped_quotes_evaluate(tmp_path: Path) -> None:
    got = check_against_dash(tmp_path, [("/etc/default/grub", SUSE_GRUB)], [X])
    assert got == {X: 'mitigations=off quiet foo="foo  bar" quiet nosimplefb=1'}


# -- evaluate: refusals ---------------------------------------------------------------


def test_plus_equal_refused_with_path_and_line(tmp_path: Path) -> None:
    files = [
        ("/etc/default/grub", DEBIAN_GRUB),
        ("/etc/default/grub.d/90-mine.cfg", '# mine\n\nGRUB_CMDLINE_LINUX_DEFAULT+=" crashkernel=256M"\n'),
    ]
    with pytest.raises(EditError) as exc:
        sv.evaluate(files, [X])
    assert exc.value.path == "/etc/default/grub.d/90-mine.cfg"
    assert exc.value.line == 3
    assert "bashism" in exc.value.reason
    # ... because dash really fails there (exit 127 under set -e), which breaks update-grub.
    (tmp_path / "bad").write_text(files[1][1])
    proc = subprocess.run([DASH, "-c", "set -e; . ./bad; echo survived"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 127 and "survived" not in proc.stdout


REFUSALS = [
    ("command substitution", 'X="$(cat /proc/cmdline)"\n', 1),
    ("backquotes", "A=1\nX=`cat /proc/cmdline`\n", 2),
    ("referenced variable with command substitution", "K=`uname -r`\nX=\"quiet $K\"\n", 1),
    ("referenced variable assigned in a later line still counts", 'X="$K"\nK=$(id -u)\n', 2),
    ("default operator", 'X="${X:-quiet} splash"\n', 1),
    ("arithmetic", "X=$((1 + 1))\n", 1),
    ("positional parameter", 'X="$1"\n', 1),
    ("tilde expansion", "X=~root\n", 1),
    ("dollar-single-quote", "X=$'a\\tb'\n", 1),
    ("assignment inside if", 'Y=0\nif [ -e /x ]; then\n  X="maybe"\nfi\n', 3),
    ("assignment after a case", 'case "$Y" in\n  a) Y=1 ;;\nesac\nX="late"\n', 4),
    ("source line even if unrelated", "A=1\n. /etc/os-release\nX=1\n", 2),
    ("eval line", 'eval "Y=1"\nX=1\n', 1),
    ("return stops the file", "return 0\nX=1\n", 1),
    ("other command mentioning the variable", 'X=1\nunset X\n', 2),
    ("conditional assignment on one line", '[ -e /x ] && X="maybe"\n', 1),
    ("side effect of a default-assign operator", ': ${X:=quiet}\n', 1),
    ("side effect inside an unrelated assignment", 'Y="${X:=quiet}"\n', 1),
    ("computed command name", "$CMD arg\nX=1\n", 1),
    ("unquoted expansion in export", 'Y="a  b"\nexport X=$Y\n', 2),
    ("assignment in a function body", 'f() {\n  X=1\n}\n', 2),
    ("assignment in a subshell", '(\n  X=1\n)\n', 2),
]


def test_evaluate_refuses_unbalanced_file(tmp_path: Path) -> None:
    text = 'if [ -e /x ]; then\n  Y=1\nX=2\n'
    with pytest.raises(EditError) as exc:
        sv.evaluate([("/etc/default/grub", text), ("/etc/default/grub.d/z.cfg", "X=3\n")], ["Y"])
    assert exc.value.path == "/etc/default/grub"
    (tmp_path / "f").write_text(text)
    assert subprocess.run([DASH, "-n", str(tmp_path / "f")], capture_output=True).returncode != 0


@pytest.mark.parametrize("text,line", [(t, n) for _, t, n in REFUSALS], ids=[name for name, _, _ in REFUSALS])
def test_evaluate_refusals(text: str, line: int) -> None:
    with pytest.raises(EditError) as exc:
        sv.evaluate([("/etc/default/grub.d/x.cfg", text)], ["X"])
    assert exc.value.path == "/etc/default/grub.d/x.cfg"
    assert exc.value.line == line


# -- get_value -----------------------------------------------------------------------------


def test_get_value() -> None:
    assert sv.get_value(KDUMP_TOOLS, "KDUMP_COREDIR") == "/var/crash"
    assert sv.get_value(KDUMP_TOOLS, "USE_KDUMP") == "1"
    assert sv.get_value(KDUMP_TOOLS, "SSH") is None  # only commented out
    assert sv.get_value(KDUMP_TOOLS_CFG, X) == " crashkernel=384M-:128M"
    assert sv.get_value(KDUMP_TOOLS_CFG, X, initial={X: "quiet"}) == "quiet crashkernel=384M-:128M"
    with pytest.raises(EditError):
        sv.get_value("X=$(hostname)\n", "X", path="/etc/sysconfig/kdump")


# -- set_value ----------------------------------------------------------------------------------


def test_set_value_rewrites_only_the_value(tmp_path: Path) -> None:
    new = sv.set_value(KDUMP_TOOLS, "KDUMP_COREDIR", "/srv/crash dumps", path="/etc/default/kdump-tools")
    assert changed_lines(KDUMP_TOOLS, new) == [4]
    assert new.splitlines()[3] == 'KDUMP_COREDIR="/srv/crash dumps"'
    assert dash_values(tmp_path, [("f", new)], ["KDUMP_COREDIR"]) == {"KDUMP_COREDIR": "/srv/crash dumps"}
    dash_accepts(tmp_path, new)
    assert sv.set_value(new, "KDUMP_COREDIR", "/srv/crash dumps") == new


def test_set_value_keeps_bare_and_single_quotes() -> None:
    assert sv.set_value(KDUMP_TOOLS, "USE_KDUMP", "0") == KDUMP_TOOLS.replace("USE_KDUMP=1", "USE_KDUMP=0")
    # A bare value that needs quoting becomes double-quoted.
    assert sv.set_value("A=old\n", "A", "two words") == 'A="two words"\n'
    assert sv.set_value("A='old' # keep\n", "A", "new value") == "A='new value' # keep\n"
    # Single quotes cannot hold a single quote: switch to double quotes.
    assert sv.set_value("A='old'\n", "A", "it's") == 'A="it\'s"\n'


def test_set_value_keeps_export_and_comment(tmp_path: Path) -> None:
    text = '# head\nexport  KDUMP_COMMANDLINE_APPEND="irqpoll nr_cpus=1"   # tuned\nTAIL=1'
    new = sv.set_value(text, "KDUMP_COMMANDLINE_APPEND", "irqpoll nr_cpus=1 reset_devices")
    assert new == '# head\nexport  KDUMP_COMMANDLINE_APPEND="irqpoll nr_cpus=1 reset_devices"   # tuned\nTAIL=1'
    assert dash_values(tmp_path, [("f", new)], ["KDUMP_COMMANDLINE_APPEND"]) == {
        "KDUMP_COMMANDLINE_APPEND": "irqpoll nr_cpus=1 reset_devices"}


def test_set_value_edits_the_last_assignment() -> None:
    text = 'A="first"\n# between\nA="$A second"\nB=1\n'
    new = sv.set_value(text, "A", "only")
    assert new == 'A="first"\n# between\nA="only"\nB=1\n'


def test_set_value_appends() -> None:
    assert sv.set_value(KDUMP_TOOLS, "SSH", "root@backup") == KDUMP_TOOLS + 'SSH="root@backup"\n'
    assert sv.set_value("A=1", "B", "x") == 'A=1\nB="x"\n'  # no final newline: one is added first
    assert sv.set_value("", "B", "") == 'B=""\n'


def test_set_value_unchanged_when_equal() -> None:
    assert sv.set_value(KDUMP_TOOLS, "KDUMP_COREDIR", "/var/crash") is KDUMP_TOOLS
    text = "A='same'  # c\n"
    assert sv.set_value(text, "A", "same") is text


@pytest.mark.parametrize("value", [
    'a "quoted" word',
    "dollar $HOME and ${X} stay literal",
    "back\\slash \\\\ and `backquote`",
    "it's",
    "",
    "  leading and trailing  ",
    "semi;colon & amp | pipe > gt",
    "tab\there",
    "~root:~",
])
def test_set_value_round_trips_through_dash(tmp_path: Path, value: str) -> None:
    for text in ('A="old" # c\n', "A='old'\n", "A=old\n", "export A=old\n", "# only a comment\n"):
        new = sv.set_value(text, "A", value)
        dash_accepts(tmp_path, new)
        assert dash_values(tmp_path, [("f", new)], ["A"]) == {"A": value}
        assert sv.get_value(new, "A") == value
        assert sv.set_value(new, "A", value) == new


def test_quote() -> None:
    assert sv.quote('a "b" $c \\d `e`') == '"a \\"b\\" \\$c \\\\d \\`e\\`"'


SET_VALUE_REFUSALS = [
    ("plus-equal in the last assignment", 'A="x"\nA+=" y"\n', 2),
    ("command substitution in the last assignment", "A=1\nA=`hostname`\n", 2),
    ("last assignment inside an if", 'if true; then\n  A=1\nfi\n', 2),
    ("later command changes the value", "A=1\nunset A\n", 2),
    ("later source may change the value", "A=1\n. /etc/other\n", 2),
]


@pytest.mark.parametrize("text,line", [(t, n) for _, t, n in SET_VALUE_REFUSALS],
                         ids=[name for name, _, _ in SET_VALUE_REFUSALS])
def test_set_value_refusals(text: str, line: int) -> None:
    with pytest.raises(EditError) as exc:
        sv.set_value(text, "A", "new", path="/etc/sysconfig/kdump")
    assert exc.value.path == "/etc/sysconfig/kdump"
    assert exc.value.line == line


def test_set_value_refuses_append_after_exit_and_newlines() -> None:
    with pytest.raises(EditError):
        sv.set_value("B=1\nexit 0\n", "A", "x")
    with pytest.raises(EditError):
        sv.set_value("B=1\n", "A", "two\nlines")
    with pytest.raises(ValueError):
        sv.set_value("B=1\n", "1A", "x")


# -- set_cmdline_param --------------------------------------------------------------------------


def test_cmdline_param_kdump_tools_dropin(tmp_path: Path) -> None:
    new = sv.set_cmdline_param(KDUMP_TOOLS_CFG, X, "crashkernel", "crashkernel=512M", path="kdump-tools.cfg")
    assert new == 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=512M"\n'
    assert sv.set_cmdline_param(new, X, "crashkernel", "crashkernel=512M") == new
    files = [("/etc/default/grub", DEBIAN_GRUB), ("/etc/default/grub.d/50-cloudimg-settings.cfg", CLOUDIMG),
             ("/etc/default/grub.d/kdump-tools.cfg", new)]
    assert check_against_dash(tmp_path, files, [X]) == {X: "console=tty1 console=ttyS0 crashkernel=512M"}
    dash_accepts(tmp_path, new)


def test_cmdline_param_removes_all_and_keeps_position() -> None:
    text = ('# keep me\nGRUB_CMDLINE_LINUX="rhgb crashkernel=1G-4G:192M,4G-64G:256M  quiet '
            'crashkernel=128M,low xcrashkernel=5 crashkernel=2G,high crashkernel" # note\nGRUB_TIMEOUT=5\n')
    new = sv.set_cmdline_param(text, L, "crashkernel", "crashkernel=256M")
    assert new == ('# keep me\nGRUB_CMDLINE_LINUX="rhgb crashkernel=256M  quiet xcrashkernel=5" # note\n'
                   "GRUB_TIMEOUT=5\n")
    assert sv.set_cmdline_param(new, L, "crashkernel", "crashkernel=256M") == new
    removed = sv.set_cmdline_param(new, L, "crashkernel", None)
    assert removed == '# keep me\nGRUB_CMDLINE_LINUX="rhgb  quiet xcrashkernel=5" # note\nGRUB_TIMEOUT=5\n'
    assert sv.set_cmdline_param(removed, L, "crashkernel", None) == removed


def test_cmdline_param_appends_with_one_space() -> None:
    text = 'GRUB_CMDLINE_LINUX="rd.lvm.lv=rhel/root rhgb quiet"\n'
    assert sv.set_cmdline_param(text, L, "crashkernel", "crashkernel=1G") == (
        'GRUB_CMDLINE_LINUX="rd.lvm.lv=rhel/root rhgb quiet crashkernel=1G"\n')
    assert sv.set_cmdline_param('GRUB_CMDLINE_LINUX=""\n', L, "crashkernel", "crashkernel=1G") == (
        'GRUB_CMDLINE_LINUX="crashkernel=1G"\n')


def test_cmdline_param_suse_escaped_quotes(tmp_path: Path) -> None:
    new = sv.set_cmdline_param(SUSE_GRUB, X, "crashkernel", "crashkernel=72M,low")
    assert changed_lines(SUSE_GRUB, new) == [6]
    assert new.splitlines()[5] == (
        'GRUB_CMDLINE_LINUX_DEFAULT="mitigations=off quiet foo=\\"foo  bar\\" quiet nosimplefb=1 crashkernel=72M,low"')
    assert check_against_dash(tmp_path, [("/etc/default/grub", new)], [X]) == {
        X: 'mitigations=off quiet foo="foo  bar" quiet nosimplefb=1 crashkernel=72M,low'}
    # A parameter inside the kernel-quoted word is part of foo's value, not a word of its own.
    quoted = SUSE_GRUB.replace('foo=\\"foo  bar\\"', 'foo=\\"crashkernel=9G bar\\"')
    new = sv.set_cmdline_param(quoted, X, "crashkernel", "crashkernel=1G")
    assert 'foo=\\"crashkernel=9G bar\\" quiet nosimplefb=1 crashkernel=1G"' in new
    assert sv.set_cmdline_param(new, X, "foo", None).splitlines()[5] == (
        'GRUB_CMDLINE_LINUX_DEFAULT="mitigations=off quiet quiet nosimplefb=1 crashkernel=1G"')


def test_cmdline_param_continuation_lines(tmp_path: Path) -> None:
    text = 'X="quiet"\nX="$X splash \\\n  crashkernel=256M \\\n  nomodeset"\n'
    new = sv.set_cmdline_param(text, "X", "crashkernel", "crashkernel=1G")
    assert new == 'X="quiet"\nX="$X splash \\\n  crashkernel=1G \\\n  nomodeset"\n'
    assert check_against_dash(tmp_path, [("f", new)], ["X"]) == {"X": "quiet splash   crashkernel=1G   nomodeset"}
    removed = sv.set_cmdline_param(new, "X", "crashkernel", None)
    assert check_against_dash(tmp_path, [("f", removed)], ["X"]) == {"X": "quiet splash   nomodeset"}
    dash_accepts(tmp_path, removed)


def test_cmdline_param_single_quoted_and_bare(tmp_path: Path) -> None:
    text = "GRUB_CMDLINE_LINUX='console=ttyS0,115200 \"x y\"'\n"
    new = sv.set_cmdline_param(text, L, "crashkernel", "crashkernel=1G")
    assert new == "GRUB_CMDLINE_LINUX='console=ttyS0,115200 \"x y\" crashkernel=1G'\n"
    bare = "GRUB_CMDLINE_LINUX_DEFAULT=quiet\n"
    new = sv.set_cmdline_param(bare, X, "crashkernel", "crashkernel=1G")
    assert new == 'GRUB_CMDLINE_LINUX_DEFAULT="quiet crashkernel=1G"\n'
    assert sv.set_cmdline_param("GRUB_CMDLINE_LINUX=\n", L, "crashkernel", "crashkernel=1G") == (
        "GRUB_CMDLINE_LINUX=crashkernel=1G\n")
    assert sv.set_cmdline_param("GRUB_CMDLINE_LINUX=crashkernel=2G\n", L, "crashkernel", None) == (
        "GRUB_CMDLINE_LINUX=\n")
    for t in (new, "GRUB_CMDLINE_LINUX=crashkernel=1G\n"):
        dash_accepts(tmp_path, t)


def test_cmdline_param_without_assignment() -> None:
    assert sv.set_cmdline_param("# empty drop-in\n", X, "crashkernel", "crashkernel=1G") == (
        '# empty drop-in\nGRUB_CMDLINE_LINUX_DEFAULT="crashkernel=1G"\n')
    assert sv.set_cmdline_param("# empty drop-in\n", X, "crashkernel", None) == "# empty drop-in\n"


def test_cmdline_param_preserves_every_other_byte() -> None:
    new = sv.set_cmdline_param(DEBIAN_GRUB, X, "crashkernel", "crashkernel=384M-:128M")
    assert changed_lines(DEBIAN_GRUB, new) == [9]
    assert new.splitlines()[8] == 'GRUB_CMDLINE_LINUX_DEFAULT="quiet crashkernel=384M-:128M"'
    no_final_newline = DEBIAN_GRUB.rstrip("\n")
    new = sv.set_cmdline_param(no_final_newline, L, "crashkernel", "crashkernel=1G")
    assert not new.endswith("\n")
    assert new == no_final_newline.replace('GRUB_CMDLINE_LINUX=""', 'GRUB_CMDLINE_LINUX="crashkernel=1G"')


CMDLINE_REFUSALS = [
    ("plus-equal", 'X="a"\nX+=" crashkernel=1G"\n', 2),
    ("command substitution", 'X="quiet $(cat /x)"\n', 1),
    ("mixed quoting", "X=\"quiet \"'crashkernel=1G'\n", 1),
    ("computed key", 'X="quiet ${K}kernel=1G"\n', 1),
    ("default operator", 'X="${X:-quiet} crashkernel=1G"\n', 1),
    ("after init's --", 'X="quiet -- crashkernel=1G"\n', 1),
    ("unterminated kernel quote", 'X="quiet foo=\\"bar"\n', 1),
]


@pytest.mark.parametrize("text,line", [(t, n) for _, t, n in CMDLINE_REFUSALS],
                         ids=[name for name, _, _ in CMDLINE_REFUSALS])
def test_cmdline_param_refusals(text: str, line: int) -> None:
    with pytest.raises(EditError) as exc:
        sv.set_cmdline_param(text, "X", "crashkernel", "crashkernel=256M", path="/etc/default/grub")
    assert exc.value.path == "/etc/default/grub"
    assert exc.value.line == line


def test_cmdline_param_refuses_bad_token() -> None:
    with pytest.raises(EditError):
        sv.set_cmdline_param(KDUMP_TOOLS_CFG, X, "crashkernel", "crashkernel=1G quiet")
    with pytest.raises(EditError):
        sv.set_cmdline_param(KDUMP_TOOLS_CFG, X, "crashkernel", "xcrashkernel=1G")


def test_cmdline_param_inserts_before_double_dash() -> None:
    text = 'X="quiet -- init-arg"\n'
    assert sv.set_cmdline_param(text, "X", "crashkernel", "crashkernel=1G") == 'X="quiet crashkernel=1G -- init-arg"\n'
