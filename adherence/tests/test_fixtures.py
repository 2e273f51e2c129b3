"""One fixture style: every fixture name is defined once, so it means the same thing everywhere.

The people (ann, carl, vera, bob, nina, patient, world) and the frozen clock live in the root
conftest.py; an app's conftest.py or a test module adds only fixtures of its own, under names
nobody else uses. Every conftest.py and every module under a tests/ folder is parsed with `ast`;
a function decorated with `pytest.fixture` (or `fixture`, with or without arguments) defines
the fixture of its name (or of its `name=`). A name defined twice fails, naming both places.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_FOLDERS = {".venv", "node_modules", "migrations", ".git"}


def fixture_name(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The fixture a function defines, or None if it is not decorated as one."""
    for decorator in function.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call else decorator
        named = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if named != "fixture":
            continue
        for keyword in call.keywords if call else []:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
        return function.name
    return None


def fixtures_in(source: str) -> list[tuple[str, int]]:
    """(name, line) of every fixture a module defines, at any depth."""
    return [
        (name, node.lineno)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (name := fixture_name(node))
    ]


def defined_twice(modules: dict[str, str]) -> dict[str, list[str]]:
    """Fixture names defined more than once among {path: source}, with every place."""
    places: dict[str, list[str]] = defaultdict(list)
    for path, source in sorted(modules.items()):
        for name, line in fixtures_in(source):
            places[name].append(f"{path}:{line}")
    return {name: where for name, where in places.items() if len(where) > 1}


def modules_of_the_test_suite() -> dict[str, str]:
    """Every conftest.py and every module in a tests/ folder of the project, by relative path."""
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if SKIPPED_FOLDERS.intersection(parts):
            continue
        if path.name == "conftest.py" or "tests" in parts[:-1]:
            found[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    return found


def test_it_finds_no_fixture_defined_twice():
    modules = modules_of_the_test_suite()
    assert "conftest.py" in modules
    assert "adherence/tests/test_fixtures.py" in modules

    twice = defined_twice(modules)

    assert twice == {}, (
        "Fixtures defined in more than one place (define each once, see conftest.py):\n"
        + "\n".join(f"  {name}: {', '.join(where)}" for name, where in sorted(twice.items()))
    )


def test_it_reports_a_fixture_a_module_defines_again():
    root = "import pytest\n\n@pytest.fixture\ndef ann():\n    return 1\n"
    module = (
        "from pytest import fixture\nimport pytest\n\n"
        "@fixture\ndef ann():\n    return 2\n\n"
        "@pytest.fixture(autouse=True, name='clock')\ndef _frozen():\n    yield\n\n"
        "def helper():\n    return 3\n"
    )
    other = "import pytest\n\n@pytest.fixture(scope='session')\ndef clock():\n    yield\n"

    assert defined_twice(
        {"conftest.py": root, "app/tests/test_a.py": module, "app/tests/conftest.py": other}
    ) == {
        "ann": ["app/tests/test_a.py:5", "conftest.py:4"],
        "clock": ["app/tests/conftest.py:4", "app/tests/test_a.py:9"],
    }
