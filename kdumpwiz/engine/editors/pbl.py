"""perl-bootloader's way of putting an option into ``GRUB_CMDLINE_LINUX_DEFAULT``, byte for byte.

On SUSE releases whose kdump has ``kdump-commandline.service`` (kdump >= 2.1:
Tumbleweed, SLE/Leap 16), every boot compares the ``crashkernel=`` tokens of
``/proc/cmdline`` with the expected ones and, on a difference, runs ``pbl
--add-option 'crashkernel=... crashkernel=...' --config``. Whatever kdumpwiz
writes into ``/etc/default/grub`` must therefore be exactly what pbl would
write for the same option: then pbl, if it ever runs, changes nothing, and the
admin's diff is the last change to that line.

pbl (``include/library`` of openSUSE/perl-bootloader, 1.25, 143f4c3; the same
algorithm on ``slfo-main``) sources the file, takes the value of
``GRUB_CMDLINE_LINUX_DEFAULT``, splits it at spaces outside double quotes,
puts the whole option string where the first word with the option's key was
(dropping the other such words; appending when there is none), joins with
single spaces, escapes ``\\`` and ``"`` with a backslash and replaces *every*
line that starts with ``GRUB_CMDLINE_LINUX_DEFAULT=`` by
``GRUB_CMDLINE_LINUX_DEFAULT="<value>"`` (``sed /^.../c``). Expected bytes in
the tests come from running that pbl on copies of the fixtures.

Where pbl's rewrite would change what the line means -- a ``$`` or backtick
in the value (pbl does not escape them, so they would expand next time), an
assignment continued over several lines (sed replaces only its first line) --
this module refuses instead.
"""

from __future__ import annotations

from typing import List

from ..errors import EditError
from . import shellvars

VAR = "GRUB_CMDLINE_LINUX_DEFAULT"


def split_words(value: str) -> List[str]:
    """pbl's lib_split_cmdline: words separated by spaces outside double quotes (quotes kept)."""
    words: List[str] = []
    current = ""
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == " " and not quoted:
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    if current:
        words.append(current)
    return words


def add_option(value: str, option: str) -> str:
    """pbl's lib_add_option: ``option`` (one or more words with one key) replaces that key's words."""
    key = option.split("=", 1)[0]
    out: List[str] = []
    changed = False
    for word in split_words(value):
        rest = word[len(key):] if word.startswith(key) else None
        if rest is not None and (rest == "" or rest.startswith("=")):
            if not changed:
                out.append(option)
                changed = True
        else:
            out.append(word)
    if not changed:
        out.append(option)
    return " ".join(out)


def line_for(value: str) -> str:
    """The line pbl writes for ``value`` (lib_set_cmdline_grub's escaping)."""
    return f'{VAR}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def set_default_option(text: str, option: str, path: str = "") -> str:
    """``text`` of /etc/default/grub after ``pbl --add-option OPTION`` (without ``--config``).

    Raises EditError where pbl's rewrite would not keep the line's meaning.
    """
    current = shellvars.evaluate([(path, text)], [VAR], {VAR: ""})[VAR]
    if "$" in current or "`" in current:
        raise EditError(f"{VAR} contains '$' or a backtick; perl-bootloader, which kdump runs at boot, rewrites "
                        "the line without escaping them, so their meaning would change", path=path)
    assignments = [a for a in shellvars.parse(text, path=path) if a.name == VAR]
    lines = text.split("\n")
    for a in assignments:
        if a.end_line != a.start_line:
            raise EditError(f"{VAR} continues over several lines; perl-bootloader, which kdump runs at boot, "
                            "would replace only its first line", path=path, line=a.start_line)
        if not lines[a.start_line - 1].startswith(VAR + "="):
            raise EditError(f"{VAR} is set by a line that does not start with '{VAR}=' (export, indentation); "
                            "perl-bootloader, which kdump runs at boot, would not update it and the two "
                            "would disagree", path=path, line=a.start_line)
    new_line = line_for(add_option(current, option))
    if not assignments:
        return text + ("" if text.endswith("\n") or not text else "\n") + new_line + "\n"
    for i, line in enumerate(lines):
        if line.startswith(VAR + "="):
            lines[i] = new_line
    return "\n".join(lines)
