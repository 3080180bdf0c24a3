"""makedumpfile's dump level as the page kinds it leaves out (``-d``, a bit mask).

The wizard shows the bits as named choices next to the number; messages name
them in words. The bits and their meaning are makedumpfile's (makedumpfile(8),
"-d dump_level"): 1 zero pages, 2 cache pages without private data, 4 cache
pages with private data, 8 user process pages, 16 free pages.
"""

from __future__ import annotations

from typing import Iterable, List, Tuple

#: (bit, short name, what is left out), in makedumpfile's order.
PAGE_KINDS: Tuple[Tuple[int, str, str], ...] = (
    (1, "zero", "zero pages"),
    (2, "cache", "page cache"),
    (4, "private", "page cache with private data"),
    (8, "user", "user process pages"),
    (16, "free", "free pages"),
)
MAX_LEVEL = 31


def level_of(names: Iterable[str]) -> int:
    """The dump level that leaves out exactly the named kinds; raises ValueError on an unknown name."""
    bits = {name: bit for bit, name, _ in PAGE_KINDS}
    level = 0
    for name in names:
        if name not in bits:
            raise ValueError(f"unknown page kind {name!r} (known: {', '.join(bits)})")
        level |= bits[name]
    return level


def kinds_of(level: int) -> List[str]:
    """The short names of the kinds ``level`` leaves out, in makedumpfile's order."""
    if not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"dump level {level} is not 0-{MAX_LEVEL}")
    return [name for bit, name, _ in PAGE_KINDS if level & bit]


def describe(level: int) -> str:
    """``leaves out zero pages, page cache and free pages`` (or ``keeps every page``)."""
    words = [what for bit, _, what in PAGE_KINDS if level & bit]
    if not words:
        return "keeps every page"
    if len(words) == 1:
        return f"leaves out {words[0]}"
    return "leaves out " + ", ".join(words[:-1]) + " and " + words[-1]
