"""The package is layered: a module imports only from layers below its own.

Read top to bottom this is the pipeline: facts; sources and models; desired and observed state and
the plan's shape; what is in force on a server; its managed settings and the simulator; planning,
applying and the targets; one server's run and the reports; commands; the CLI.
A new module must be placed in a layer here, or this test fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler

PACKAGE = Path(reconciler.__file__).parent

LAYERS: list[set[str]] = [
    {"errors", "facts"},
    {"versions", "yamlsource", "jsonmodel", "expressions", "diff", "locking", "fastschema"},
    {"schemas", "desired"},
    {"semantics", "observed"},
    {"statefiles", "rules", "server", "journal", "configexport", "psscript", "plan"},
    {"effective", "live"},
    {"projection", "simulator"},
    {"planner", "executor", "targets", "bootstrap"},
    {"psplan"},
    {"runs"},
    {"fleet"},
    {"reporters"},
    {"commands"},
    {"cli"},
    {"__main__"},
]


def _layer_of(module: str) -> int:
    top = module.split(".", maxsplit=1)[0]
    for index, layer in enumerate(LAYERS):
        if top in layer:
            return index
    raise AssertionError(f"module reconciler.{module} is in no layer of tests/test_layers.py")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "reconciler":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("reconciler."):
                found.add(node.module.removeprefix("reconciler."))
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("reconciler.") for a in node.names if a.name.startswith("reconciler."))
    return found - {"__version__"}


def test_imports_only_point_downward() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        if module == "__init__":
            continue
        own = _layer_of(module)
        for imported in _imports(path):
            if imported.split(".")[0] == module.split(".")[0]:
                continue  # within one subpackage, e.g. commands.*
            assert _layer_of(imported) < own, f"reconciler.{module} imports reconciler.{imported} from above"
