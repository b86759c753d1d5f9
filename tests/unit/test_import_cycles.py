"""No import cycles inside reports/ and client/, and the dependency between them runs one way:
reports may import client, client never imports reports.

Every module is parsed with ``ast`` (nothing is imported), and every import statement counts:
top-level ones, those under ``if TYPE_CHECKING:`` and those inside functions (lazy imports), so
a cycle cannot hide behind a local import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("reports", "client")

Graph = dict[str, set[str]]


def module_names(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file under the given packages."""
    names = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            names[".".join(parts)] = path
    return names


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def imported(name: str, tree: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that module ``name`` imports, anywhere in its body."""
    package = name if _is_package(name, modules) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            # ``from a import b``: the submodule a.b if there is one, else a name from a.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # ``import a.b.c`` of a name: a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path, packages: Iterable[str]) -> Graph:
    modules = module_names(root, packages)
    return {name: imported(name, ast.parse(path.read_text(encoding="utf-8"), str(path)), modules)
            for name, path in modules.items()}


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _path(graph: Graph, component: list[str]) -> str:
    """One cycle through ``component``, for the failure message: a -> b -> a."""
    members = set(component)
    start = component[0]
    trail, node = [start], start
    while True:
        node = sorted(n for n in graph[node] if n in members)[0]
        if node in trail:
            return " -> ".join([*trail[trail.index(node):], node])
        trail.append(node)


def test_there_are_no_import_cycles_in_reports_and_client():
    graph = import_graph(ROOT, PACKAGES)
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_path(graph, c) for c in found)


def test_client_never_imports_reports():
    graph = import_graph(ROOT, PACKAGES)
    wrong = sorted(f"{m} -> {t}" for m, targets in graph.items() if m.split(".")[0] == "client"
                   for t in targets if t.split(".")[0] == "reports")
    assert not wrong, "client must not depend on reports:\n" + "\n".join(wrong)


def test_the_report_pipeline_runs_one_way():
    """load -> analyse -> render: the analysis never imports a renderer, renderers never import
    the analysis modules that compute (only the ``Analysis`` they are given, for its type)."""
    graph = import_graph(ROOT, ["reports"])

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    renderers = {"reports.rendering.markdown", "reports.rendering.html",
    "reports.rendering.figures", "reports.rendering.paper2_export",
                 "reports.rendering.compare_report", "reports.rendering.sections",
                 "reports.rendering.table_text"}
    computing = {f"reports.analysis.{name}" for name in (
        "repetitions", "summary_table", "findings", "papers", "pairs", "figure_series",
        "statistics", "verdicts")}
    assert not reachable("reports.analysis.analyse") & renderers
    assert not reachable("reports.analysis.run_comparison") & renderers
    for renderer in sorted(renderers):
        direct = graph[renderer]
        assert not direct & computing, f"{renderer} imports {sorted(direct & computing)}"


def test_the_graph_sees_type_checking_and_function_level_imports(tmp_path: Path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\n"
                              "if TYPE_CHECKING:\n    from pkg.b import B\n")
    (pkg / "b.py").write_text("def f():\n    from . import c\n")
    (pkg / "c.py").write_text("import pkg.a as a\nimport os\n")
    (pkg / "d.py").write_text("from pkg import a\nfrom .c import name\n")
    graph = import_graph(tmp_path, ["pkg"])
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.c"] == {"pkg.a"}
    assert graph["pkg.d"] == {"pkg.a", "pkg.c"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
    assert _path(graph, ["pkg.a", "pkg.b", "pkg.c"]) == "pkg.a -> pkg.b -> pkg.c -> pkg.a"
