"""The layers of DESIGN.md, read from the imports: imports point down only."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hostup_dash"
# Functions that write audit records for an action; only services call them.
AUDIT_WRITERS = {"audit_append", "audit_intent_record", "audit_outcome_record", "audit_refusal_record"}


def _imports(path: Path) -> set[str]:
    """Modules and names a file imports, relative imports resolved against the package."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{module}" if module else base
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)} | {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
    }


def test_hostup_client_imports_no_django():
    for path in (PACKAGE / "hostup").glob("*.py"):
        assert not any(name.startswith("django") for name in _imports(path)), path


def test_simulator_shares_no_code_with_the_client():
    for path in (PACKAGE / "simulator").rglob("*.py"):
        assert not any("hostup_dash.hostup" in name for name in _imports(path)), path


def test_views_never_call_the_client():
    for path in PACKAGE.rglob("views.py"):
        assert not any(name.startswith("hostup_dash.hostup.client") for name in _imports(path)), path


def test_views_never_write_action_audit_records():
    for path in PACKAGE.rglob("views.py"):
        assert not AUDIT_WRITERS & _names_used(path), path


def test_relative_imports_are_seen():
    assert "hostup_dash.audit.services" in _imports(PACKAGE / "audit" / "views.py")
