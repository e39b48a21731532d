"""The architecture as a property of the import graph: dependencies point one way and nothing imports in a circle.

The graph is read from the source with ``ast`` (every import statement, also those inside functions, since a
function-level import is still a dependency), so the test needs no imports of its own and sees code that never runs
in the suite. An implicit import of a parent package (``import a.b`` runs ``a/__init__``) is not counted: every
module depends on its package that way, and counting it would call every package a cycle with its children.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "certificates", "creditbank", "api")
FRAMEWORKS = ("flask", "werkzeug", "sqlalchemy", "marshmallow", "flask_smorest", "click", "apscheduler")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _sources()


def _resolve(name: str) -> str | None:
    """The first-party module ``name`` refers to: itself, or the nearest enclosing module that exists."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imported_names(module: str, tree: ast.AST) -> Iterator[str]:
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            # `from package import module` depends on that module; on the package only for its other names.
            submodules = [f"{origin}.{alias.name}" for alias in node.names if f"{origin}.{alias.name}" in MODULES]
            if len(submodules) < len(node.names):
                yield origin
            yield from submodules


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """First-party edges, and every top-level distribution each module imports (for the framework rules)."""
    edges: dict[str, set[str]] = {module: set() for module in MODULES}
    external: dict[str, set[str]] = {module: set() for module in MODULES}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in _imported_names(module, tree):
            target = _resolve(name)
            if target is not None:
                if target != module:
                    edges[module].add(target)
            else:
                external[module].add(name.partition(".")[0])
    return edges, external


EDGES, EXTERNAL = _graph()


def _in(module: str, *packages: str) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # Iterative, so a deep chain of imports cannot exhaust the recursion limit.
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return components


def _violations(modules: Iterable[str], allowed: tuple[str, ...]) -> list[str]:
    return [
        f"{module} imports {target}"
        for module in sorted(modules)
        for target in sorted(EDGES[module])
        if not _in(target, *allowed)
    ]


def test_the_graph_is_read_from_every_package() -> None:
    # A guard for the test itself: an empty or partial graph would pass every rule below.
    for package in PACKAGES:
        assert sum(1 for module in MODULES if _in(module, package)) >= 5, package
    assert "ledger.merkle" in EDGES["ledger.subtrees"] or EDGES["ledger.subtrees"], "no edges read"
    assert "cryptography" in EXTERNAL["ledger.note"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_first_party_module_imports_in_a_circle() -> None:
    assert _cycles(EDGES) == []


def test_ledger_imports_nothing_of_the_project() -> None:
    assert _violations((m for m in MODULES if _in(m, "ledger")), ("ledger",)) == []


def test_certificates_import_only_the_ledger() -> None:
    assert _violations((m for m in MODULES if _in(m, "certificates")), ("certificates", "ledger")) == []


def test_the_credit_core_imports_no_framework_and_no_models() -> None:
    core = [m for m in MODULES if _in(m, "creditbank.credits")]
    assert _violations(core, ("creditbank.credits", "ledger")) == []
    frameworks = {f"{m} imports {name}" for m in core for name in EXTERNAL[m] if name in FRAMEWORKS}
    assert frameworks == set()


def test_pure_layers_import_no_framework() -> None:
    pure = [m for m in MODULES if _in(m, "ledger", "certificates")]
    frameworks = {f"{m} imports {name}" for m in pure for name in EXTERNAL[m] if name in FRAMEWORKS}
    assert frameworks == set()


# Besides the services and the errors, a view may use the request plumbing it shares with the web pages: the handle
# to the running bank every service call takes (`current_bank()`), request logs and metrics, and the one reading of
# a verify upload; and the ledger's pure parsers (strict JSON, decimal numbers), so the edge and the core read input
# alike; and the visitor's language and the catalogues of words, which the API docs page shares with the portal.
# Never the models, the database, the ledger store, the projectors, the credit core or the certificates.
API_MAY_IMPORT = (
    "api",
    "creditbank.services",
    "creditbank.errors",
    "creditbank.runtime",
    "creditbank.logs",
    "creditbank.metrics",
    "creditbank.verify_input",
    "creditbank.languages",
    "ledger.strict_json",
    "ledger.numbers",
)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, "api")))
def test_the_api_reaches_the_application_only_through_services_and_errors(module: str) -> None:
    assert _violations([module], API_MAY_IMPORT) == []


def test_the_services_know_nothing_of_the_doors() -> None:
    # A use case is called alike by the API, the pages, the CLI and the scheduler; none of them is imported back.
    services = [m for m in MODULES if _in(m, "creditbank.services")]
    doors = ("api", "creditbank.cli", "creditbank.portal", "creditbank.web", "creditbank.scheduler")
    assert [f"{m} imports {t}" for m in services for t in sorted(EDGES[m]) if _in(t, *doors)] == []
    web = {f"{m} imports {name}" for m in services for name in EXTERNAL[m] if name in ("flask", "werkzeug", "click")}
    assert web == set()
    # Words in a named language, yes; the visitor's language of a web request, no.
    assert [f"{m} imports {t}" for m in services for t in sorted(EDGES[m]) if t == "creditbank.languages.i18n"] == []
