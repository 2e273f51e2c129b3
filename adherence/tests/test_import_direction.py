"""Imports run one way (README, "How it fits together"): a lower app never imports a higher one.

Every .py file of the project's apps, apart from tests and migrations, is parsed with `ast`; every
import in it, at any depth (inside functions and classes too), absolute or relative, is checked
against LAYERS. A failure names the file, the line and the two apps. Imports across apps inside a
function are refused as well, even downward (AppConfig.ready excepted, where Django wants them):
an import hidden in a function is how a cycle is dodged instead of cut.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A module belongs to the longest name here that it starts with: the project
# package `adherence` is foundation (settings helpers, the admin base, forms helpers, middleware,
# the scheduler registry, logging) that any app may use, except its root URLconf, which wires
# every app together and so sits on top.
LAYERS: dict[str, int] = {
    "adherence": 0,
    "accounts": 0,
    "audit": 0,
    "patients": 1,
    "reminders": 2,
    "notifications": 3,
    "api": 4,
    "pages": 4,
    "adherence.urls": 5,
}
LAYER_NAMES = {0: "core", 1: "patients", 2: "reminders", 3: "notifications", 4: "top", 5: "URLconf"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    importer: str
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported}: {self.why}"


def layer_of(module: str) -> str | None:
    """The LAYERS entry a dotted module name belongs to, or None for Django and libraries."""
    matches = [name for name in LAYERS if module == name or module.startswith(name + ".")]
    return max(matches, key=len) if matches else None


def app_of(name: str) -> str:
    return name.split(".")[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    """What an import statement names, as absolute dotted names (`from x import y` names x.y too,
    since y may be a module: `from adherence import urls`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        base = package[: len(package) - (node.level - 1)]
        module = ".".join([*base, node.module] if node.module else base)
    else:
        module = node.module or ""
    return [module, *(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")]


def _imports(tree: ast.AST):
    """Every import with the function it sits in (None at module or class level)."""

    def walk(node: ast.AST, function: ast.FunctionDef | ast.AsyncFunctionDef | None):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, function
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            yield from walk(child, inner)

    yield from walk(tree, None)


def violations_in(source: str, path: str) -> list[Violation]:
    """The wrong-way imports of one file, given as its path from the repository root."""
    file = ROOT / path
    importer = module_name(file)
    importer_layer = layer_of(importer)
    if importer_layer is None:
        return []
    found = []
    for node, function in _imports(ast.parse(source, filename=path)):
        targets = imported_modules(node, importer, is_package=file.name == "__init__.py")
        # `from x import y`: x.y is the finer answer when y is a module; x otherwise.
        layers = {layer for layer in map(layer_of, targets) if layer is not None}
        target_layer = max(layers, key=len) if layers else None
        if target_layer is None or app_of(target_layer) == app_of(importer_layer):
            continue
        if LAYERS[target_layer] > LAYERS[importer_layer]:
            why = (
                f"{LAYER_NAMES[LAYERS[importer_layer]]} (layer {LAYERS[importer_layer]}) may not import "
                f"{LAYER_NAMES[LAYERS[target_layer]]} (layer {LAYERS[target_layer]}): imports run one way"
            )
            found.append(Violation(path, node.lineno, importer_layer, target_layer, why))
        elif function is not None and not (file.name == "apps.py" and function.name == "ready"):
            why = f"imported inside {function.name}(): import it at the top of the module"
            found.append(Violation(path, node.lineno, importer_layer, target_layer, why))
    return found


def project_files() -> list[Path]:
    files = []
    for app in sorted({app_of(name) for name in LAYERS}):
        for file in sorted((ROOT / app).rglob("*.py")):
            parts = file.relative_to(ROOT).parts
            if "tests" not in parts and "migrations" not in parts:
                files.append(file)
    return files


def test_it_finds_no_import_that_runs_the_wrong_way():
    found = [
        str(violation)
        for file in project_files()
        for violation in violations_in(file.read_text(), str(file.relative_to(ROOT)))
    ]
    assert found == [], "\n" + "\n".join(found)


def test_every_app_of_the_project_has_a_layer():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert (packages | apps) - {app_of(name) for name in LAYERS} == set()


# --- The check itself can fail ------------------------------------------------------------------


def test_it_names_the_file_the_line_and_the_two_apps_of_an_upward_import():
    source = '"""Patients."""\n\nfrom notifications import models\n'

    found = violations_in(source, "patients/models.py")

    assert [str(violation) for violation in found] == [
        "patients/models.py:3: patients imports notifications: "
        "patients (layer 1) may not import notifications (layer 3): imports run one way"
    ]


@pytest.mark.parametrize(
    "source",
    [
        "import notifications.selectors\n",
        "from notifications.selectors import unread_count\n",
        "def page():\n    from pages import views\n",
        "class Form:\n    import api.views as views\n",
        "def foundation():\n    from adherence import urls\n",
    ],
    ids=["import-x.y", "from-x-import-y", "inside-a-function", "inside-a-class", "the-urlconf"],
)
def test_it_catches_an_upward_import_in_every_form(source):
    assert len(violations_in(source, "reminders/views.py")) == 1


def test_it_resolves_relative_imports():
    assert violations_in("from ..notifications import selectors\n", "reminders/views.py") != []
    assert violations_in("from . import selectors\n", "reminders/views.py") == []
    assert violations_in("from .channels import push\n", "notifications/__init__.py") == []


def test_it_refuses_a_downward_import_hidden_in_a_function_but_not_in_app_ready():
    hidden = "def view():\n    from patients.models import PatientProfile\n"
    ready = "class RemindersConfig:\n    def ready(self):\n        from patients.services import follow\n"

    assert [violation.why for violation in violations_in(hidden, "reminders/views.py")] == [
        "imported inside view(): import it at the top of the module"
    ]
    assert violations_in(ready, "reminders/apps.py") == []


def test_it_lets_the_urlconf_and_the_top_import_anything_below():
    assert violations_in("from pages import views\nfrom api import urls\n", "adherence/urls.py") == []
    assert violations_in("from notifications.selectors import alerts_panel\n", "pages/views.py") == []
    assert violations_in("from accounts.idle import passive\n", "adherence/context_processors.py") == []


if __name__ == "__main__":
    # Without Django: an upward import that makes a cycle stops Django (and so pytest) from
    # starting at all; `python -m adherence.tests.test_import_direction` still names it.
    import sys

    found = [
        violation
        for file in project_files()
        for violation in violations_in(file.read_text(), str(file.relative_to(ROOT)))
    ]
    print("\n".join(map(str, found)) or "Imports run one way.")
    sys.exit(1 if found else 0)
