"""The layers of DESIGN.md, read from the imports: imports point down only."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hostup_dash"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_hostup_client_imports_no_django():
    for path in (PACKAGE / "hostup").glob("*.py"):
        assert not any(name.startswith("django") for name in _imports(path)), path


def test_simulator_shares_no_code_with_the_client():
    for path in (PACKAGE / "simulator").rglob("*.py"):
        assert not any("hostup_dash.hostup" in name for name in _imports(path)), path


def test_views_never_call_the_client_or_write_audit_records():
    for path in PACKAGE.rglob("views.py"):
        imports = _imports(path)
        assert not any(name.startswith("hostup_dash.hostup.client") for name in imports), path
        assert not any(name.startswith("hostup_dash.audit.services") for name in imports), path
