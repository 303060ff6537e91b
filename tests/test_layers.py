"""The package layers, written down once and checked: what may import what, no import cycles, and training
that never loads FAISS or web code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

# Each room of the tree and the rooms it may import (besides itself). Lower layers come first; a room never
# reaches up. `qa.<module>` names the modules directly in qa/.
MAY_IMPORT = {
    "qa.errors": set(),
    "qa.settings": set(),
    "qa.types": set(),
    "qa.text": {"qa.types"},
    "qa.models": {"qa.errors", "qa.settings", "qa.text"},
    "qa.store": {"qa.errors", "qa.types", "qa.text"},
    "qa.search": {"qa.types", "qa.store"},
    "qa.ingest": {"qa.errors", "qa.settings", "qa.types", "qa.text", "qa.models", "qa.store"},
    "qa.conversation": {"qa.errors", "qa.text", "qa.ingest"},
    "qa.answering": {"qa.errors", "qa.settings", "qa.types", "qa.text", "qa.models", "qa.store", "qa.search"},
    "qa.feedback": {"qa.errors", "qa.store", "qa.conversation"},
    "qa.training": {"qa.errors", "qa.settings", "qa.text", "qa.models"},
    "qa.service": {
        "qa.errors", "qa.settings", "qa.types", "qa.models", "qa.store", "qa.search", "qa.ingest",
        "qa.answering", "qa.conversation", "qa.feedback",
    },
    "qa.payload": {"qa.types"},
    "qa.evaluation": {"qa.types", "qa.text", "qa.models", "qa.store", "qa.ingest", "qa.service", "qa.payload"},
    "qa.cli": {"qa", "qa.settings", "qa.errors", "qa.service", "qa.payload", "qa.evaluation", "qa.training"},
    "qa.__main__": {"qa.cli"},
    "qa": {"qa.service", "qa.errors", "qa.settings"},
    "web": {"qa", "qa.settings", "qa.errors", "qa.types", "qa.service", "qa.payload", "qa.ingest", "qa.cli"},
}  # fmt: skip
NEVER_IN_TRAINING = ("faiss", "litestar", "web", "qa.store", "qa.service")


def room(module: str) -> str:
    """The room a module belongs to: its subpackage, or itself for a module directly in qa/."""
    parts = module.split(".")
    return module if parts[0] == "web" and len(parts) == 1 else ".".join(parts[:2]) if parts[0] == "qa" else "web"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted([*ROOT.glob("qa/**/*.py"), *ROOT.glob("web/*.py")]):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(module: str, path: Path) -> set[str]:
    """The project modules `module` imports, at the top or inside functions (not under TYPE_CHECKING)."""
    out: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):  # imports for type checkers only are not imports
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = [ast.Pass()]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per dot after the first
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *filter(None, [base])])
            out |= {f"{base}.{a.name}" for a in node.names} | {base}
    known = modules()
    return {m for m in out if m in known and m != module}


def test_every_room_imports_only_what_the_layers_allow():
    wrong = []
    for module, path in modules().items():
        own = room(module)
        assert own in MAY_IMPORT, f"{module} belongs to no layer in MAY_IMPORT"
        for target in imports(module, path):
            if room(target) != own and room(target) not in MAY_IMPORT[own]:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    graph = {m: imports(m, p) for m, p in modules().items()}
    done: set[str] = set()

    def visit(m: str, path: list[str]) -> None:
        if m in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(m) :], m]))
        if m not in done:
            for n in sorted(graph[m]):
                visit(n, [*path, m])
            done.add(m)

    for m in graph:
        visit(m, [])


def test_training_loads_neither_faiss_nor_the_index_nor_web_code():
    never = NEVER_IN_TRAINING
    code = (
        "import sys, qa.training.trainer, qa.training.scores, qa.training.distillation;"
        f"print([m for m in sys.modules if m.split('.')[0] in {never!r} or m.startswith({never!r})])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
