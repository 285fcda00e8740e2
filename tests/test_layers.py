"""The layers of DESIGN.md, read from the imports: imports point down only."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hostup_dash"
# The apps that make the dashboard's features. core serves them all, so it imports none of them.
FEATURE_APPS = (
    "accounts",
    "inventory",
    "audit",
    "checkpoints",
    "ops",
    "bulk",
    "sso",
    "trail",
    "approvals",
    "notifications",
    "pools",
    "simulator",
)
# Ways to reach the HostUp client: its module, its class as the package re-exports it, its factory.
CLIENT_MODULES = ("hostup_dash.hostup.client", "hostup_dash.hostup.HostupClient", "hostup_dash.core.clients")
# Functions that write audit records for an action; only services call them.
AUDIT_WRITERS = {
    "audit_append",
    "audit_intent_record",
    "audit_outcome_record",
    "audit_refusal_record",
    "audit_follow_up_record",
    "audit_change_record",
}


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


def _is_in(name: str, module: str) -> bool:
    return name == module or name.startswith(f"{module}.")


def test_hostup_client_imports_no_django():
    for path in (PACKAGE / "hostup").glob("*.py"):
        assert not any(name.startswith("django") for name in _imports(path)), path


def test_every_app_has_its_place_in_the_layers():
    apps = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert apps == {"core", "hostup", *FEATURE_APPS}


def test_core_imports_no_feature_app():
    for path in (PACKAGE / "core").rglob("*.py"):
        assert not any(_is_in(name, f"hostup_dash.{app}") for app in FEATURE_APPS for name in _imports(path)), path


def test_hostup_client_imports_nothing_of_the_dashboard_but_its_version():
    allowed = {"hostup_dash", "hostup_dash.__version__"}
    for path in (PACKAGE / "hostup").glob("*.py"):
        ours = {name for name in _imports(path) if name.split(".")[0] == "hostup_dash"}
        assert all(name in allowed or _is_in(name, "hostup_dash.hostup") for name in ours), path


def test_simulator_shares_no_code_with_the_client():
    for path in (PACKAGE / "simulator").rglob("*.py"):
        assert not any("hostup_dash.hostup" in name for name in _imports(path)), path


def test_views_never_call_the_client():
    for path in PACKAGE.rglob("views.py"):
        assert not any(_is_in(name, module) for module in CLIENT_MODULES for name in _imports(path)), path


def test_views_never_write_action_audit_records():
    for path in PACKAGE.rglob("views.py"):
        assert not AUDIT_WRITERS & _names_used(path), path


def test_relative_imports_are_seen():
    assert "hostup_dash.audit.services" in _imports(PACKAGE / "audit" / "views.py")
