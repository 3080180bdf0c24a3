"""Editor for ``/etc/kdump.conf`` (kdump-utils / kexec-tools, RHEL family and Fedora).

One directive per line, ``<keyword> <value...>``. kdumpctl reads the file with
``sed 's/#.*//'`` and squeezes whitespace, so a ``#`` anywhere starts a
comment and a value is compared with runs of whitespace collapsed. Lines are
never reflowed: only the value of the edited line changes, other directives
of the same keyword are commented out by prefixing ``#``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from kdumpwiz.engine.errors import EditError

_KEYWORD_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
# Indentation, keyword, separator, value (up to a comment, trailing blanks excluded).
_LINE_RE = re.compile(r"([ \t]*)(\S+)([ \t]+)([^#]*?)([ \t\r]*(?:#.*)?)")


@dataclass(frozen=True)
class Directive:
    """An active (not commented-out) directive: keyword, value as kdumpctl sees it, 1-based line."""

    keyword: str
    value: str
    line: int


def _lines(text: str) -> List[str]:
    return text.splitlines(keepends=True)


def _body(line: str) -> str:
    """A line without its line terminator."""
    return line.rstrip("\r\n") if line.endswith("\n") else line


def _active(line: str) -> Optional[Tuple[str, str]]:
    """(first word, squeezed rest) of an active line, as kdumpctl's sed sees it; None for comments/blank."""
    code = _body(line).split("#", 1)[0]
    words = code.split()
    if not words:
        return None
    return words[0], " ".join(words[1:])


def _squeeze(value: str) -> str:
    return " ".join(value.split())


def _check_keyword(keyword: str) -> None:
    if not _KEYWORD_RE.fullmatch(keyword):
        raise ValueError(f"invalid kdump.conf keyword {keyword!r}")


def _check_value(keyword: str, value: str) -> None:
    # kdumpctl would cut the value at '#' and a newline would start a new directive.
    if not value.strip() or "#" in value or "\n" in value or "\r" in value:
        raise EditError(f"invalid value for kdump.conf {keyword}: {value!r} (empty, or contains '#' or a newline)",
                        path="/etc/kdump.conf")


def _involves(first: str, keyword: str) -> bool:
    """True for a first word like ``path=/x`` or ``path:`` that was probably meant as ``keyword``."""
    return first != keyword and first.startswith(keyword) and not re.match(r"[A-Za-z0-9_]", first[len(keyword)])


def _matching(text: str, keyword: str) -> List[Tuple[int, str]]:
    """(index, line) of every active line of ``keyword``; refuses shapes it cannot edit."""
    out = []
    for i, line in enumerate(_lines(text)):
        act = _active(line)
        if act is None:
            continue
        first, _ = act
        if _involves(first, keyword):
            raise EditError(f"cannot parse this {keyword} directive (expected '{keyword} <value>')",
                            path="/etc/kdump.conf", line=i + 1)
        if first == keyword:
            out.append((i, line))
    return out


def parse(text: str) -> List[Directive]:
    """Every active directive of ``text`` in file order."""
    out = []
    for i, line in enumerate(_lines(text)):
        act = _active(line)
        if act is not None:
            out.append(Directive(act[0], act[1], i + 1))
    return out


def get(text: str, keyword: str) -> Optional[str]:
    """The value of the last active ``keyword`` line (None if there is none)."""
    found = [d.value for d in parse(text) if d.keyword == keyword]
    return found[-1] if found else None


def _comment(line: str) -> str:
    return "#" + line


def _is_example(line: str, keyword: str) -> bool:
    """A commented-out example of ``keyword`` such as ``#ssh user@my.server.com``.

    Documentation lines with a placeholder (``# final_action <reboot | halt>``)
    are not examples: inserting after one would split the comment block.
    """
    m = re.match(r"#[ \t]*" + re.escape(keyword) + r"(?=[ \t\r\n]|$)(.*)", _body(line))
    return m is not None and not m.group(1).strip().startswith("<")


def set_directive(text: str, keyword: str, value: str) -> str:
    """Make ``keyword`` have ``value``.

    If active lines exist, the value of the first one is replaced (its
    indentation, separator and trailing comment stay) and the others are
    commented out. Otherwise ``keyword value`` is inserted after the last
    commented-out example of the keyword, or appended at the end. Returns
    ``text`` unchanged when the value is already set. Idempotent.
    """
    _check_keyword(keyword)
    _check_value(keyword, value)
    value = value.strip()
    lines = _lines(text)
    matching = _matching(text, keyword)
    if matching:
        first_idx, first_line = matching[0]
        act = _active(first_line)
        assert act is not None
        if not act[1]:
            raise EditError(f"{keyword} has no value here; cannot parse it", path="/etc/kdump.conf",
                            line=first_idx + 1)
        if _squeeze(act[1]) != _squeeze(value):
            body = _body(first_line)
            m = _LINE_RE.fullmatch(body)
            if not m or m.group(2) != keyword or not m.group(4):
                raise EditError(f"cannot parse this {keyword} directive", path="/etc/kdump.conf", line=first_idx + 1)
            lines[first_idx] = body[: m.start(4)] + value + body[m.end(4):] + first_line[len(body):]
        for idx, line in matching[1:]:
            lines[idx] = _comment(line)
        return "".join(lines)
    anchor = None
    for i, line in enumerate(lines):
        if _is_example(line, keyword):
            anchor = i
    new_line = f"{keyword} {value}\n"
    if anchor is None:
        sep = "" if text == "" or text.endswith("\n") else "\n"
        return text + sep + new_line
    if not lines[anchor].endswith("\n"):
        lines[anchor] += "\n"
    lines.insert(anchor + 1, new_line)
    return "".join(lines)


def comment_out(text: str, keyword: str) -> str:
    """Prefix ``#`` to every active line of ``keyword`` (to switch dump targets). Idempotent."""
    _check_keyword(keyword)
    lines = _lines(text)
    for idx, line in _matching(text, keyword):
        lines[idx] = _comment(line)
    return "".join(lines)
