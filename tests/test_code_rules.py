"""Invariants of the code itself: the engine has no UI imports, nothing uses a shell,
nothing outside the Host opens absolute paths or spawns processes, and the code
stays Python 3.9 compatible."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import kdumpwiz.engine

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kdumpwiz"
ENGINE = PACKAGE / "engine"


def engine_modules() -> list:
    """Every module of kdumpwiz.engine, by dotted name."""
    names = ["kdumpwiz.engine"]
    for info in pkgutil.walk_packages(kdumpwiz.engine.__path__, "kdumpwiz.engine."):
        names.append(info.name)
    return names


def fresh_python(code: str) -> str:
    """stdout of ``code`` in a new interpreter at the repository root (what a module import really pulls in)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout


def test_engine_never_imports_textual_or_rich() -> None:
    """Import every engine module in a fresh interpreter and look at sys.modules."""
    modules = engine_modules()
    assert len(modules) > 10, modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = fresh_python(code)
    assert out.strip() == "", f"engine pulled in UI modules: {out}"


def test_cli_non_wizard_commands_do_not_import_textual() -> None:
    """Scripted runs (detect/plan/...) must not pay for, or depend on, textual."""
    code = (
        "import sys\n"
        "from kdumpwiz import cli\n"
        "cli.main(['crashkernel', 'explain', '256M', '--ram', '8G'])\n"
        "print('TEXTUAL' if any(m.startswith('textual') for m in sys.modules) else 'clean')\n"
    )
    assert fresh_python(code).strip().endswith("clean")


def test_the_app_draws_before_the_engine_is_imported() -> None:
    """The app, its messages and its starting screen import nothing of the engine: the first frame
    is drawn while a worker imports it and detects the machine (kdumpwiz/app.py, bench/speed)."""
    code = (
        "import sys\n"
        "import kdumpwiz.app, kdumpwiz.messages, kdumpwiz.screens.starting, kdumpwiz.cli\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(('kdumpwiz.engine.', 'kdumpwiz.state', "
        "'kdumpwiz.demo', 'yaml')) and m != 'kdumpwiz.engine.errors')))\n"
    )
    out = fresh_python(code)
    assert out.strip() == "", f"imported before the first frame: {out}"


def _py_files(base: Path) -> list:
    return sorted(p for p in base.rglob("*.py"))


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


#: Functions that start a program from their first argument (or ``args=``): a string there
#: is a command line for a shell (or a program name with the arguments glued on).
SPAWNERS = {
    ("subprocess", "run"), ("subprocess", "Popen"), ("subprocess", "call"),
    ("subprocess", "check_call"), ("subprocess", "check_output"),
}
#: The engine's own door to processes: Host.run(argv) and its runner.
HOST_SPAWNERS = {"run", "run_streaming"}


def _is_string_expr(node: ast.AST) -> bool:
    """A literal string, an f-string, a ``%``/``+`` of strings or a ``"...".format()``/``join``."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _is_string_expr(node.left) or _is_string_expr(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and _is_string_expr(node.func.value)
    return False


def shell_violations(source: str) -> list:
    """Lines of ``source`` that run a shell or hand a string command to a process spawner."""
    bad = []
    for call in _calls(ast.parse(source)):
        for kw in call.keywords:
            if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                bad.append((call.lineno, "shell="))
        func = call.func
        if not isinstance(func, ast.Attribute):
            continue
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        if (owner, func.attr) in {("os", "system"), ("os", "popen")}:
            bad.append((call.lineno, f"os.{func.attr}"))
        spawner = (owner, func.attr) in SPAWNERS or (owner != "subprocess" and func.attr in HOST_SPAWNERS)
        if not spawner:
            continue
        command = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("args", "argv")), None)
        if command is not None and _is_string_expr(command):
            bad.append((call.lineno, f"string command to {func.attr}"))
    return bad


def test_shell_check_catches_each_form() -> None:
    """The checker below must see every way of handing a shell a command, or it proves nothing."""
    caught = {
        'subprocess.run("kdumpctl restart", check=True)',
        'subprocess.Popen(f"grubby --update-kernel={k}")',
        'subprocess.check_output("kdump-config " + verb)',
        'subprocess.call(args="update-grub")',
        'subprocess.run(["ls"], shell=True)',
        'subprocess.run(argv, shell=flag)',
        'os.system("reboot")',
        'os.popen("dmesg")',
        'host.run("kdumpctl status")',
        'self.host.run(" ".join(argv))',
        'host.run_streaming("apt-get install -y %s" % names)',
    }
    for line in caught:
        assert shell_violations(line), line
    for line in ('subprocess.run(["kdumpctl", "restart"], check=True)', "host.run(argv)",
                 'subprocess.run(list(argv), shell=False)', 'host.run(["update-grub"])'):
        assert not shell_violations(line), line


@pytest.mark.parametrize("path", _py_files(PACKAGE), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_shell(path: Path) -> None:
    """No shell=True, os.system, os.popen or subprocess (or Host.run) with a string command, anywhere."""
    assert shell_violations(path.read_text()) == [], path


#: nfsprobe is a program of its own: Host.run starts it inside a private mount namespace
#: (``unshare --mount``), where its mount and umount must be its own children.
ALLOWED_SUBPROCESS = {ENGINE / "host.py", ENGINE / "nfsprobe.py"}
ALLOWED_ABSOLUTE_OPEN = {ENGINE / "host.py"}


@pytest.mark.parametrize("path", _py_files(ENGINE), ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_io_goes_through_host(path: Path) -> None:
    """Only host.py spawns processes; no engine module opens a literal absolute path."""
    text = path.read_text()
    tree = ast.parse(text, filename=str(path))
    if path not in ALLOWED_SUBPROCESS:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert "subprocess" not in names, f"{path}:{node.lineno} imports subprocess"
    for call in _calls(tree):
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in ("open", "Path", "read_text", "read_bytes") and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                assert not first.value.startswith("/") or path in ALLOWED_ABSOLUTE_OPEN, (
                    f"{path}:{call.lineno} opens the absolute path {first.value!r} outside the Host"
                )


def test_python39_compatible() -> None:
    """vermin: no syntax or stdlib use newer than Python 3.9 (RHEL 9's system Python)."""
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from vermin.main import main; sys.argv[0] = 'vermin'; sys.exit(main())",
         "--no-tips", "--violations", "-t=3.9-", str(PACKAGE)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_pyflakes_clean() -> None:
    """No unused imports, undefined names or dead variables in the package and the tests."""
    out = subprocess.run([sys.executable, "-m", "pyflakes", str(PACKAGE), str(ROOT / "tests"), str(ROOT / "snapshots"),
                          str(ROOT / "tests" / "e2e" / "run")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_type_hints_agree() -> None:
    """mypy over the package: the hints are checked, not decoration (third-party modules without stubs aside)."""
    out = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-error-summary",
                          "--cache-dir", str(ROOT / ".mypy_cache"), str(PACKAGE)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("path", _py_files(PACKAGE), ids=lambda p: str(p.relative_to(ROOT)))
def test_annotations_are_postponed(path: Path) -> None:
    """Modules with annotations postpone them, so ``X | None`` in a hint never runs on Python 3.9."""
    text = path.read_text()
    tree = ast.parse(text)
    annotated = any(
        (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and (n.returns or any(a.annotation for a in n.args.args)))
        or isinstance(n, ast.AnnAssign)
        for n in ast.walk(tree)
    )
    if annotated:
        assert "from __future__ import annotations" in text, f"{path} lacks 'from __future__ import annotations'"


def _engine_import_graph() -> dict:
    """module -> engine modules it imports, counting imports inside functions (a lazy
    import hides a cycle, it does not remove it) but not ``if TYPE_CHECKING:`` blocks."""
    sources = {}
    for path in sorted(ENGINE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        sources[".".join(parts)] = (path, parts if is_pkg else parts[:-1])
    graph: dict = {}
    for name, (path, package) in sources.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(n) for n in ast.walk(node))
        deps = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets = []
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                mod = ".".join(base + (node.module.split(".") if node.module else []))
                targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            deps.update(t for t in targets if t in sources and t != name)
        graph[name] = deps
    return graph


def test_engine_imports_have_no_cycle() -> None:
    """plan, families and sizing once imported each other in a circle; no module may reach itself again."""
    graph = _engine_import_graph()
    assert "kdumpwiz.engine.profiles.redhat" in graph and graph["kdumpwiz.engine.plan"]
    state: dict = {}

    def visit(node: str, stack: list) -> None:
        state[node] = "open"
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                cycle = stack[stack.index(dep):] + [dep] if dep in stack else [node, dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep, stack + [dep])
        state[node] = "done"

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [mod])


@pytest.mark.parametrize("lower, higher", [
    ("kdumpwiz.engine.profiles", ("families", "sizing", "plan", "apply", "verify", "detect")),
    ("kdumpwiz.engine.sizing", ("families", "plan", "apply", "verify", "detect")),
    ("kdumpwiz.engine.families", ("plan", "apply", "verify", "detect")),
    ("kdumpwiz.engine.crashkernel", ("facts", "host", "sizing", "profiles", "families", "plan")),
])
def test_engine_layers(lower: str, higher: tuple) -> None:
    """A family's facts (profiles) sit below sizing, sizing below the family edit logic, that below the plan."""
    graph = _engine_import_graph()
    bad = sorted(f"{mod} imports {dep}" for mod, deps in graph.items()
                 if mod == lower or mod.startswith(lower + ".")
                 for dep in deps if any(dep == f"kdumpwiz.engine.{h}" or dep.startswith(f"kdumpwiz.engine.{h}.")
                                        for h in higher))
    assert not bad, bad


@pytest.mark.parametrize("path", sorted((PACKAGE / "screens").glob("*.py")) + sorted((PACKAGE / "widgets").glob("*.py")),
                         ids=lambda p: p.name)
def test_screens_never_import_the_app(path: Path) -> None:
    """app.py imports every screen; a screen reaches the app through screens.base.Wizard only.

    ``if TYPE_CHECKING:`` imports count too: a circle for the type checker is still a circle.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        mods = []
        if isinstance(node, ast.ImportFrom):
            mods = [("." * node.level) + (node.module or "")] + [f"{'.' * node.level}{node.module or ''}.{a.name}"
                                                                 for a in node.names]
        elif isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        for mod in mods:
            assert mod not in ("..app", "kdumpwiz.app", "...app") and not mod.startswith(("..app.", "kdumpwiz.app.")), (
                f"{path.name} imports the app ({mod}): use screens.base.Wizard")


def test_the_suite_cannot_apply_to_this_machine() -> None:
    """conftest's guard: apply/finish/rollback and changing commands on '/' stop the test."""
    from kdumpwiz.engine.apply import apply_plan, finish, rollback
    from kdumpwiz.engine.host import Host
    from tests.conftest import LiveApplyInTests

    live = Host("/")
    no_plan: Any = None  # the guard stops the call before the plan is looked at
    for call in (lambda: apply_plan(live, no_plan), lambda: finish(live), lambda: rollback(live)):
        with pytest.raises(LiveApplyInTests):
            call()
    for argv in (["update-grub"], ["apt-get", "install", "-y", "kdump-tools"], ["kdumpctl", "restart"],
                 ["systemctl", "enable", "kdump-tools"], ["grubby", "--update-kernel=ALL", "--args=crashkernel=256M"]):
        with pytest.raises(LiveApplyInTests):
            live.run(argv)
