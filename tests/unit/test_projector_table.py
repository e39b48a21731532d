"""The projector table: every kind the services write has a decision in it, and projectors never reach the services.

The kinds are read from the services' source (every ``NewEntry(...)`` call and the constants it names), so a use
case that starts writing a new kind fails here until the table says what that kind projects to, if anything.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from creditbank.projectors import PROJECTORS
from ledger.entry import KIND

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "creditbank" / "services"
PROJECTORS_DIR = ROOT / "creditbank" / "projectors"


def _string(value: object) -> str:
    assert isinstance(value, str), value
    return value


def _kinds_in(node: ast.expr, module: object, function: ast.AST) -> set[str]:
    """The kinds an entry's first argument can be: a literal, a module constant, or (``kinds[change]``) any kind
    literal in the enclosing function."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name):
        return {_string(getattr(module, node.id))}
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return {_string(getattr(getattr(module, node.value.id), node.attr))}
    found = {
        child.value
        for child in ast.walk(function)
        if isinstance(child, ast.Constant) and isinstance(child.value, str) and KIND.fullmatch(child.value)
    }
    assert found, f"cannot tell which kinds {ast.unparse(node)} writes"
    return found


def written_kinds() -> dict[str, set[str]]:
    """Kind -> the service modules that write it."""
    kinds: dict[str, set[str]] = {}
    for path in sorted(SERVICES.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
        for function in functions:
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                callee = call.func
                named = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", None)
                if named != "NewEntry":
                    continue
                module = importlib.import_module(name)
                for kind in _kinds_in(call.args[0], module, function):
                    kinds.setdefault(kind, set()).add(name)
    return kinds


def test_the_services_write_the_kinds_we_know_of() -> None:
    kinds = written_kinds()
    # A floor, so a reader that stopped finding calls cannot pass the test below by finding nothing.
    assert {"achievement.recorded", "credits.converted", "credential.suspended", "key.rotated"} <= set(kinds)
    assert len(kinds) >= 20


def test_every_kind_the_services_write_has_a_decision_in_the_table() -> None:
    missing = {kind: sorted(modules) for kind, modules in written_kinds().items() if kind not in PROJECTORS}
    assert not missing, (
        f"add these kinds to creditbank.projectors.PROJECTORS (None if nothing projects them): {missing}"
    )


def test_the_table_names_only_kinds_that_are_written() -> None:
    assert set(PROJECTORS) <= set(written_kinds())


def test_projectors_live_in_the_projectors_package() -> None:
    for kind, function in PROJECTORS.items():
        if function is not None:
            assert function.__module__.startswith("creditbank.projectors."), (kind, function.__module__)
            assert list(inspect.signature(function).parameters) == ["session", "entries"], kind


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            names.add(node.module or "")
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_projectors_import_models_and_pure_helpers_never_services() -> None:
    paths = sorted(PROJECTORS_DIR.glob("*.py"))
    assert len(paths) > 5
    for path in paths:
        first_party = {name for name in _imports(path) if name.split(".")[0] in {"creditbank", "api", "certificates"}}
        services = {name for name in first_party if name.startswith(("creditbank.services", "api"))}
        assert not services, f"{path.name} imports {sorted(services)}"
        for name in first_party:
            # The pure credit core counts amounts the same way for the projectors and the use cases.
            pure = ("creditbank.models", "creditbank.projectors", "creditbank.credits", "creditbank.actors")
            assert name.startswith(pure), f"{path.name} imports {name}"
