"""Editor for kernel command line strings.

Used for BLS ``options`` values, grubenv ``kernelopts``, ``/etc/kernel/cmdline``
and for reading ``/proc/cmdline``. Words are found the way the kernel's
``next_arg()`` (lib/cmdline.c) finds them: separated by unquoted whitespace,
with double quotes grouping (``foo="a b"`` is one word).

The editor works on words only. The kernel itself locates ``crashkernel=`` by
substring search (so it also matches inside ``xcrashkernel=``); that is modelled
by the crashkernel module, not here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

from kdumpwiz.engine.errors import EditError

# isspace() of the kernel's lib/ctype.c, restricted to ASCII.
SPACE = frozenset(" \t\n\v\f\r")

# A unit standing for text whose value is unknown (a shell expansion): it is
# neither whitespace nor a double quote. NUL never occurs in the edited files.
OPAQUE = "\x00"

Span = Tuple[int, int]


def split_units(units: Sequence[str]) -> Tuple[List[Span], bool]:
    """Split a sequence of units into words the way ``next_arg()`` does.

    Each unit is one character of the evaluated command line, ``""`` for a unit
    that evaluates to nothing (a shell backslash-newline) or :data:`OPAQUE`.
    Returns ``(spans, unbalanced)``: each span is ``(first, end)`` in unit
    indices, trailing empty units excluded; ``unbalanced`` is True when the last
    word has an unterminated double quote (it then extends to the end).
    """
    spans: List[Span] = []
    n = len(units)
    i = 0
    in_quote = False
    while True:
        while i < n and (units[i] == "" or units[i] in SPACE):
            i += 1
        if i >= n:
            break
        start = i
        last_visible = i
        # next_arg() starts every word outside quotes.
        in_quote = False
        while i < n:
            unit = units[i]
            if unit != "" and unit in SPACE and not in_quote:
                break
            if unit == '"':
                in_quote = not in_quote
            if unit != "":
                last_visible = i
            i += 1
        spans.append((start, last_visible + 1))
    return spans, in_quote


def _spans(cmdline: str) -> Tuple[List[Span], bool]:
    spans, unbalanced = _cached_spans(cmdline)
    return list(spans), unbalanced


@lru_cache(maxsize=4096)
def _cached_spans(cmdline: str) -> Tuple[Tuple[Span, ...], bool]:
    # A plan splits the same options line of each BLS entry several times (bench/speed).
    spans, unbalanced = split_units(list(cmdline))
    return tuple(spans), unbalanced


def split(cmdline: str) -> List[str]:
    """The words of ``cmdline``, quotes kept, as the kernel's ``next_arg()`` delimits them."""
    spans, _ = _spans(cmdline)
    return [cmdline[s:e] for s, e in spans]


def key_value(word: str) -> Tuple[str, Optional[str]]:
    """``(param, value)`` of one word, exactly as ``next_arg()`` computes them.

    The value is None for a word without ``=``. Quotes are stripped the way the
    kernel strips them: a leading ``"`` of the word, a leading ``"`` of the value
    and the matching trailing ``"``. ``next_arg()`` ignores an ``=`` in the first
    position, so ``=a=b`` has the key ``=a``.
    """
    quoted = word.startswith('"')
    args = word[1:] if quoted else word
    n = len(args)
    eq = args.find("=", 1)
    if eq < 0:
        if quoted and n > 0 and args.endswith('"'):
            return args[:-1], None
        return args, None
    key = args[:eq]
    vstart = eq + 1
    vend = n
    if vstart < n and args[vstart] == '"':
        vstart += 1
        if n - 1 >= vstart and args[n - 1] == '"':
            vend = n - 1
    if quoted and vend == n and n - 1 >= vstart and args[n - 1] == '"':
        vend = n - 1
    return key, args[vstart:vend]


def get_params(cmdline: str, key: str) -> List[str]:
    """The values of every word whose key is exactly ``key``, in order (``""`` for a bare ``key``)."""
    out: List[str] = []
    for word in split(cmdline):
        k, v = key_value(word)
        if k == key:
            out.append(v if v is not None else "")
    return out


def check_key(key: str) -> None:
    """Raise ValueError unless ``key`` is a plausible parameter name (a programming error otherwise)."""
    if not key or any(c in SPACE or c in '="' or c == OPAQUE for c in key):
        raise ValueError(f"invalid kernel parameter name {key!r}")


def check_token(key: str, token: Optional[str]) -> None:
    """Refuse a token that is not one or more words, each with the key ``key``, single-spaced.

    Anything else would make the edit non-idempotent (the next run would not
    find the token again) or insert another parameter. Several words are for
    pairs like ``crashkernel=72M,low crashkernel=240M,high``: they go in
    together where the first old one was, as perl-bootloader puts them.
    """
    if token is None:
        return
    words = split(token)
    if OPAQUE in token or not words or " ".join(words) != token or any(key_value(w)[0] != key for w in words):
        raise EditError(f"{token!r} is not a single {key}= kernel parameter")
    _, unbalanced = _spans(token)
    if unbalanced:
        raise EditError(f"{token!r} has an unterminated double quote")


def rebuild(raw: str, spans: Sequence[Span], matches: Sequence[int], token: Optional[str],
            append_before: Optional[int] = None) -> str:
    """Remove the words ``matches`` of ``raw`` and put ``token`` where the first was.

    ``spans`` are character spans of all words of ``raw``. A removed word goes
    together with the whitespace before it (after it, for the first word), so
    the separators of the kept words stay byte for byte. Without matches the
    token is appended after the last word (one space before it), or inserted
    before word ``append_before`` when given. ``token`` is already in the form
    that ``raw`` needs (escaped for a shell double-quoted string, for example).
    """
    if not matches:
        if token is None:
            return raw
        if not spans:
            # Only whitespace: keep it after the token (a trailing newline stays last).
            return token + raw
        if append_before is not None and append_before < len(spans):
            pos = spans[append_before][0]
            return raw[:pos] + token + " " + raw[pos:]
        pos = spans[-1][1]
        return raw[:pos] + " " + token + raw[pos:]
    removed = set(matches)
    first = min(matches)
    out = [raw[: spans[0][0]]]
    emitted = False
    for i, (s, e) in enumerate(spans):
        if i in removed and not (i == first and token is not None):
            continue
        text = token if i == first and token is not None else raw[s:e]
        if emitted:
            out.append(raw[spans[i - 1][1]: s])
        out.append(text)
        emitted = True
    out.append(raw[spans[-1][1]:])
    return "".join(out)


def _double_dash(words: Sequence[str]) -> Optional[int]:
    """Index of the ``--`` word after which words are init's arguments, not the kernel's."""
    for i, w in enumerate(words):
        k, v = key_value(w)
        if k == "--" and v is None:
            return i
    return None


def set_param(cmdline: str, key: str, token: Optional[str]) -> str:
    """Remove every word whose key is exactly ``key`` and put ``token`` where the first one was.

    ``token`` is the new word (``crashkernel=256M``) or None to only remove.
    Without an existing word the token is appended after the last word (before
    a ``--``, whose following words belong to init). All other bytes are kept,
    including a trailing newline. Idempotent.

    Refuses (EditError) a matching word after ``--`` (an init argument: removing
    or keeping it are both guesses) and appending to a line whose last word has
    an unterminated double quote (the kernel would swallow the new word into it).
    """
    check_key(key)
    check_token(key, token)
    spans, unbalanced = _spans(cmdline)
    words = [cmdline[s:e] for s, e in spans]
    dd = _double_dash(words)
    matches = [i for i, w in enumerate(words) if key_value(w)[0] == key]
    if dd is not None and any(i > dd for i in matches):
        raise EditError(f"{key}= appears after '--' (an argument for init); edit this command line by hand")
    if not matches and token is not None and unbalanced and dd is None:
        raise EditError(f"the command line ends inside a double-quoted word; appending {token} would be "
                        f"swallowed by it")
    return rebuild(cmdline, spans, matches, token, dd)
