"""The package's layers stay in order: a stage imports only stages below it,
nothing imports the CLI, and there are no import cycles between modules."""

import ast
from collections import defaultdict

from conftest import ROOT

# bottom to top; stages on one line may not import each other
LAYERS = [
    {"(root)", "errors", "files"},
    {"load"},
    {"eql", "kql"},
    {"lint", "translate"},
    {"emit"},
    {"convert"},
    {"execute"},
    {"report"},
    {"cli"},
    {"__main__"},
]
RANK = {stage: i for i, layer in enumerate(LAYERS) for stage in layer}


def module_imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in (ROOT / "converters").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            graph[module].update(n for n in names if n == "converters" or n.startswith("converters."))
    return graph


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(root)"


def test_every_stage_has_a_layer():
    stages = {stage(m) for m in module_imports()}
    assert stages <= set(RANK), stages - set(RANK)


def test_stages_import_only_lower_layers():
    wrong = []
    for module, imports in module_imports().items():
        for imported in imports:
            if stage(imported) != stage(module) and RANK[stage(imported)] >= RANK[stage(module)]:
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_no_import_cycles_between_modules():
    graph = module_imports()
    known = set(graph)

    def resolve(name):  # `from converters.x import y` may name a module or a package
        return name if name in known else None

    edges = {m: {r for r in map(resolve, deps) if r and r != m} for m, deps in graph.items()}
    # a package importing its own submodules (re-exports) is not a cycle of logic
    edges = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in edges.items()}
    visiting, done, cycles = set(), set(), []

    def visit(node, path):
        if node in done:
            return
        if node in visiting:
            cycles.append(path[path.index(node):] + [node])
            return
        visiting.add(node)
        for nxt in sorted(edges.get(node, ())):
            visit(nxt, path + [node])
        visiting.discard(node)
        done.add(node)

    for module in sorted(edges):
        visit(module, [])
    assert cycles == []
