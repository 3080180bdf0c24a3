"""Property-based tests of every editor, with the real shell (dash) as the oracle.

Hypothesis generates the files the editors meet in the field -- shell variable
files with every quoting style, escapes, continuations, ``export``, comments,
self-references and command substitutions in unrelated variables; kdump.conf
directives and commented examples; BLS entries; grubenv blocks; kernel command
lines -- and checks, for each edit:

* every line the edit does not target is unchanged byte for byte;
* shell files still pass ``dash -n``, and sourcing them with dash gives exactly
  the intended value for the edited variable and the same value as before for
  every other variable;
* editing twice equals editing once;
* a refusal is an EditError that names the line.

The default run is modest (``KDUMPWIZ_FUZZ_EXAMPLES``, default 60 per test);
``python3 tests/fuzz_long.py`` runs 10,000 per editor and prints the figures
recorded in docs/reliability.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from typing import Callable, Dict, List, Optional, Tuple

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kdumpwiz.engine.editors import bls, cmdline, grubenv, kdumpconf, shellvars
from kdumpwiz.engine.errors import EditError

EXAMPLES = int(os.environ.get("KDUMPWIZ_FUZZ_EXAMPLES", "60"))
#: The default run (CI) draws the same examples every time: with 60 examples and a generator that
#: makes a refused entry one time in five, a fresh draw broke the 25 % bound below about one run in
#: nine (17 of 60 seen). The long run (tests/fuzz_long.py sets KDUMPWIZ_FUZZ_EXAMPLES) draws new ones.
DETERMINISTIC = "KDUMPWIZ_FUZZ_EXAMPLES" not in os.environ
DASH = shutil.which("dash") or "/usr/bin/dash"
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
                **({"derandomize": True, "database": None} if DETERMINISTIC else {}))

#: Counts per editor for the long run's report (examples tried, refusals seen).
STATS: Dict[str, Dict[str, int]] = {}


def _count(editor: str, key: str) -> None:
    STATS.setdefault(editor, {"examples": 0, "refused": 0})[key] += 1


#: The most refusals a generator may cause: a fuzzer whose inputs are mostly refused
#: tests the refusal path and little of the editing (the BLS one once refused 52 of 60).
MAX_REFUSED = 0.25


def bounded_refusals(editor: str, run: Callable[[], None]) -> Callable[[], None]:
    """A test that runs the Hypothesis test ``run`` and then bounds its refusal rate."""

    def test() -> None:
        STATS.pop(editor, None)
        run()
        seen = STATS.get(editor, {"examples": 0, "refused": 0})
        assert seen["examples"] >= min(EXAMPLES, 20), f"{editor}: only {seen['examples']} examples ran"
        rate = seen["refused"] / seen["examples"]
        assert rate <= MAX_REFUSED, f"{editor}: {seen['refused']} of {seen['examples']} examples refused"

    test.__name__ = f"test_{editor.replace('.', '_')}"
    test.__doc__ = run.__doc__
    return test


# -- the shell oracle ------------------------------------------------------------------

NAMES = ["GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_CMDLINE_LINUX", "KDUMP_COREDIR", "KDUMP_CRASHKERNEL", "OTHER", "A_B"]


def dash_values(text: str, names: List[str]) -> Dict[str, Optional[str]]:
    """Source ``text`` with dash in an empty environment; name -> value (None when unset)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False, encoding="utf-8") as fh:
        fh.write(text)
        path = fh.name
    try:
        script = ". \"$1\"\n" + "".join(f"printf '%s\\001%s\\002' \"${{{n}+set}}\" \"${n}\"\n" for n in names)
        out = subprocess.run([DASH, "-c", script, "dash", path], capture_output=True, env={"PATH": "/usr/bin:/bin"},
                             timeout=20)
        assert out.returncode == 0, f"dash failed to source:\n{text}\n{out.stderr.decode(errors='replace')}"
        fields = out.stdout.decode("utf-8", "surrogateescape").split("\x02")[:-1]
        assert len(fields) == len(names), out.stdout
        values: Dict[str, Optional[str]] = {}
        for n, f in zip(names, fields):
            flag, value = f.split("\x01", 1)
            values[n] = value if flag == "set" else None
        return values
    finally:
        os.unlink(path)


def dash_syntax_ok(text: str) -> bool:
    """``dash -n``: the file parses."""
    out = subprocess.run([DASH, "-n"], input=text.encode(), capture_output=True, timeout=20)
    return out.returncode == 0


# -- shell variable files -------------------------------------------------------------------

_BARE = st.text(alphabet="abcXYZ019_=,./:-@%+", min_size=1, max_size=8)
_DQ_PIECE = st.one_of(
    st.text(alphabet="abc xyz019=,./:-#'!|;&()<>{}*?[]~", min_size=1, max_size=8),
    st.sampled_from(['\\"', "\\\\", "\\$", "\\`", "\\n", "\\\n", "$OTHER", "${A_B}", "$GRUB_CMDLINE_LINUX", '  ']),
)
_SQ = st.text(alphabet="abc xyz019=,./:-#\"$`\\!|;&()*?~", max_size=10)


@st.composite
def shell_value(draw: st.DrawFn, name: str) -> str:
    """The raw text of one value (everything after ``NAME=``)."""
    kind = draw(st.sampled_from(["bare", "dq", "sq", "selfref", "empty", "cmdline", "concat"]))
    if kind == "bare":
        return draw(_BARE)
    if kind == "empty":
        return draw(st.sampled_from(["", '""', "''"]))
    if kind == "sq":
        return "'" + draw(_SQ) + "'"
    if kind == "selfref":
        rest = " ".join(draw(st.lists(st.sampled_from(["quiet", "splash", "crashkernel=128M", "a=\\\"b c\\\"",
                                                      "console=ttyS0,115200", "x=1"]), max_size=3)))
        return f'"${name} {rest}"' if rest else f'"${name}"'
    if kind == "cmdline":
        words = draw(st.lists(st.sampled_from(["quiet", "splash", "crashkernel=256M", "crashkernel=1G-4G:192M,4G-:256M",
                                               "ro", "root=UUID=1234-ab", "console=tty0", 'foo=\\"a  b\\"', "--",
                                               "init=/bin/sh", "crashkernel=auto", "xcrashkernel=1G"]),
                              max_size=5))
        sep = draw(st.sampled_from([" ", "  ", " \\\n "]))
        return '"' + sep.join(words) + '"'
    if kind == "concat":
        return draw(_BARE) + '"' + draw(_DQ_PIECE) + '"' + "'" + draw(_SQ) + "'"
    return '"' + "".join(draw(st.lists(_DQ_PIECE, max_size=5))) + '"'


@st.composite
def shell_file(draw: st.DrawFn) -> str:
    """A shell variable file as /etc/default/grub & co. look in the wild."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["assign", "assign", "assign", "comment", "blank", "export", "multi",
                                     "cmdsub", "trailing"]))
        name = draw(st.sampled_from(NAMES))
        if kind == "comment":
            lines.append("#" + draw(st.text(alphabet="abc =\"'$`\\#", max_size=12)))
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", "  ", "\t"])))
        elif kind == "export":
            lines.append(f"export {name}={draw(shell_value(name))}")
        elif kind == "multi":
            other = draw(st.sampled_from(NAMES))
            lines.append(f"{name}={draw(shell_value(name))}; {other}={draw(shell_value(other))}")
        elif kind == "cmdsub":
            # Only ever in a variable nobody edits: harmless commands, the shell runs them.
            lines.append(draw(st.sampled_from(["OTHER=$(echo hi)", "OTHER=`echo hi`", 'A_B="$(printf x)"'])))
        elif kind == "trailing":
            note = draw(st.sampled_from(["x", "a=b", '"', "'"]))
            lines.append(f"{name}={draw(shell_value(name))} # trailing {note}")
        else:
            indent = draw(st.sampled_from(["", "", "  "]))
            lines.append(f"{indent}{name}={draw(shell_value(name))}")
    text = "\n".join(lines)
    if lines and draw(st.booleans()):
        text += "\n"
    return text


def _target_span(text: str, name: str) -> Optional[Tuple[int, int]]:
    """(first, last) 1-based lines of the assignment an edit of ``name`` may touch (None: it appends)."""
    found = [a for a in shellvars.parse(text) if a.name == name]
    if not found:
        return None
    return found[-1].start_line, found[-1].end_line


def _assert_only_target_changed(old: str, new: str, name: str) -> None:
    old_lines = old.split("\n")
    new_lines = new.split("\n")
    span = _target_span(old, name)
    if span is None:
        # Appended: the old text is a prefix (a missing final newline may have been added).
        assert new.startswith(old), (old, new)
        return
    first, last = span
    assert new_lines[: first - 1] == old_lines[: first - 1], "a line before the edited assignment changed"
    tail = len(old_lines) - last
    assert tail >= 0
    if tail:
        assert new_lines[-tail:] == old_lines[-tail:], "a line after the edited assignment changed"


def _refusal_has_line(exc: EditError) -> None:
    assert exc.line is not None and exc.line >= 1, f"refusal without a line number: {exc}"


VALUE_TEXT = st.text(alphabet=st.characters(blacklist_characters="\n\r\x00", blacklist_categories=["Cs", "Cc"]),
                     max_size=20)


def _edited_or_refused(label: str, edit: Callable[[], str]) -> Optional[str]:
    """The edited text, or None after checking that a refusal names its line (and counting it)."""
    try:
        return edit()
    except EditError as exc:
        _count(label, "refused")
        _refusal_has_line(exc)
        return None


def _dash_checked_edit(text: str, new: str, name: str) -> Tuple[Dict[str, Optional[str]], Dict[str, Optional[str]]]:
    """Check an edit of ``name`` with dash as the oracle; returns every variable's value before and after.

    The result parses, only the target's lines changed, and every other
    variable has the value dash gave it before.
    """
    assert dash_syntax_ok(new), new
    _assert_only_target_changed(text, new, name)
    before = dash_values(text, NAMES)
    after = dash_values(new, NAMES)
    for other in NAMES:
        if other != name:
            assert after[other] == before[other], f"{other} changed: {before[other]!r} -> {after[other]!r}"
    return before, after


@FUZZ
@given(text=shell_file(), name=st.sampled_from(NAMES), value=VALUE_TEXT)
def _shellvars_set_value(text: str, name: str, value: str) -> None:
    _count("shellvars.set_value", "examples")
    assert dash_syntax_ok(text), text
    new = _edited_or_refused("shellvars.set_value", lambda: shellvars.set_value(text, name, value))
    if new is None:
        return
    before, after = _dash_checked_edit(text, new, name)
    assert after[name] == value, (text, new, after[name], value)
    assert shellvars.set_value(new, name, value) == new


test_shellvars_set_value = bounded_refusals("shellvars.set_value", _shellvars_set_value)


TOKENS = st.one_of(st.none(), st.sampled_from(["crashkernel=256M", "crashkernel=512M", "crashkernel=1G-4G:192M,4G-64G:256M",
                                               "crashkernel=2G-:256M@16M", "crashkernel=384M,high"]))


@FUZZ
@given(text=shell_file(), name=st.sampled_from(["GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_CMDLINE_LINUX",
                                                 "KDUMP_CRASHKERNEL"]), token=TOKENS)
def _shellvars_set_cmdline_param(text: str, name: str, token: Optional[str]) -> None:
    _count("shellvars.set_cmdline_param", "examples")
    new = _edited_or_refused("shellvars.set_cmdline_param", lambda: shellvars.set_cmdline_param(text, name, "crashkernel", token))
    if new is None:
        return
    before, after = _dash_checked_edit(text, new, name)
    old_val, new_val = before[name] or "", after[name] or ""
    # Known limitation (docs/reliability.md): a $SELF reference is opaque to the
    # editor, so an unbalanced '"' inside the earlier value is not seen.
    assume(not cmdline._spans(old_val)[1])

    def others(v: str) -> List[str]:
        return [w for w in cmdline.split(v) if cmdline.key_value(w)[0] != "crashkernel"]

    assert others(new_val) == others(old_val), (old_val, new_val)
    got = cmdline.get_params(new_val, "crashkernel")
    if token is not None:
        assert got and got[-1] == token.split("=", 1)[1], (text, new, new_val)
    else:
        assert len(got) <= len(cmdline.get_params(old_val, "crashkernel"))
        # What is left can only come from an earlier assignment through a $self-reference.
        last = [a for a in shellvars.parse(new) if a.name == name]
        if last:
            assert "crashkernel=" not in last[-1].value_text.replace("xcrashkernel=", "")
    assert shellvars.set_cmdline_param(new, name, "crashkernel", token) == new


test_shellvars_set_cmdline_param = bounded_refusals("shellvars.set_cmdline_param", _shellvars_set_cmdline_param)


# -- kdump.conf --------------------------------------------------------------------------

KEYWORDS = ["path", "core_collector", "ssh", "nfs", "auto_reset_crashkernel", "sshkey", "failure_action"]
_KVALUE = st.text(alphabet="abcxyz019_/.-@:= ", min_size=1, max_size=14).filter(lambda v: v.strip())


@st.composite
def kdump_conf(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(["directive", "directive", "comment", "example", "blank", "trailing", "odd"]))
        kw = draw(st.sampled_from(KEYWORDS))
        if kind == "directive":
            lines.append(draw(st.sampled_from(["", " ", "\t"])) + kw + draw(st.sampled_from([" ", "  ", "\t"]))
                         + draw(_KVALUE).strip())
        elif kind == "trailing":
            lines.append(f"{kw} {draw(_KVALUE).strip()} # {draw(st.text(alphabet='abc #', max_size=6))}")
        elif kind == "comment":
            lines.append("# " + draw(st.text(alphabet="abc <>|", max_size=12)))
        elif kind == "example":
            lines.append(f"#{kw} {draw(_KVALUE).strip()}")
        elif kind == "odd":
            lines.append(draw(st.sampled_from([f"{kw}=/x", f"{kw}:", "extra_bins /usr/bin/x", "default shell"])))
        else:
            lines.append("")
    sep = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = sep.join(lines)
    if lines and draw(st.booleans()):
        text += sep
    return text


def _active_kw(line: str, kw: str) -> bool:
    act = kdumpconf._active(line)
    return act is not None and act[0] == kw


@FUZZ
@given(text=kdump_conf(), kw=st.sampled_from(KEYWORDS), value=_KVALUE)
def _kdumpconf_set_directive(text: str, kw: str, value: str) -> None:
    _count("kdumpconf.set_directive", "examples")
    new = _edited_or_refused("kdumpconf.set_directive", lambda: kdumpconf.set_directive(text, kw, value))
    if new is None:
        return
    assert kdumpconf.get(new, kw) == " ".join(value.split())
    assert len([d for d in kdumpconf.parse(new) if d.keyword == kw]) == 1
    assert [(d.keyword, d.value) for d in kdumpconf.parse(new) if d.keyword != kw] == \
        [(d.keyword, d.value) for d in kdumpconf.parse(text) if d.keyword != kw]
    old_lines = text.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    if len(new_lines) == len(old_lines) + 1:
        # Inserted (no active line existed): after the last commented example, or at the end.
        assert not any(_active_kw(l, kw) for l in old_lines)
        j = next(i for i, l in enumerate(new_lines) if _active_kw(l, kw))
        assert new_lines[j] == f"{kw} {value.strip()}\n"
        del new_lines[j]
        if j > 0 and old_lines[j - 1] != new_lines[j - 1]:
            # The line before it gained the newline it lacked.
            assert new_lines[j - 1] == old_lines[j - 1] + "\n"
            new_lines[j - 1] = old_lines[j - 1]
    assert len(new_lines) == len(old_lines)
    first = True
    for o, n in zip(old_lines, new_lines):
        if _active_kw(o, kw):
            if first:
                first = False
                assert _active_kw(n, kw), (o, n)
            else:
                assert n == "#" + o, (o, n)
        else:
            assert n == o, "a line that is not a directive of the keyword changed"
    assert kdumpconf.set_directive(new, kw, value) == new


test_kdumpconf_set_directive = bounded_refusals("kdumpconf.set_directive", _kdumpconf_set_directive)


@FUZZ
@given(text=kdump_conf(), kw=st.sampled_from(KEYWORDS))
def _kdumpconf_comment_out(text: str, kw: str) -> None:
    _count("kdumpconf.comment_out", "examples")
    new = _edited_or_refused("kdumpconf.comment_out", lambda: kdumpconf.comment_out(text, kw))
    if new is None:
        return
    assert kdumpconf.get(new, kw) is None
    old_lines = text.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    assert len(old_lines) == len(new_lines)
    for o, n in zip(old_lines, new_lines):
        assert n == ("#" + o if _active_kw(o, kw) else o)
    assert kdumpconf.comment_out(new, kw) == new


test_kdumpconf_comment_out = bounded_refusals("kdumpconf.comment_out", _kdumpconf_comment_out)


# -- BLS entries ---------------------------------------------------------------------------

BLS_KEYS = ["title", "version", "linux", "initrd", "options", "grub_users", "grub_arg", "grub_class", "id"]


@st.composite
def bls_entry(draw: st.DrawFn) -> Tuple[str, bool]:
    """A BLS entry and whether it is *clean* (every key has a value, no blank line, keys
    separated by spaces): a clean entry must always be editable. About one in five holds
    one of the traps grub reads differently from grubby (a key without a value, a blank
    line before more keys, a tab before a value) -- the editor may refuse those."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["key", "key", "key", "key", "comment"]))
        key = draw(st.sampled_from(BLS_KEYS))
        value = draw(st.text(alphabet="abc019 =/$.{}-_\"", min_size=1, max_size=16)).strip() or "x"
        if kind == "key":
            sep = draw(st.sampled_from([" ", "  "]))
            end = draw(st.sampled_from(["", " ", "\r"]))
            lines.append(f"{key}{sep}{value}{end}")
        else:
            lines.append("#" + value)
    clean = draw(st.integers(0, 4)) > 0
    if not clean:
        trap = draw(st.sampled_from(["nokey", "blank", "tab", "tab-space"]))
        key = draw(st.sampled_from(BLS_KEYS))
        line = {"nokey": key, "blank": "", "tab": f"{key}\tvalue", "tab-space": f"{key}\ta b"}[trap]
        lines.insert(draw(st.integers(0, len(lines))), line)
    text = "\n".join(lines)
    if lines and draw(st.booleans()):
        text += "\n"
    return text, clean


@FUZZ
@given(entry=bls_entry(), key=st.sampled_from(BLS_KEYS),
       value=st.text(alphabet="abc019 =/$.{}-_\"", min_size=1, max_size=20).map(str.strip).filter(bool))
def _bls_set_value(entry: Tuple[str, bool], key: str, value: str) -> None:
    text, clean = entry
    _count("bls.set_value", "examples")
    try:
        new = bls.set_value(text, key, value)
    except EditError as exc:
        assert not clean, f"a clean entry was refused: {exc}\n{text!r}"
        _count("bls.set_value", "refused")
        _refusal_has_line(exc)
        return
    assert bls.get(new, key) == value
    old_pairs = bls.parse(text)
    new_pairs = bls.parse(new)
    edited = next((i for i, (k, _, _) in enumerate(old_pairs) if k == key), None)
    if edited is None:
        assert new.startswith(text) and new_pairs[:-1] == old_pairs
    else:
        old_lines, new_lines = text.splitlines(keepends=True), new.splitlines(keepends=True)
        line_idx = old_pairs[edited][2] - 1
        assert len(old_lines) == len(new_lines)
        assert [l for i, l in enumerate(old_lines) if i != line_idx] == [l for i, l in enumerate(new_lines) if i != line_idx]
    assert bls.set_value(new, key, value) == new


test_bls_set_value = bounded_refusals("bls.set_value", _bls_set_value)


# -- grubenv ---------------------------------------------------------------------------------

_ENV_VALUE = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=255, blacklist_characters="\x00"), max_size=40)


@st.composite
def grubenv_block(draw: st.DrawFn) -> bytes:
    body = b""
    names = draw(st.lists(st.sampled_from(["kernelopts", "saved_entry", "boot_success", "menu_auto_hide", "tuned_params"]),
                          unique=True, max_size=5))
    for n in names:
        v = draw(_ENV_VALUE).encode("latin-1")
        body += n.encode() + b"=" + v.replace(b"\\", b"\\\\").replace(b"\n", b"\\\n") + b"\n"
        if draw(st.booleans()):
            body += b"# comment\n"
    data = grubenv.HEADER + body
    size = draw(st.sampled_from([1024, 1024, 2048]))
    if len(data) > size:
        data = grubenv.HEADER
    return data + b"#" * (size - len(data))


@FUZZ
@given(data=grubenv_block(), name=st.sampled_from(["kernelopts", "saved_entry", "new_var"]), value=_ENV_VALUE)
def _grubenv_set_var(data: bytes, name: str, value: str) -> None:
    _count("grubenv.set_var", "examples")
    before = grubenv.parse(data)
    try:
        new = grubenv.set_var(data, name, value)
    except EditError as exc:
        _count("grubenv.set_var", "refused")
        assert "no room" in exc.reason, exc
        return
    assert len(new) == len(data)
    after = grubenv.parse(new)
    assert after[name] == value
    assert {k: v for k, v in after.items() if k != name} == {k: v for k, v in before.items() if k != name}
    assert list(after)[: len(before)] == [k for k in before] or name not in before
    assert grubenv.set_var(new, name, value) == new


test_grubenv_set_var = bounded_refusals("grubenv.set_var", _grubenv_set_var)


# -- kernel command lines ----------------------------------------------------------------------

_WORDS = st.sampled_from(["quiet", "splash", "ro", "root=UUID=1-2", "crashkernel=256M", "crashkernel=1G-:192M",
                          "crashkernel", "xcrashkernel=1G", 'foo="a b"', '"crashkernel=64M"', "--", "init=/bin/sh",
                          "console=ttyS0,115200n8", "BOOT_IMAGE=(hd0,gpt2)/vmlinuz", "rd.lvm.lv=rhel/root"])


@st.composite
def kernel_cmdline(draw: st.DrawFn) -> str:
    words = draw(st.lists(_WORDS, max_size=8))
    seps = [draw(st.sampled_from([" ", " ", "  ", "\t"])) for _ in words]
    line = "".join(w + s for w, s in zip(words, seps)).rstrip(" \t") if words else ""
    return draw(st.sampled_from(["", " "])) + line + draw(st.sampled_from(["", "\n"]))


@FUZZ
@given(line=kernel_cmdline(), token=TOKENS)
def _cmdline_set_param(line: str, token: Optional[str]) -> None:
    _count("cmdline.set_param", "examples")
    try:
        new = cmdline.set_param(line, "crashkernel", token)
    except EditError as exc:
        _count("cmdline.set_param", "refused")
        assert "--" in line or '"' in line, exc
        return

    def others(v: str) -> List[str]:
        return [w for w in cmdline.split(v) if cmdline.key_value(w)[0] != "crashkernel"]

    assert others(new) == others(line)
    got = [w for w in cmdline.split(new) if cmdline.key_value(w)[0] == "crashkernel"]
    assert got == ([] if token is None else [token])
    assert new.endswith("\n") == line.endswith("\n")
    assert cmdline.set_param(new, "crashkernel", token) == new
    if token is not None and re.search(r"(?:^|\s)--(?:\s|$)", new) is None:
        assert cmdline.get_params(new, "crashkernel") == [token.split("=", 1)[1]]


test_cmdline_set_param = bounded_refusals("cmdline.set_param", _cmdline_set_param)


def test_oracle_sees_what_dash_sees() -> None:
    """The oracle itself: quoting, escapes, continuations and self-references as dash evaluates them."""
    text = ('A_B=x\nOTHER="a \\"b\\" $A_B"\\\n\nGRUB_CMDLINE_LINUX=\'q $x\'\n'
            'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX r"\nexport KDUMP_COREDIR=/var/crash # c\n')
    vals = dash_values(text, NAMES)
    assert vals["OTHER"] == 'a "b" x' and vals["GRUB_CMDLINE_LINUX"] == "q $x r"
    assert vals["KDUMP_COREDIR"] == "/var/crash" and vals["KDUMP_CRASHKERNEL"] is None
    assert not dash_syntax_ok('A="unterminated\n')
