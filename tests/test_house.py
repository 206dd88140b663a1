"""The house plan holds: small modules and functions, a thin common.smk, no import circle.

These are the structural targets of issue 18, checked on the source itself so a
change that breaks one fails here with the place named.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO, workflow_rules

PACKAGE = REPO / "workflow" / "parbench"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_COMMON_SMK_LINES = 100


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_module_over_400_lines():
    long = {module_name(p): n for p in modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_over_60_lines():
    long = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{module_name(path)}.{node.name} ({length} lines)")
    assert long == []


def test_common_smk_only_loads_and_validates():
    common = REPO / "workflow" / "rules" / "common.smk"
    text = common.read_text()
    assert len(text.splitlines()) <= MAX_COMMON_SMK_LINES
    assert "os._exit" not in text and "subprocess" not in text


def imports_of(path: Path) -> set[str]:
    """The package modules a module imports, at any level (a function-level import still makes a circle)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                found |= {target} | {f"{target}.{alias.name}" for alias in node.names}
            elif node.module and node.module.startswith("parbench"):
                found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("parbench")}
    return found


def test_no_import_circle():
    names = {module_name(p): p for p in modules()}
    graph = {name: {i for i in imports_of(path) if i in names and i != name} for name, path in names.items()}
    # A package's __init__ re-exporting its own modules is no circle through them.
    graph = {
        n: {i for i in deps if not (n.startswith(i + ".") and names[i].name == "__init__.py")}
        for n, deps in graph.items()
    }
    circles = []

    def visit(node: str, path: list[str], seen: set[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                circles.append(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif nxt not in seen:
                seen.add(nxt)
                visit(nxt, path + [nxt], seen)

    for start in sorted(graph):
        visit(start, [start], {start})
    assert circles == []


def test_run_blocks_run_in_snakemakes_own_process():
    """A `run:` job otherwise starts a second snakemake that parses the whole workflow again (3 s, or 13 s)."""
    import yaml

    profile = yaml.safe_load((REPO / "profiles/default/config.yaml").read_text())
    assert profile.get("force-use-threads") is True
    rules = workflow_rules()
    assert "Snakefile:all" in rules and "measure.smk:measure" in rules  # the reading found them
    run_rules = [name for name, body in rules.items() if "run:" in body]
    shadowed = [name for name, body in rules.items() if any(line.startswith("shadow:") for line in body)]
    # The blocks it covers stay small: they run inside the process that schedules everything else.
    assert sorted(run_rules) == [
        "measure.smk:experiment_files",
        "measure.smk:node_experiment",
        "measure.smk:session_budget",
        "measure.smk:session_settings",
    ]
    # A shadow rule in a thread would change the whole process's working directory.
    assert shadowed == []
