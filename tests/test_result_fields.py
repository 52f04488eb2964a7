"""Every field of the result dataclasses has a docstring (with its unit where it has one): the JSON
contract documents itself (issue 11)."""

from __future__ import annotations

import ast
from pathlib import Path

import llmtco.result

SOURCE = Path(llmtco.result.__file__).read_text(encoding="utf-8")


def test_every_result_field_has_a_docstring() -> None:
    missing = []
    for node in ast.walk(ast.parse(SOURCE)):
        if not isinstance(node, ast.ClassDef):
            continue
        body = node.body
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                nxt = body[i + 1] if i + 1 < len(body) else None
                documented = (
                    isinstance(nxt, ast.Expr)
                    and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)
                )
                if not documented:
                    missing.append(f"{node.name}.{stmt.target.id}")
    assert not missing, "undocumented result fields: " + ", ".join(missing)
