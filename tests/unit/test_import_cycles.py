"""No import cycles inside a package, and the packages depend on each other only as allowed:
runfiles/ (the model of every file a run writes) imports none of the others; client/ (the load
generator on the hosts), controller/ (the run's bookkeeping) and reports/ (the report) import
runfiles/ and nothing else of each other. Inside reports/, the layers
(loading, analysis, rendering, synthetic) import downward only.

Every module is parsed with ``ast`` (nothing is imported), and every import statement counts:
top-level ones, those under ``if TYPE_CHECKING:`` and those inside functions (lazy imports), so
a cycle cannot hide behind a local import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("runfiles", "client", "controller", "reports")
# package -> the other packages it may import (its own modules always).
ALLOWED: dict[str, frozenset[str]] = {
    "runfiles": frozenset(),
    "client": frozenset({"runfiles"}),
    "controller": frozenset({"runfiles"}),
    "reports": frozenset({"runfiles"}),
}

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


def forbidden(graph: Graph, allowed: dict[str, frozenset[str]]) -> list[str]:
    """Every import of a module of another package that ``allowed`` does not list, as
    ``importer -> imported``."""
    return sorted(f"{name} -> {target}" for name, targets in graph.items()
                  for target in targets
                  if (package := name.split(".")[0]) != (other := target.split(".")[0])
                  and other not in allowed[package])


def test_there_are_no_import_cycles_in_any_package():
    graph = import_graph(ROOT, PACKAGES)
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_path(graph, c) for c in found)


def test_the_packages_import_each_other_only_as_allowed():
    graph = import_graph(ROOT, PACKAGES)
    assert all(name.split(".")[0] in ALLOWED for name in graph)
    wrong = forbidden(graph, ALLOWED)
    assert not wrong, ("imports across packages that are not allowed (runfiles imports none of "
                       "the others; client, controller and reports import runfiles only):\n"
                       + "\n".join(wrong))


def test_a_forbidden_import_is_found_wherever_it_hides(tmp_path: Path):
    for package, body in (("low", "import os\n"),
                          ("high", "from low import x\n"),
                          ("side", "def f():\n    from high import y\n"),
                          ("base", "from typing import TYPE_CHECKING\n"
                                   "if TYPE_CHECKING:\n    import side.mod\n")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "mod.py").write_text(body)
    graph = import_graph(tmp_path, ["low", "high", "side", "base"])
    allowed = {"low": frozenset(), "high": frozenset({"low"}), "side": frozenset({"low"}),
               "base": frozenset()}
    assert forbidden(graph, allowed) == ["base.mod -> side.mod", "side.mod -> high"]
    assert forbidden(graph, {**allowed, "side": frozenset({"high"}),
                             "base": frozenset({"side"})}) == []


# The layers of reports/, each a package, and the layers below it that it may import; every layer
# may import reports.constants (the constants every layer shares, which import no layer). At the
# top level only the entry points and the pipeline, which no layer imports.
LAYERS_BELOW: dict[str, set[str]] = {
    "loading": set(),
    "analysis": {"loading"},
    "rendering": {"analysis", "loading"},
    "synthetic": {"rendering", "analysis", "loading"},
}
SHARED = "reports.constants"
TOP_LEVEL = {"reports", "reports.__main__", "reports.cli", "reports.build", SHARED}


def _layer(module: str) -> str | None:
    """The layer of a module of reports/ (``reports.analysis.capacity.cells`` -> "analysis");
    None at the top level."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or parts[-1] in LAYERS_BELOW else None


def test_every_module_of_reports_is_in_a_layer_or_an_entry_point():
    graph = import_graph(ROOT, ["reports"])
    stray = sorted(m for m in graph if _layer(m) not in LAYERS_BELOW and m not in TOP_LEVEL)
    assert not stray, "modules outside the layers of reports/:\n" + "\n".join(stray)


def layer_violations(graph: Graph) -> list[str]:
    """The imports of ``graph`` against the layers: a layer imports itself, the layers below it
    and the shared constants, never a layer above it nor an entry point; the shared constants
    import no layer."""
    wrong = []
    for module, targets in sorted(graph.items()):
        layer = _layer(module)
        if layer is None and module != SHARED:
            continue  # the entry points and the pipeline import any layer
        allowed = {layer, *LAYERS_BELOW[layer]} if layer else set()
        wrong += [f"{module} -> {t}" for t in sorted(targets)
                  if t != SHARED and _layer(t) not in allowed]
    return wrong


def test_the_layers_of_reports_import_downward_only():
    """loading <- analysis <- rendering (<- synthetic, which writes runs with any of them)."""
    wrong = layer_violations(import_graph(ROOT, ["reports"]))
    assert not wrong, "imports against the layers of reports/:\n" + "\n".join(wrong)


def test_the_report_pipeline_runs_one_way():
    """load -> analyse -> render: renderers never import the analysis modules that compute, only
    those of the results they are handed (``Analysis``, ``Comparison``), for their types."""
    graph = import_graph(ROOT, ["reports"])
    handed = {"reports.analysis.analyse", "reports.analysis.run_comparison"}
    wrong = sorted(f"{m} -> {t}" for m, targets in graph.items() if _layer(m) == "rendering"
                   for t in targets if _layer(t) == "analysis" and t not in handed)
    assert not wrong, "renderers that compute:\n" + "\n".join(wrong)


def test_the_layer_rule_sees_an_upward_import():
    graph = {"reports.loading.run_folder": {"reports.analysis.ordering", SHARED},
             "reports.analysis.capacity.cells": {"reports.loading.run_folder", "reports.build"},
             "reports.rendering.figures": {"reports.analysis.analyse", "reports.synthetic.runs"},
             SHARED: {"reports.loading.database"},
             "reports.cli": {"reports.synthetic.demo", "reports.build"}}
    assert layer_violations(graph) == [
        "reports.analysis.capacity.cells -> reports.build",
        "reports.constants -> reports.loading.database",
        "reports.loading.run_folder -> reports.analysis.ordering",
        "reports.rendering.figures -> reports.synthetic.runs",
    ]


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
