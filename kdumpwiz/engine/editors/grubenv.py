"""Editor for the GRUB environment block (``/boot/grub2/grubenv``).

The block has a fixed size (normally 1024 bytes) because GRUB writes it in
place, sector by sector, without a file system driver that could grow it. It
starts with ``# GRUB Environment Block\\n``, holds ``name=value\\n`` lines (and
``#`` comment lines) and is padded with ``#`` up to its size. In values,
backslash and newline are written escaped with a backslash and any
``\\<char>`` reads back as ``<char>`` (grub-core/lib/envblk.c).

The editor mirrors ``grub_envblk_set``: a variable keeps its place, a new one
goes after the last line, and the result has exactly the original size. Bytes
are mapped to text as Latin-1 so that any content round-trips unchanged.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from kdumpwiz.engine.errors import EditError

HEADER = b"# GRUB Environment Block\n"
_ENCODING = "latin-1"

# (start, end, name, value); name is None for a comment line.
_Line = Tuple[int, int, Optional[bytes], Optional[bytes]]


def _line_no(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        if raw[i:i + 1] == b"\\" and i + 1 < len(raw):
            out += raw[i + 1: i + 2]
            i += 2
        else:
            out += raw[i: i + 1]
            i += 1
    return bytes(out)


def _escape(value: bytes) -> bytes:
    return value.replace(b"\\", b"\\\\").replace(b"\n", b"\\\n")


def _scan(data: bytes, path: str) -> Tuple[List[_Line], int]:
    """The lines of the block and the offset where the ``#`` padding starts."""
    if not data.startswith(HEADER):
        raise EditError("not a GRUB environment block (missing '# GRUB Environment Block' header)", path=path, line=1)
    n = len(data)
    pos = len(HEADER)
    lines: List[_Line] = []
    seen: Dict[bytes, int] = {}
    while pos < n:
        if data[pos:pos + 1] == b"#":
            nl = data.find(b"\n", pos)
            if nl < 0:
                if data[pos:].strip(b"#"):
                    raise EditError("the padding of the environment block is not made of '#'", path=path,
                                    line=_line_no(data, pos))
                break
            lines.append((pos, nl + 1, None, None))
            pos = nl + 1
            continue
        eq = data.find(b"=", pos)
        nl = data.find(b"\n", pos)
        if eq < 0 or (0 <= nl < eq) or eq == pos:
            raise EditError("malformed environment block line (expected name=value)", path=path,
                            line=_line_no(data, pos))
        name = data[pos:eq]
        if b"\\" in name:
            raise EditError("malformed variable name in the environment block", path=path, line=_line_no(data, pos))
        p = eq + 1
        while p < n and data[p:p + 1] != b"\n":
            p += 2 if data[p:p + 1] == b"\\" else 1
        if p >= n:
            raise EditError("the environment block ends inside a variable (no padding, no newline)", path=path,
                            line=_line_no(data, pos))
        if name in seen:
            raise EditError(f"variable {name.decode(_ENCODING)} appears twice in the environment block", path=path,
                            line=_line_no(data, pos))
        seen[name] = pos
        lines.append((pos, p + 1, name, _unescape(data[eq + 1:p])))
        pos = p + 1
    return lines, pos


def parse(data: bytes, path: str = "") -> Dict[str, str]:
    """The variables of the block, in block order (comment lines skipped)."""
    lines, _ = _scan(data, path)
    return {name.decode(_ENCODING): value.decode(_ENCODING)
            for _, _, name, value in lines if name is not None and value is not None}


def set_var(data: bytes, name: str, value: str, path: str = "") -> bytes:
    """Set ``name`` to ``value``, keeping every other line and the exact size of the block.

    Refuses a malformed block, padding that is not ``#``, and a result that
    would not fit. Returns ``data`` unchanged when the value is already set.
    """
    if not name or "=" in name or "\n" in name or "\\" in name or name.startswith("#"):
        raise ValueError(f"invalid grubenv variable name {name!r}")
    try:
        bname = name.encode(_ENCODING)
        bvalue = value.encode(_ENCODING)
    except UnicodeEncodeError:
        raise EditError(f"{name}: value has characters the environment block cannot hold", path=path) from None
    lines, pad_start = _scan(data, path)
    new_line = bname + b"=" + _escape(bvalue) + b"\n"
    parts: List[bytes] = [data[: len(HEADER)]]
    found = False
    for start, end, lname, lvalue in lines:
        if lname == bname:
            if lvalue == bvalue:
                return data
            parts.append(new_line)
            found = True
        else:
            parts.append(data[start:end])
    if not found:
        parts.append(new_line)
    content = b"".join(parts)
    if len(content) > len(data):
        raise EditError(f"{name}: the environment block has no room for this value "
                        f"({len(content)} bytes needed, {len(data)} available)", path=path)
    assert pad_start <= len(data)
    return content + b"#" * (len(data) - len(content))
