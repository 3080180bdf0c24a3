"""Editor for shell variable files that are sourced by ``sh`` (dash on Debian/Ubuntu).

Covers ``/etc/default/grub``, ``/etc/default/grub.d/*.cfg``,
``/etc/default/kdump-tools`` and ``/etc/sysconfig/kdump``. These files are
programs: ``grub-mkconfig`` runs them with ``set -e``, so a bad edit breaks
``update-grub`` and, through the kernel postinst hook, kernel upgrades.

The module understands the subset of the shell language such files use:
``NAME=word`` (optionally ``export``-ed, several per line, ``;``-separated),
single and double quotes, backslash escapes and backslash-newline
continuations, ``$NAME``/``${NAME}`` expansions and ``#`` comments. Everything
else is kept as an opaque "other" line. Static evaluation refuses
(:class:`~kdumpwiz.engine.errors.EditError`) whatever it cannot model exactly
when it could affect a requested variable: ``+=`` (a bashism dash runs as a
command), command substitution, arithmetic, ``${VAR:-...}`` operators,
assignments inside compound commands, sourcing, ``eval`` and so on.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple, Union

from kdumpwiz.engine.errors import EditError

from . import cmdline as _cmdline

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED_NAME = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_BLANKS = " \t"
# Characters that end an unquoted word (besides blanks and newline).
_OPERATOR_CHARS = ";&|<>()"
_WORD_END = _BLANKS + "\n" + _OPERATOR_CHARS
_OPERATORS = ("&&", "||", ";;", "<<-", "<<", ">>", "<&", ">&", "<>", ">|", ";", "&", "|", "<", ">", "(", ")")
# A value that means the same bare as double-quoted, and needs no quoting.
_SAFE_BARE = re.compile(r"[A-Za-z0-9_@%+=:,./-]*")
# Commands after which nothing about the file's variables can be known statically.
_OPAQUE_COMMANDS = frozenset({".", "source", "eval", "exec", "exit", "return"})
# Reserved words (unquoted, in command position) that open and close compound
# commands; assignments between them may be conditional or never run.
_COMPOUND_OPENERS = frozenset({"if", "for", "while", "until", "{"})
_COMPOUND_CLOSERS = frozenset({"fi", "done", "}"})
# Constructs whose nesting is not tracked (``case`` patterns end with ``)``).
_UNTRACKED = frozenset({"case", "esac", "select", "function"})
# Reserved words after which the next word is again in command position.
_KEEP_COMMAND_POSITION = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"})
# Expansion kinds this module does not evaluate.
_UNSUPPORTED = {
    "cmdsub": "command substitution",
    "arith": "arithmetic expansion",
    "param": "a parameter expansion operator",
    "special": "a special or positional parameter",
    "tilde": "tilde expansion",
    "dollarquote": "$'...' or $\"...\" quoting (dash and bash disagree)",
}


class Segment(NamedTuple):
    """A piece of a shell word: literal text, a variable reference or an unsupported construct.

    ``kind`` is ``lit`` (``text`` is the literal value), ``var`` (``text`` is the
    variable name) or one of the keys of the unsupported kinds (``text`` is the
    raw source). ``quoted`` tells whether it sat inside double quotes.
    """

    kind: str
    text: str
    quoted: bool


@dataclass(frozen=True)
class Assignment:
    """One ``NAME=value`` (or ``NAME+=value``) found in a file.

    ``value_text`` is the raw source after the operator (quotes, escapes and
    continuation lines included) and ``span`` its character offsets in the file,
    so ``text[span[0]:span[1]] == value_text``. Lines are 1-based.
    """

    name: str
    value_text: str
    start_line: int
    end_line: int
    exported: bool
    op: str
    span: Tuple[int, int]
    segments: Tuple[Segment, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class OtherLine:
    """A command that is neither an assignment, a comment nor blank (``if``, ``.``, ``echo``...).

    ``code`` is the source without comments and backslash-newlines (for
    checking which variable names it mentions), ``commands`` the words found in
    command position (non-literal ones as raw text), ``depth`` the net number
    of compound commands (``if``/loops/``{``/``(``) it opens (negative when it
    closes more) and ``untracked`` whether it uses a construct whose nesting
    is not tracked (``case``, ``select``, ``function``).
    """

    start_line: int
    end_line: int
    text: str
    code: str
    commands: Tuple[str, ...]
    literal_commands: bool
    depth: int
    untracked: bool


Item = Union[Assignment, OtherLine]


class _Scanner:
    """Tokenises one file into assignments and other lines."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.n = len(text)
        self._line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def line_of(self, pos: int) -> int:
        """1-based line number of character offset ``pos``."""
        return bisect.bisect_right(self._line_starts, pos)

    def error(self, message: str, pos: int) -> EditError:
        """An EditError located at ``pos``."""
        return EditError(message, path=self.path, line=self.line_of(pos))

    # -- low-level lexing -------------------------------------------------

    def _char(self, pos: int) -> str:
        return self.text[pos] if pos < self.n else ""

    def skip_blanks(self, pos: int) -> int:
        """Skip blanks and backslash-newlines (which the shell removes before splitting words)."""
        while pos < self.n:
            c = self.text[pos]
            if c in _BLANKS:
                pos += 1
            elif c == "\\" and self._char(pos + 1) == "\n":
                pos += 2
            else:
                break
        return pos

    def end_of_line(self, pos: int) -> int:
        """Offset of the newline ending the physical line at ``pos`` (or the end of text)."""
        nl = self.text.find("\n", pos)
        return self.n if nl < 0 else nl

    def skip_single(self, pos: int) -> int:
        """``pos`` is just after an opening ``'``; return the offset after the closing one."""
        close = self.text.find("'", pos)
        if close < 0:
            raise self.error("unterminated single quote", pos - 1)
        return close + 1

    def skip_backquote(self, pos: int) -> int:
        """``pos`` is just after an opening backquote; return the offset after the closing one."""
        start = pos - 1
        while pos < self.n:
            c = self.text[pos]
            if c == "\\":
                pos += 2
                continue
            if c == "`":
                return pos + 1
            pos += 1
        raise self.error("unterminated backquote command substitution", start)

    def skip_balanced(self, pos: int, open_c: str, close_c: str, start: int) -> int:
        """Skip to after the ``close_c`` matching an already consumed ``open_c``, minding quotes."""
        depth = 1
        while pos < self.n:
            c = self.text[pos]
            if c == "\\":
                pos += 2
                continue
            if c == "'":
                pos = self.skip_single(pos + 1)
                continue
            if c == '"':
                pos, _ = self.read_double(pos + 1)
                continue
            if c == "`":
                pos = self.skip_backquote(pos + 1)
                continue
            if c == "$" and self._char(pos + 1) in ("(", "{") and self._char(pos + 1) != open_c:
                inner_close = ")" if self._char(pos + 1) == "(" else "}"
                pos = self.skip_balanced(pos + 2, self._char(pos + 1), inner_close, pos)
                continue
            if c == open_c:
                depth += 1
            elif c == close_c:
                depth -= 1
                if depth == 0:
                    return pos + 1
            pos += 1
        raise self.error(f"unterminated {self.text[start:start + 2]}...", start)

    def read_dollar(self, pos: int, in_dq: bool) -> Tuple[int, Optional[Segment]]:
        """Read the expansion starting with ``$`` at ``pos``; None when the ``$`` is literal."""
        nxt = self._char(pos + 1)
        if nxt == "(":
            kind = "arith" if self._char(pos + 2) == "(" else "cmdsub"
            end = self.skip_balanced(pos + 2, "(", ")", pos)
            return end, Segment(kind, self.text[pos:end], in_dq)
        if nxt == "{":
            end = self.skip_balanced(pos + 2, "{", "}", pos)
            inner = self.text[pos + 2: end - 1]
            if NAME_RE.fullmatch(inner):
                return end, Segment("var", inner, in_dq)
            return end, Segment("param", self.text[pos:end], in_dq)
        m = NAME_RE.match(self.text, pos + 1)
        if m:
            return m.end(), Segment("var", m.group(), in_dq)
        if nxt and nxt in "0123456789@*#?$!-":
            return pos + 2, Segment("special", self.text[pos: pos + 2], in_dq)
        if not in_dq and nxt in ("'", '"'):
            # Only the ``$`` is consumed; the quoted string is read normally.
            return pos + 1, Segment("dollarquote", "$" + nxt, False)
        return pos + 1, None

    def read_double(self, pos: int) -> Tuple[int, List[Segment]]:
        """``pos`` is just after an opening ``"``; return (offset after the closing one, segments)."""
        start = pos - 1
        segs: List[Segment] = []
        buf: List[str] = []

        def flush() -> None:
            """Move pending literal characters into a segment."""
            if buf:
                segs.append(Segment("lit", "".join(buf), True))
                buf.clear()

        while True:
            if pos >= self.n:
                raise self.error("unterminated double quote", start)
            c = self.text[pos]
            if c == '"':
                flush()
                return pos + 1, segs
            if c == "\\":
                nxt = self._char(pos + 1)
                if nxt == "\n":
                    pos += 2
                    continue
                if nxt in ("$", "`", '"', "\\"):
                    buf.append(nxt)
                    pos += 2
                    continue
                # Any other backslash stays literally inside double quotes.
                buf.append("\\")
                pos += 1
                continue
            if c == "$":
                end, seg = self.read_dollar(pos, True)
                if seg is None:
                    buf.append("$")
                else:
                    flush()
                    segs.append(seg)
                pos = end
                continue
            if c == "`":
                end = self.skip_backquote(pos + 1)
                flush()
                segs.append(Segment("cmdsub", self.text[pos:end], True))
                pos = end
                continue
            buf.append(c)
            pos += 1

    def read_word(self, pos: int, assignment: bool) -> Tuple[int, List[Segment]]:
        """Read one shell word from ``pos``; return (end offset, segments).

        With ``assignment`` the word is the value of an assignment, where an
        unquoted ``~`` at the start or after ``:`` is a tilde expansion.
        """
        start = pos
        segs: List[Segment] = []
        buf: List[str] = []

        def flush() -> None:
            """Move pending literal characters into a segment."""
            if buf:
                segs.append(Segment("lit", "".join(buf), False))
                buf.clear()

        while pos < self.n:
            c = self.text[pos]
            if c in _WORD_END:
                break
            if c == "\\":
                nxt = self._char(pos + 1)
                if nxt == "\n":
                    pos += 2
                    continue
                if nxt == "":
                    buf.append("\\")
                    pos += 1
                    continue
                buf.append(nxt)
                pos += 2
                continue
            if c == "'":
                end = self.skip_single(pos + 1)
                flush()
                segs.append(Segment("lit", self.text[pos + 1: end - 1], True))
                pos = end
                continue
            if c == '"':
                flush()
                pos, inner = self.read_double(pos + 1)
                segs.extend(inner)
                continue
            if c == "$":
                end, seg = self.read_dollar(pos, False)
                if seg is None:
                    buf.append("$")
                else:
                    flush()
                    segs.append(seg)
                pos = end
                continue
            if c == "`":
                end = self.skip_backquote(pos + 1)
                flush()
                segs.append(Segment("cmdsub", self.text[pos:end], False))
                pos = end
                continue
            if assignment and c == "~" and (pos == start or (buf and buf[-1] == ":" and self.text[pos - 1] == ":")):
                flush()
                segs.append(Segment("tilde", "~", False))
                pos += 1
                continue
            buf.append(c)
            pos += 1
        flush()
        return pos, segs

    # -- statements --------------------------------------------------------

    def try_assignments(self, pos: int) -> Optional[Tuple[List[Assignment], int]]:
        """Parse a line made only of assignments (and ``export``); None if it is anything else.

        Returns the assignments and the offset after the line's newline.
        """
        text = self.text
        found: List[Assignment] = []
        stmt_start = True
        exported = False
        stmt_args = 0
        while True:
            pos = self.skip_blanks(pos)
            c = self._char(pos)
            if c in ("", "\n", "#"):
                if exported and stmt_args == 0:
                    return None
                if c == "#":
                    pos = self.end_of_line(pos)
                return found, min(pos + 1, self.n)
            if c == ";":
                if stmt_start or (exported and stmt_args == 0):
                    return None
                pos += 1
                stmt_start, exported, stmt_args = True, False, 0
                continue
            if stmt_start and text.startswith("export", pos) and self._char(pos + 6) in (" ", "\t", "\\"):
                after = self.skip_blanks(pos + 6)
                if after == pos + 6:
                    return None
                exported = True
                stmt_start = False
                pos = after
                continue
            m = NAME_RE.match(text, pos)
            if not m:
                return None
            after = m.end()
            if text.startswith("+=", after):
                op, vstart = "+=", after + 2
            elif text.startswith("=", after):
                op, vstart = "=", after + 1
            elif exported and self._char(after) in ("", " ", "\t", "\n", ";") or (
                exported and text.startswith("\\\n", after)
            ):
                # ``export NAME`` only marks NAME for export; its value is unchanged.
                pos = after
                stmt_args += 1
                continue
            else:
                return None
            end, segs = self.read_word(vstart, assignment=True)
            if end < self.n and text[end] not in " \t\n;":
                return None
            found.append(
                Assignment(
                    name=m.group(),
                    value_text=text[vstart:end],
                    start_line=self.line_of(pos),
                    end_line=self.line_of(max(vstart, end - 1)) if end > vstart else self.line_of(vstart),
                    exported=exported,
                    op=op,
                    span=(vstart, end),
                    segments=tuple(segs),
                )
            )
            stmt_start = False
            stmt_args += 1
            pos = end

    def other_line(self, pos: int) -> Tuple[OtherLine, int]:
        """Read a command line that is not a plain assignment; return it and the offset after it."""
        text = self.text
        start = pos
        tokens: List[Tuple[str, str, Optional[str]]] = []  # (kind, raw, literal value)
        while pos < self.n:
            c = text[pos]
            if c in _BLANKS:
                pos += 1
                continue
            if c == "\\" and self._char(pos + 1) == "\n":
                pos += 2
                continue
            if c == "\n":
                break
            if c == "#":
                pos = self.end_of_line(pos)
                continue
            if c in _OPERATOR_CHARS:
                op = next(o for o in _OPERATORS if text.startswith(o, pos))
                if op.startswith("<<"):
                    # The here-document body would be misread as commands.
                    raise self.error("here-documents are not supported in this file", pos)
                tokens.append(("op", op, None))
                pos += len(op)
                continue
            end, segs = self.read_word(pos, assignment=False)
            literal = "".join(s.text for s in segs) if all(s.kind == "lit" for s in segs) else None
            tokens.append(("word", text[pos:end], literal))
            pos = end
        end_content = pos
        after = min(pos + 1, self.n)

        commands: List[str] = []
        literal_commands = True
        untracked = False
        depth = 0
        command_position = True
        redirect_target = False
        for kind, raw, literal in tokens:
            if kind == "op":
                if raw in ("(", ")"):
                    depth += 1 if raw == "(" else -1
                redirect_target = raw in ("<", ">", ">>", "<&", ">&", "<>", ">|")
                if not redirect_target:
                    command_position = raw in (";", "&", "|", "&&", "||", ";;", "(", ")")
                continue
            if redirect_target:
                redirect_target = False
                continue
            if not command_position:
                continue
            if literal is not None and re.match(r"[A-Za-z_][A-Za-z0-9_]*\+?=", raw):
                continue  # a prefix assignment; the command comes later
            word = literal if literal is not None else raw
            if literal is None:
                literal_commands = False
            commands.append(word)
            # Reserved words are recognised only unquoted, hence ``raw``.
            if raw in _COMPOUND_OPENERS:
                depth += 1
            elif raw in _COMPOUND_CLOSERS:
                depth -= 1
            elif raw in _UNTRACKED:
                untracked = True
            command_position = raw in _KEEP_COMMAND_POSITION
        raw_text = text[start:end_content]
        code = " ".join(raw for _, raw, _ in tokens).replace("\\\n", "")
        return (
            OtherLine(
                start_line=self.line_of(start),
                end_line=self.line_of(max(start, end_content - 1)),
                text=raw_text,
                code=code,
                commands=tuple(commands),
                literal_commands=literal_commands,
                depth=depth,
                untracked=untracked,
            ),
            after,
        )

    def scan(self) -> List[Item]:
        """All assignments and other lines of the file, in order."""
        items: List[Item] = []
        pos = 0
        while pos < self.n:
            pos = self.skip_blanks(pos)
            c = self._char(pos)
            if c == "":
                break
            if c == "\n":
                pos += 1
                continue
            if c == "#":
                pos = self.end_of_line(pos) + 1
                continue
            res = self.try_assignments(pos)
            if res is not None:
                found, pos = res
                items.extend(found)
                continue
            other, pos = self.other_line(pos)
            items.append(other)
        return items


def scan(text: str, path: str = "") -> List[Item]:
    """Assignments and "other" lines of ``text`` in file order (comments and blank lines skipped)."""
    return _Scanner(text, path).scan()


def parse(text: str, path: str = "") -> List[Assignment]:
    """Every assignment of ``text`` in file order.

    Raises EditError for text the shell could not parse either (unterminated
    quotes or substitutions) and for here-documents.
    """
    return [it for it in scan(text, path) if isinstance(it, Assignment)]


# -- evaluation ------------------------------------------------------------


def _mentions(code: str, names: Iterable[str]) -> Optional[str]:
    """The first of ``names`` that occurs as a whole identifier in ``code``."""
    for name in sorted(names):
        if re.search(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])", code):
            return name
    return None


def _unsupported(a: Assignment) -> Optional[Segment]:
    for seg in a.segments:
        if seg.kind not in ("lit", "var"):
            return seg
    return None


def _expand(segments: Sequence[Segment], env: Mapping[str, str]) -> str:
    return "".join(env.get(s.text, "") if s.kind == "var" else s.text for s in segments)


class _Nesting:
    """Tracks whether the current point of a file is inside a compound command.

    Assignments inside ``if``/loops/``{ }``/``( )``/function bodies may run
    conditionally, repeatedly or never. After a ``case`` (whose patterns end
    with ``)``) or a closer without opener the nesting is unknown for the rest
    of the file, so everything after it counts as conditional.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.lost = False

    def feed(self, line: OtherLine) -> None:
        """Account for one other line."""
        self.depth += line.depth
        if line.untracked or self.depth < 0:
            self.lost = True

    def check_balanced(self, path: str) -> None:
        """Refuse a file whose ``if``/loops/braces do not close: sourcing it is a syntax error."""
        if self.depth != 0 and not self.lost or self.depth < 0:
            raise EditError("unbalanced compound commands (if/fi, do/done, braces or parentheses): sourcing this "
                            "file fails", path=path)

    @property
    def conditional(self) -> bool:
        """True when an assignment here might not run exactly once."""
        return self.lost or self.depth > 0


def _check_other(item: OtherLine, relevant: Set[str], path: str) -> None:
    """Refuse a command that may change (or hide) the value of a relevant variable."""
    for cmd in item.commands:
        if cmd in _OPAQUE_COMMANDS:
            raise EditError(f"'{cmd}' runs code or stops reading this file; its effect on variables cannot be "
                            f"evaluated statically", path=path, line=item.start_line)
    if not item.literal_commands:
        raise EditError("a command whose name is computed at run time cannot be evaluated statically",
                        path=path, line=item.start_line)
    hit = _mentions(item.code, relevant)
    if hit:
        raise EditError(f"{hit} is used by a shell command here; its value cannot be evaluated statically",
                        path=path, line=item.start_line)


def _check_assignment(a: Assignment, path: str, conditional: bool) -> None:
    """Refuse an assignment to a relevant variable that cannot be evaluated exactly."""
    if a.op == "+=":
        raise EditError(f"{a.name}+= is a bashism: dash (/bin/sh on Debian/Ubuntu) runs it as a command "
                        f"('not found', exit 127) and update-grub fails", path=path, line=a.start_line,
                        hint=f'write {a.name}="${a.name} ..." instead')
    if conditional:
        raise EditError(f"{a.name} is assigned inside a compound command (if/case/loop/function) or after one "
                        f"kdumpwiz cannot follow; its value cannot be evaluated statically",
                        path=path, line=a.start_line)
    seg = _unsupported(a)
    if seg is not None:
        raise EditError(f"{a.name} uses {_UNSUPPORTED[seg.kind]} ({seg.text}); its value cannot be evaluated "
                        f"statically", path=path, line=a.start_line)
    if a.exported and any(s.kind == "var" and not s.quoted for s in a.segments):
        # dash before 0.5.11 split fields in ``export NAME=$X``; the result depends on the version.
        raise EditError(f"export {a.name}=$... without double quotes depends on the shell version",
                        path=path, line=a.start_line, hint=f'quote it: export {a.name}="..."')


def _side_effects(a: Assignment, relevant: Set[str], path: str) -> None:
    """Refuse ``${X:=...}`` or ``$((X=...))`` that assign a relevant variable as a side effect."""
    for seg in a.segments:
        if seg.kind in ("param", "arith"):
            hit = _mentions(seg.text, relevant)
            if hit:
                raise EditError(f"{seg.text} may assign {hit}; its value cannot be evaluated statically",
                                path=path, line=a.start_line)


def evaluate(
    files: Sequence[Tuple[str, str]],
    wanted: Iterable[str],
    initial: Optional[Mapping[str, str]] = None,
) -> Dict[str, str]:
    """The values of ``wanted`` after sourcing ``files`` (path, text) one after another with dash.

    Later assignments win; ``$VAR``/``${VAR}`` expand from the values so far
    (unset variables expand to the empty string, or to ``initial``);
    backslash-newline is removed except inside single quotes. A wanted variable
    never assigned is returned as ``initial``'s value or ``""``.

    Raises EditError (with path and line) when a wanted variable, or one it
    refers to, is assigned with ``+=``, command substitution, arithmetic,
    parameter operators, special parameters, tilde expansion or inside a
    compound command (or anywhere after a ``case``); when any other command
    mentions such a variable; and for any ``.``/``source``/``eval``/``exec``/
    ``exit``/``return`` or computed command name. Assignments nobody wants may
    use anything.
    """
    wanted_list = list(dict.fromkeys(wanted))
    scanned = [(path, scan(text, path)) for path, text in files]

    # Every variable whose value flows into a wanted one, over all files
    # (an over-approximation: order is ignored, which can only refuse more).
    relevant: Set[str] = set(wanted_list)
    changed = True
    while changed:
        changed = False
        for _, items in scanned:
            for it in items:
                if isinstance(it, Assignment) and it.name in relevant:
                    for seg in it.segments:
                        if seg.kind == "var" and seg.text not in relevant:
                            relevant.add(seg.text)
                            changed = True

    env: Dict[str, str] = dict(initial or {})
    for path, items in scanned:
        nesting = _Nesting()
        for it in items:
            if isinstance(it, OtherLine):
                _check_other(it, relevant, path)
                nesting.feed(it)
                continue
            _side_effects(it, relevant, path)
            if it.name not in relevant:
                continue
            _check_assignment(it, path, nesting.conditional)
            env[it.name] = _expand(it.segments, env)
        nesting.check_balanced(path)
    return {name: env.get(name, "") for name in wanted_list}


def get_value(text: str, name: str, path: str = "", initial: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The value of ``name`` at the end of this one file; None if the file never assigns it."""
    if not any(a.name == name for a in parse(text, path)):
        return None
    return evaluate([(path, text)], [name], initial)[name]


# -- editing ---------------------------------------------------------------


def quote(value: str) -> str:
    """``value`` as a double-quoted word that dash reads back unchanged."""
    return '"' + re.sub(r'([\\"$`])', r"\\\1", value) + '"'


def _check_name(name: str) -> None:
    if not NAME_RE.fullmatch(name):
        raise ValueError(f"invalid shell variable name {name!r}")


def _check_value(name: str, value: str, path: str) -> None:
    # A newline would reach grub.cfg or a line-based tool (Debian's debconf
    # flattening, grubby's sed) and break it.
    if "\n" in value or "\r" in value or "\x00" in value:
        raise EditError(f"refusing to write a newline or NUL into {name}", path=path)


def _render(value: str, old_value_text: str) -> str:
    """The new value text, keeping the old quoting style where it stays correct."""
    if re.fullmatch(r"'[^']*'", old_value_text) and "'" not in value:
        return "'" + value + "'"
    if _SAFE_BARE.fullmatch(old_value_text) and _SAFE_BARE.fullmatch(value):
        return value
    return quote(value)


def _shape(items: Sequence[Item]) -> List[Tuple[object, ...]]:
    """What must stay identical in a file apart from the edited assignment."""
    out: List[Tuple[object, ...]] = []
    for it in items:
        if isinstance(it, Assignment):
            out.append(("a", it.name, it.op, it.exported, it.value_text))
        else:
            out.append(("o", it.text))
    return out


def _last_assignment(items: Sequence[Item], name: str, path: str) -> Optional[int]:
    """Index of the assignment that decides ``name``'s final value, after safety checks.

    Refuses when that assignment is inside a compound command or when a
    later command might change or hide the value; when appending, refuses
    files that might stop before reaching the end.
    """
    idx: Optional[int] = None
    for i, it in enumerate(items):
        if isinstance(it, Assignment) and it.name == name:
            idx = i
    if idx is None:
        nesting = _Nesting()
        for it in items:
            if isinstance(it, OtherLine):
                for cmd in it.commands:
                    if cmd in ("exec", "exit", "return"):
                        raise EditError(f"'{cmd}' may stop the file before a line appended at its end",
                                        path=path, line=it.start_line)
                nesting.feed(it)
        if nesting.conditional:
            raise EditError("the file does not end at top level (unbalanced or untracked compound commands); "
                            "refusing to append to it", path=path)
        return None
    last = items[idx]
    assert isinstance(last, Assignment)
    nesting = _Nesting()
    for it in items[:idx]:
        if isinstance(it, OtherLine):
            nesting.feed(it)
    if nesting.conditional:
        raise EditError(f"{name} is assigned inside a compound command (if/case/loop/function) or after one "
                        f"kdumpwiz cannot follow; refusing to edit it", path=path, line=last.start_line)
    for it in items[idx + 1:]:
        if isinstance(it, OtherLine):
            _check_other(it, {name}, path)
        elif it.name != name and any(seg.kind == "var" and seg.text == name for seg in it.segments):
            # Editing NAME would silently change this other variable too
            # (e.g. GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX quiet").
            raise EditError(f"{it.name} is built from ${name} after {name} is set; editing {name} would change "
                            f"{it.name} too", path=path, line=it.start_line)
    return idx


def _verify(old_items: Sequence[Item], new_text: str, path: str, idx: Optional[int]) -> List[Item]:
    """Re-read the edited text and check that nothing but the edited assignment changed."""
    new_items = scan(new_text, path)
    old_shape = _shape(old_items)
    new_shape = _shape(new_items)
    if idx is None:
        ok = len(new_shape) == len(old_shape) + 1 and new_shape[:-1] == old_shape
    else:
        ok = (
            len(new_shape) == len(old_shape)
            and new_shape[:idx] == old_shape[:idx]
            and new_shape[idx + 1:] == old_shape[idx + 1:]
            and new_shape[idx][:4] == old_shape[idx][:4]
        )
    if not ok:
        raise EditError("internal check failed: the edit would change other lines of the file", path=path)
    return new_items


def set_value(text: str, name: str, value: str, path: str = "") -> str:
    """Make the final value of ``name`` in this file equal ``value``.

    Rewrites the value of the file's last assignment of ``name`` (``export``
    and a trailing comment stay; single quotes or a bare word stay when still
    correct, otherwise the value is double-quoted) or appends
    ``NAME="value"``. Returns ``text`` unchanged when the value already is
    ``value``. Refuses ``+=``, command substitution and other unsupported
    constructs in that assignment, and files where a later command could
    change or hide it.
    """
    _check_name(name)
    _check_value(name, value, path)
    items = scan(text, path)
    idx = _last_assignment(items, name, path)
    if idx is None:
        sep = "" if text == "" or text.endswith("\n") else "\n"
        new = f"{text}{sep}{name}={quote(value)}\n"
    else:
        last = items[idx]
        assert isinstance(last, Assignment)
        _check_assignment(last, path, conditional=False)
        if all(s.kind == "lit" for s in last.segments) and _expand(last.segments, {}) == value:
            return text
        new_value_text = _render(value, last.value_text)
        if new_value_text == last.value_text:
            return text
        s, e = last.span
        new = text[:s] + new_value_text + text[e:]
    new_items = _verify(items, new, path, idx)
    check = [a for a in new_items if isinstance(a, Assignment) and a.name == name][-1]
    if not all(s.kind == "lit" for s in check.segments) or _expand(check.segments, {}) != value:
        raise EditError(f"internal check failed: {name} would not read back as the new value", path=path)
    return new


# -- kernel command line variables ------------------------------------------


def _value_units(a: Assignment, path: str) -> Tuple[str, str, str, List[str], List[Tuple[int, int]]]:
    """Split the raw value of ``a`` into (open quote, inner raw, close quote, units, unit spans).

    Units are what :func:`cmdline.split_units` takes: one evaluated character,
    ``""`` for a backslash-newline or :data:`cmdline.OPAQUE` for ``$NAME``.
    Spans are offsets in the inner raw text.
    """
    vt = a.value_text
    if len(vt) >= 2 and vt[0] == "'" and vt[-1] == "'" and "'" not in vt[1:-1]:
        inner = vt[1:-1]
        return "'", inner, "'", list(inner), [(i, i + 1) for i in range(len(inner))]
    if len(vt) >= 2 and vt[0] == '"' and vt[-1] == '"' and all(s.quoted for s in a.segments):
        # One double-quoted string (``"a""b"`` would also pass the test above
        # but fails the raw walk below at the inner unescaped quote).
        opening, inner, closing = '"', vt[1:-1], '"'
        in_dq = True
    elif not any(c in vt for c in "'\"\\`"):
        opening, inner, closing = "", vt, ""
        in_dq = False
    else:
        raise EditError(f"cannot tokenise the value of {a.name} (mixed quoting)", path=path, line=a.start_line)
    units: List[str] = []
    spans: List[Tuple[int, int]] = []
    i = 0
    n = len(inner)
    while i < n:
        c = inner[i]
        if in_dq and c == '"':
            raise EditError(f"cannot tokenise the value of {a.name} (mixed quoting)", path=path, line=a.start_line)
        if c == "\\" and in_dq:
            nxt = inner[i + 1] if i + 1 < n else ""
            if nxt == "\n":
                units.append("")
                spans.append((i, i + 2))
                i += 2
                continue
            if nxt in ("$", "`", '"', "\\"):
                units.append(nxt)
                spans.append((i, i + 2))
                i += 2
                continue
            units.append("\\")
            spans.append((i, i + 1))
            i += 1
            continue
        if c == "$":
            m = NAME_RE.match(inner, i + 1)
            if m:
                units.append(_cmdline.OPAQUE)
                spans.append((i, m.end()))
                i = m.end()
                continue
            m = _BRACED_NAME.match(inner, i + 1)
            if m:
                units.append(_cmdline.OPAQUE)
                spans.append((i, m.end()))
                i = m.end()
                continue
            nxt = inner[i + 1] if i + 1 < n else ""
            if nxt in ("(", "{") or (nxt and nxt in "0123456789@*#?$!-"):
                raise EditError(f"{a.name} uses an expansion kdumpwiz cannot edit around ({inner[i:i + 2]}...)",
                                path=path, line=a.start_line)
            units.append("$")
            spans.append((i, i + 1))
            i += 1
            continue
        if c == "`":
            raise EditError(f"{a.name} uses command substitution; refusing to edit it", path=path, line=a.start_line)
        if not in_dq and c == "~":
            raise EditError(f"{a.name} uses tilde expansion; refusing to edit it", path=path, line=a.start_line)
        units.append(c)
        spans.append((i, i + 1))
        i += 1
    return opening, inner, closing, units, spans


def _computed_key_may_be(k: str, v: Optional[str], key: str) -> bool:
    """True if a word whose key contains an expansion could have the key ``key``.

    A word that is only an expansion and has no ``=`` of its own (the
    ``$GRUB_CMDLINE_LINUX_DEFAULT`` self-reference) is a list of earlier words,
    not a parameter of this file, and is kept as it is.
    """
    if _cmdline.OPAQUE not in k:
        return False
    literal = k.replace(_cmdline.OPAQUE, "")
    if not literal:
        return v is not None
    pattern = ".*".join(re.escape(part) for part in k.split(_cmdline.OPAQUE))
    return re.fullmatch(pattern, key) is not None


def _render_token(token: str, opening: str, name: str, path: str, line: int) -> str:
    if opening == '"':
        return quote(token)[1:-1]
    if opening == "'":
        if "'" in token:
            raise EditError(f"{token!r} cannot be written inside the single quotes of {name}", path=path, line=line)
        return token
    return quote(token)[1:-1]  # bare values are turned into double-quoted ones if needed


def set_cmdline_param(text: str, name: str, key: str, token: Optional[str], path: str = "") -> str:
    """Set one kernel parameter inside the kernel-command-line variable ``name``.

    In the raw value of the last assignment of ``name`` every word whose key
    is ``key`` (``key`` or ``key=...``) is removed and ``token`` (or nothing,
    when None) is put where the first one was, or appended after the last word
    (one space before it). Every other byte of the value stays, including
    ``$VAR`` self-references, other spacing, continuation lines and escaped
    inner quotes (``foo=\\"a  b\\"`` is one kernel word). Without any
    assignment of ``name`` it appends ``NAME="token"``. Idempotent.

    Refuses ``+=``, command substitution or parameter operators, mixed
    quoting, a word whose key is computed (``${X}=...``) that may hide a
    ``key=``, and files where a later command could change the variable.
    """
    _check_name(name)
    _cmdline.check_key(key)
    _cmdline.check_token(key, token)
    if token is not None:
        _check_value(name, token, path)
    items = scan(text, path)
    if token is None and not any(isinstance(it, Assignment) and it.name == name for it in items):
        return text
    idx = _last_assignment(items, name, path)
    if idx is None:
        assert token is not None
        return set_value(text, name, token, path)
    last = items[idx]
    assert isinstance(last, Assignment)
    _check_assignment(last, path, conditional=False)
    opening, inner, closing, units, unit_spans = _value_units(last, path)
    word_units, unbalanced = _cmdline.split_units(units)
    spans = [(unit_spans[s][0], unit_spans[e - 1][1]) for s, e in word_units]
    evaluated = ["".join(units[s:e]) for s, e in word_units]
    matches: List[int] = []
    dd: Optional[int] = None
    for i, word in enumerate(evaluated):
        k, v = _cmdline.key_value(word)
        if k == key:
            matches.append(i)
        elif _computed_key_may_be(k, v, key):
            raw_word = inner[spans[i][0]:spans[i][1]]
            raise EditError(f"a word of {name} builds its parameter name from a variable ({raw_word}); "
                            f"refusing to guess whether it is {key}=", path=path, line=last.start_line)
        if k == "--" and v is None and dd is None:
            dd = i
    if dd is not None and any(i > dd for i in matches):
        raise EditError(f"{key}= appears after '--' (an argument for init) in {name}", path=path, line=last.start_line)
    if not matches and token is not None and unbalanced and dd is None:
        raise EditError(f"{name} ends inside a double-quoted kernel word; {token} would be swallowed by it",
                        path=path, line=last.start_line)
    token_raw = None if token is None else _render_token(token, opening, name, path, last.start_line)
    new_inner = _cmdline.rebuild(inner, spans, matches, token_raw, dd)
    if opening == "" and not (_SAFE_BARE.fullmatch(new_inner) or new_inner == inner):
        # A bare value that gained a space or special character: double quotes
        # mean the same for ``$NAME`` and plain characters (no backslashes,
        # quotes or ``~`` are possible here, see _value_units).
        opening = closing = '"'
    new_value_text = opening + new_inner + closing
    if new_value_text == last.value_text:
        return text
    s, e = last.span
    new = text[:s] + new_value_text + text[e:]
    new_items = _verify(items, new, path, idx)
    check = new_items[idx]
    assert isinstance(check, Assignment)
    _, _, _, units2, _ = _value_units(check, path)
    words2 = ["".join(units2[s2:e2]) for s2, e2 in _cmdline.split_units(units2)[0]]
    found = [w for w in words2 if _cmdline.key_value(w)[0] == key]
    if found != ([] if token is None else [token]):
        raise EditError(f"internal check failed: {name} would not contain exactly {token}", path=path)
    return new
