"""The package's layers stay in order: a stage imports only stages below it,
nothing imports the CLI, and there are no import cycles between modules."""

import ast
from collections import defaultdict

from tests.support import ROOT

# bottom to top; stages on one line may not import each other
LAYERS = [
    {"(root)", "errors", "notes"},
    {"files", "batch"},
    {"load"},
    {"engine"},
    {"eql", "kql", "spl", "esql", "kusto", "lucene", "sqlite"},
    {"platforms"},
    {"lint", "translate"},
    {"emit"},
    {"convert"},
    {"prove", "package"},
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


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            yield name


def test_no_hidden_imports():
    """Every edge between modules is a plain import the checks above can see: no import_module,
    __import__ or exec (the EQL parser's find_spec only locates eql's grammar file, importing nothing)."""
    hidden = []
    for path in (ROOT / "converters").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name in _calls(tree):
            if name in ("import_module", "__import__", "exec", "eval", "spec_from_file_location", "exec_module"):
                hidden.append(f"{path.relative_to(ROOT)}: {name}")
    assert hidden == []


def test_hidden_import_would_be_caught(tmp_path):
    tree = ast.parse("import importlib\nmod = importlib.import_module('converters.cli')\n")
    assert "import_module" in set(_calls(tree))


def test_every_package_has_a_layer_and_no_folder_dominates():
    """Each folder of converters/ is a stage or a language with its layer, and none holds more than
    30 % of the package's lines (a sign that it does several jobs)."""
    lines: dict[str, int] = defaultdict(int)
    for path in (ROOT / "converters").rglob("*.py"):
        parts = path.relative_to(ROOT / "converters").parts
        lines[parts[0] if len(parts) > 1 else "(root)"] += len(path.read_text(encoding="utf-8").splitlines())
    assert set(lines) <= set(RANK), set(lines) - set(RANK)
    total = sum(lines.values())
    assert max(lines.values()) / total <= 0.30, {k: round(v / total, 2) for k, v in lines.items()}


def test_the_target_list_is_declared_once():
    """Only converters/emit/targets.py names every target; the other stages read its records."""
    names = ("splunk-cim", "kusto-defender", "kusto-sentinel", "kibana-kql")
    declaring = []
    for path in (ROOT / "converters").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if all(f'"{n}"' in text for n in names):
            declaring.append(str(path.relative_to(ROOT)))
    assert declaring == ["converters/emit/targets.py"]
