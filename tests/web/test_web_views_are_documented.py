"""Every routed view says, in one line, what it does for whom: a newcomer reads the URL map and knows each page."""

from __future__ import annotations


def test_every_routed_view_has_a_docstring(app):
    undocumented = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not (view.__doc__ or "").strip()
    )
    assert undocumented == []


def test_every_public_service_function_has_a_docstring():
    import ast
    from pathlib import Path

    services = Path(__file__).resolve().parents[2] / "screening" / "services"
    missing = []
    for path in sorted(services.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and not ast.get_docstring(node):
                missing.append(f"{path.relative_to(services.parent)}: {node.name}")
    assert missing == []
