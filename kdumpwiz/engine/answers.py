"""Everything the administrator decides, as one validated dataclass.

Loaded from and saved to YAML (``--answers FILE``; the wizard's Review step
saves the same form). Validation happens here, before any plan exists, so a bad
answer can never reach a file or a command line: every value that ends up in a
config file or an argv is checked against a strict pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import yaml

from .crashkernel import normalize_spec
from .errors import AnswersError

TARGET_TYPES = ("local", "ssh", "nfs", "raw")
COMPRESSIONS = ("default", "none", "zlib", "lzo", "snappy", "zstd")
#: An answers file is a few lines; anything this big is a mistake or an attack.
MAX_ANSWERS_BYTES = 64 * 1024

_PATH_RE = re.compile(r"^/[A-Za-z0-9._/+@-]*$")
_USER_HOST_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$|"
                           r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}@\[[0-9A-Fa-f:.]+\]$")
_NFS_RE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]+\]):/[A-Za-z0-9._/+-]*$")
_DEVICE_RE = re.compile(r"^(?:/dev/[A-Za-z0-9._/+-]+|(?:UUID|LABEL|PARTUUID)=[A-Za-z0-9._-]+)$")
_CMDLINE_WORD_RE = re.compile(r"^[A-Za-z0-9_.,:=/+@-]+$")
_FORBIDDEN_TREES = ("/proc", "/sys", "/dev", "/run", "/boot", "/etc", "/usr", "/bin", "/sbin", "/lib")


def check_dump_path(path: Any, what: str = "target.path") -> str:
    """A safe absolute dump directory, or :class:`AnswersError` saying why not."""
    if not isinstance(path, str) or not path:
        raise AnswersError(f"{what}: must be a non-empty string, got {path!r}")
    if "\n" in path or "\0" in path:
        raise AnswersError(f"{what}: must not contain a newline or NUL byte")
    if not path.startswith("/"):
        raise AnswersError(f"{what}: {path!r} must be an absolute path")
    if not _PATH_RE.match(path):
        raise AnswersError(
            f"{what}: {path!r} has characters kdumpwiz does not put into config files "
            "(allowed: letters, digits, . _ / + @ -)"
        )
    parts = path.split("/")
    if ".." in parts or "." in parts:
        raise AnswersError(f"{what}: {path!r} must not contain '.' or '..' components")
    norm = "/" + "/".join(p for p in parts if p)
    if norm == "/":
        raise AnswersError(f"{what}: the dump directory cannot be / itself")
    for tree in _FORBIDDEN_TREES:
        if norm == tree or norm.startswith(tree + "/"):
            raise AnswersError(f"{what}: {path!r} is inside {tree}, which is not a place for crash dumps")
    return norm


@dataclass
class Target:
    """Where the capture kernel writes the dump."""

    type: str = "local"
    path: str = "/var/crash"           # local dir, or the directory on the ssh/nfs server
    host: Optional[str] = None         # ssh: user@host; nfs: server:/export
    key: Optional[str] = None          # ssh: private key path (never read, never printed)
    device: Optional[str] = None       # raw: block device

    def validate(self) -> "Target":
        """Check every field; returns self for chaining."""
        if self.type not in TARGET_TYPES:
            raise AnswersError(f"target.type: {self.type!r} is not one of {', '.join(TARGET_TYPES)}")
        if self.type == "raw":
            self.path = "/var/crash"
        elif self.type == "local":
            self.path = check_dump_path(self.path)
        else:
            # Remote paths are relative to the server but must still be safe words.
            self.path = check_dump_path(self.path.replace("//", "/") if isinstance(self.path, str) else self.path)
        if self.type in ("ssh", "nfs") and (self.host is None or (isinstance(self.host, str) and not self.host.strip())):
            example = "user@host, e.g. kdump@backup.example.com" if self.type == "ssh" else \
                "server:/export, e.g. nfs.example.com:/srv/crash"
            raise AnswersError(f"target.host: an {self.type.upper()} target needs {example}")
        if self.type == "ssh":
            if not isinstance(self.host, str) or not _USER_HOST_RE.match(self.host):
                raise AnswersError(
                    f"target.host: {self.host!r} is not user@host (letters, digits, . _ -; no leading '-', "
                    "no spaces or options)"
                )
            if self.key is not None:
                self.key = check_key_path(self.key)
        elif self.type == "nfs":
            if not isinstance(self.host, str) or not _NFS_RE.match(self.host):
                raise AnswersError(f"target.host: {self.host!r} is not server:/export (no spaces or shell characters)")
        elif self.type == "raw":
            if not isinstance(self.device, str) or not _DEVICE_RE.match(self.device):
                raise AnswersError(f"target.device: {self.device!r} is not a /dev path, UUID= or LABEL=")
        for name, value in (("host", self.host), ("key", self.key), ("device", self.device)):
            if value is not None and (self.type, name) not in (("ssh", "host"), ("ssh", "key"), ("nfs", "host"), ("raw", "device")):
                raise AnswersError(f"target.{name}: not used with target type {self.type!r}")
        return self


def check_key_path(key: Any) -> str:
    """An SSH private key path: absolute and safe. The key itself is never read."""
    if not isinstance(key, str) or not key.startswith("/") or not _PATH_RE.match(key) or ".." in key.split("/"):
        raise AnswersError(f"target.key: {key!r} must be an absolute path of letters, digits, . _ / + @ -")
    return key


@dataclass
class Answers:
    """The administrator's decisions. ``crashkernel='auto'`` means "use the suggestion"."""

    crashkernel: str = "auto"
    target: Target = field(default_factory=Target)
    dump_level: int = 31
    compression: str = "default"
    extra_args: str = ""               # extra capture-kernel arguments
    enable_service: bool = True
    #: Write a crashkernel= too small to even load the capture kernel (a test meant to fail).
    force_crashkernel: bool = False
    #: How many dumps the kdump service keeps before it removes the oldest (0: all); None leaves
    #: the family's setting alone (kdump-tools KDUMP_NUM_DUMPS, SUSE KDUMP_KEEP_OLD_DUMPS).
    keep_dumps: Optional[int] = None
    #: What the capture kernel does when saving the dump fails: ``default`` leaves the family's
    #: setting, else reboot / poweroff / halt / shell (RHEL failure_action, Debian KDUMP_FAIL_CMD).
    failure_action: str = "default"

    def validate(self) -> "Answers":
        """Check every field; returns self."""
        if not isinstance(self.crashkernel, str) or not self.crashkernel.strip():
            raise AnswersError(f"crashkernel: must be a size like 256M, a range list, or 'auto'; got {self.crashkernel!r}")
        self.crashkernel = normalize_spec(self.crashkernel)
        words = self.crashkernel.split(" ")
        if "\0" in self.crashkernel or (len(words) > 1 and not all(w.endswith((",low", ",high")) for w in words)):
            raise AnswersError(f"crashkernel: {self.crashkernel!r} must be a single value without spaces "
                               "(or a ',low' and ',high' pair such as '72M,low 240M,high')")
        if isinstance(self.dump_level, bool) or not isinstance(self.dump_level, int) or not 0 <= self.dump_level <= 31:
            raise AnswersError(f"dump_level: must be an integer from 0 to 31, got {self.dump_level!r}")
        if self.compression not in COMPRESSIONS:
            raise AnswersError(f"compression: {self.compression!r} is not one of {', '.join(COMPRESSIONS)}")
        if not isinstance(self.extra_args, str):
            raise AnswersError(f"extra_args: must be a string, got {self.extra_args!r}")
        for word in self.extra_args.split():
            if not _CMDLINE_WORD_RE.match(word) or word.startswith("crashkernel"):
                raise AnswersError(f"extra_args: {word!r} is not a plain kernel parameter")
        if not isinstance(self.enable_service, bool):
            raise AnswersError(f"enable_service: must be true or false, got {self.enable_service!r}")
        if not isinstance(self.force_crashkernel, bool):
            raise AnswersError(f"force_crashkernel: must be true or false, got {self.force_crashkernel!r}")
        if self.keep_dumps is not None and (isinstance(self.keep_dumps, bool) or not isinstance(self.keep_dumps, int)
                                            or not 0 <= self.keep_dumps <= 1000):
            raise AnswersError(f"keep_dumps: must be a number of dumps from 0 (keep all) to 1000, got {self.keep_dumps!r}")
        if self.failure_action not in FAILURE_ACTIONS:
            raise AnswersError(f"failure_action: {self.failure_action!r} is not one of {', '.join(FAILURE_ACTIONS)}")
        if not isinstance(self.target, Target):
            raise AnswersError("target: must be a mapping")
        self.target.validate()
        return self

    def to_dict(self) -> Dict[str, Any]:
        """The YAML/JSON form (only the fields that apply to the target type)."""
        target: Dict[str, Any] = {"type": self.target.type}
        if self.target.type != "raw":
            target["path"] = self.target.path
        if self.target.host is not None:
            target["host"] = self.target.host
        if self.target.key is not None:
            target["key"] = self.target.key
        if self.target.device is not None:
            target["device"] = self.target.device
        return {
            "crashkernel": self.crashkernel,
            "target": target,
            "dump_level": self.dump_level,
            "compression": self.compression,
            "extra_args": self.extra_args,
            "enable_service": self.enable_service,
            **({"force_crashkernel": True} if self.force_crashkernel else {}),
            **({"keep_dumps": self.keep_dumps} if self.keep_dumps is not None else {}),
            **({"failure_action": self.failure_action} if self.failure_action != "default" else {}),
        }

    def to_yaml(self) -> str:
        """YAML text that :func:`load_answers_text` reads back to an equal object."""
        return "# kdumpwiz answers\n" + yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=False)


_TOP_KEYS = {"crashkernel", "target", "dump_level", "compression", "extra_args", "enable_service",
             "force_crashkernel", "keep_dumps", "failure_action"}
#: What the capture kernel may do when the dump cannot be saved ("default": the family's own choice).
FAILURE_ACTIONS = ("default", "reboot", "poweroff", "halt", "shell")
_TARGET_KEYS = {"type", "path", "host", "key", "device"}


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that rejects anchors/aliases: they serve no answers file and enable 'billion laughs'."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise AnswersError(f"line {event.start_mark.line + 1}: YAML aliases (*name) are not allowed in answers files")
        event = self.peek_event()
        if getattr(event, "anchor", None):
            # Composed nodes do not keep their anchor, so look at the event.
            raise AnswersError(f"line {event.start_mark.line + 1}: YAML anchors and aliases (&name, *name) are not allowed in answers files")
        node = super().compose_node(parent, index)
        if node is not None and getattr(node, "anchor", None):
            raise AnswersError("YAML anchors and aliases (&name, *name) are not allowed in answers files")
        return node

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        # PyYAML keeps the last of two equal keys silently; in an answers file that hides a decision.
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise AnswersError(f"line {key_node.start_mark.line + 1}: key {key!r} appears twice "
                                   f"(first on line {seen[key]}); kdumpwiz will not guess which one you meant")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def answers_from_dict(data: Any, source: str = "answers") -> Answers:
    """Build and validate :class:`Answers` from parsed YAML/JSON data."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise AnswersError(f"{source}: the top level must be a mapping, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in _TOP_KEYS)
    if unknown:
        raise AnswersError(f"{source}: unknown key(s): {', '.join(unknown)} (known: {', '.join(sorted(_TOP_KEYS))})")
    target_data = data.get("target", {}) or {}
    if not isinstance(target_data, dict):
        raise AnswersError(f"{source}: target must be a mapping like {{type: local, path: /var/crash}}")
    unknown = sorted(str(k) for k in target_data if k not in _TARGET_KEYS)
    if unknown:
        raise AnswersError(f"{source}: unknown target key(s): {', '.join(unknown)} (known: {', '.join(sorted(_TARGET_KEYS))})")
    for key in ("type", "path", "host", "key", "device"):
        if key in target_data and target_data[key] is not None and not isinstance(target_data[key], str):
            raise AnswersError(f"{source}: target.{key} must be a string, got {target_data[key]!r}")
    crash = data.get("crashkernel", "auto")
    if isinstance(crash, bool) or not isinstance(crash, (str, int)):
        raise AnswersError(f"{source}: crashkernel must be a string like 256M or auto, got {crash!r}")
    if isinstance(crash, int):
        raise AnswersError(f"{source}: crashkernel {crash!r} has no unit; write it as e.g. {crash}M")
    answers = Answers(
        crashkernel=crash,
        target=Target(
            type=target_data.get("type", "local"),
            path=target_data.get("path", "/var/crash"),
            host=target_data.get("host"),
            key=target_data.get("key"),
            device=target_data.get("device"),
        ),
        dump_level=data.get("dump_level", 31),
        compression=data.get("compression", "default"),
        extra_args=data.get("extra_args", "") if data.get("extra_args") is not None else "",
        enable_service=data.get("enable_service", True),
        force_crashkernel=data.get("force_crashkernel", False),
        keep_dumps=data.get("keep_dumps"),
        failure_action=data.get("failure_action", "default"),
    )
    try:
        return answers.validate()
    except AnswersError as exc:
        raise AnswersError(f"{source}: {exc.message}") from None


def load_answers_text(text: "str | bytes", source: str = "answers") -> Answers:
    """Parse YAML answers text safely (size-limited, UTF-8 only, no aliases)."""
    if isinstance(text, bytes):
        if len(text) > MAX_ANSWERS_BYTES:
            raise AnswersError(f"{source}: {len(text)} bytes is too large for an answers file (limit {MAX_ANSWERS_BYTES})")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AnswersError(f"{source}: not UTF-8 text (byte {exc.start})") from None
    if len(text.encode("utf-8")) > MAX_ANSWERS_BYTES:
        raise AnswersError(f"{source}: too large for an answers file (limit {MAX_ANSWERS_BYTES} bytes)")
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except AnswersError as exc:
        raise AnswersError(f"{source}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise AnswersError(f"{source}:{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if data is None:
        # An empty (or comments-only) file is far more often a truncated copy or a wrong path
        # than a wish for every default; applying it would configure a machine nobody decided on.
        raise AnswersError(f"{source}: the answers file is empty; write at least 'crashkernel: auto' "
                           "to take every default")
    return answers_from_dict(data, source)


def load_answers(path: str) -> Answers:
    """Read an answers file from the *caller's* filesystem (not the host root)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_ANSWERS_BYTES + 1)
    except OSError as exc:
        raise AnswersError(f"{path}: cannot read answers file: {exc.strerror}") from None
    return load_answers_text(data, path)
