"""Editor for Boot Loader Specification entries (``/boot/loader/entries/*.conf``).

Each line is ``key value``: the key, whitespace, the rest of the line; ``#``
starts a comment line. grub's blscfg (rhboot/grub2) uses the *first* line of a
key and stops reading the file at the first blank line or key without value,
while systemd-boot and grubby skip such lines. Entries where those readers
would disagree about a key are refused instead of guessed at.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from kdumpwiz.engine.errors import EditError

# Leading blanks, key, separator, value (trailing blanks and CR excluded).
_LINE_RE = re.compile(r"([ \t]*)([^ \t#][^ \t]*)([ \t]+)(.*?)([ \t\r]*)")


def _body(line: str) -> str:
    return line[:-1] if line.endswith("\n") else line


@lru_cache(maxsize=4096)
def _scan(text: str, path: str = "") -> Tuple[Tuple[str, str, int, int, "re.Match[str]"], ...]:
    """(key, value, 1-based line, index, match) of every key line; refuses ambiguous entries.

    Cached on the text: a plan asks each entry for its options, its kernel and
    its ``$kernelopts`` use separately (bench/speed); the result is immutable.
    """
    out = []
    blank_at: Optional[int] = None
    for i, line in enumerate(text.splitlines(keepends=True)):
        body = _body(line)
        stripped = body.strip(" \t\r")
        if stripped.startswith("#"):
            continue
        if not stripped:
            blank_at = blank_at or i + 1
            continue
        m = _LINE_RE.fullmatch(body)
        if not m or not m.group(4):
            raise EditError("a key without a value: grub stops reading the entry here, other tools do not",
                            path=path, line=i + 1)
        if blank_at is not None:
            raise EditError(f"blank line {blank_at} before this key: grub stops reading the entry there, other "
                            f"tools do not", path=path, line=i + 1)
        if m.group(3).startswith("\t") and " " in body[m.start(3):]:
            # grub splits at the first space of the line and only falls back
            # to a tab when there is none, so it would read a different key.
            raise EditError("a tab separates key and value and a space follows on the line; grub would misread the key",
                            path=path, line=i + 1)
        out.append((m.group(2), m.group(4), i + 1, i, m))
    return tuple(out)


def parse(text: str, path: str = "") -> List[Tuple[str, str, int]]:
    """(key, value, 1-based line) of every key line in file order."""
    return [(k, v, line) for k, v, line, _, _ in _scan(text, path)]


def first_values(text: str, path: str = "") -> Dict[str, str]:
    """key -> value of the first line of each key (what grub's blscfg uses), from one parse."""
    out: Dict[str, str] = {}
    for k, v, _ in parse(text, path):
        out.setdefault(k, v)
    return out


def get(text: str, key: str, path: str = "") -> Optional[str]:
    """The value of the first ``key`` line (the one grub's blscfg uses); None if absent."""
    for k, v, _ in parse(text, path):
        if k == key:
            return v
    return None


def set_value(text: str, key: str, value: str, path: str = "") -> str:
    """Replace the value of the first ``key`` line (separator and the rest of the line kept) or append ``key value``."""
    if not re.fullmatch(r"[^\s#]\S*", key):
        raise ValueError(f"invalid BLS key {key!r}")
    if not value.strip() or "\n" in value or "\r" in value or value != value.strip(" \t"):
        # An empty value makes grub stop reading the entry; surrounding blanks
        # would not survive a round trip.
        raise EditError(f"invalid value for BLS key {key}: {value!r}", path=path)
    lines = text.splitlines(keepends=True)
    for k, v, _, idx, m in _scan(text, path):
        if k != key:
            continue
        if v == value:
            return text
        if m.group(3).startswith("\t") and " " in value:
            # Same rule as in _scan: grub would split this line at the value's space.
            raise EditError(f"a tab separates {key} and its value; with a space in the new value grub would "
                            f"misread the key", path=path, line=idx + 1)
        line = lines[idx]
        body = _body(line)
        lines[idx] = body[: m.start(4)] + value + body[m.end(4):] + line[len(body):]
        return "".join(lines)
    for i, line in enumerate(lines):
        if not _body(line).strip(" \t\r"):
            # grub's blscfg stops reading at a blank line: a key appended after
            # one would be ignored by grub but read by grubby and systemd-boot.
            raise EditError(f"blank line {i + 1}: grub stops reading the entry there, so {key} cannot be appended "
                            f"after it", path=path, line=i + 1)
    sep = "" if text == "" or text.endswith("\n") else "\n"
    return f"{text}{sep}{key} {value}\n"


def uses_kernelopts(text: str, path: str = "") -> bool:
    """True when the entry's ``options`` take ``$kernelopts`` from grubenv (RHEL 8 style)."""
    options = get(text, "options", path)
    return options is not None and re.search(r"\$(?:kernelopts\b|\{kernelopts\})", options) is not None
