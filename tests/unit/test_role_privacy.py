"""No role reads another role's private variables (``_<role>_...``): what a role hands on is a
public fact or default named ``<role>_...`` and documented in its argument specs
(docs/architecture.md says so, this test holds it)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())


def private_reads(root: Path, roles: list[str]) -> list[str]:
    """``file: _role_var`` for every private variable of a role named outside that role."""
    found = []
    files = [*root.glob("roles/**/*.yml"), *root.glob("roles/**/*.j2"),
             *root.glob("playbooks/*.yml"), *root.glob("*.yml")]
    for role in roles:
        pattern = re.compile(rf"\b_{role}_[a-z0-9_]+")
        for path in files:
            if path.is_relative_to(root / "roles" / role):
                continue
            found += [f"{path.relative_to(root)}: {m}" for m in pattern.findall(path.read_text())]
    return sorted(found)


def test_no_role_reads_another_roles_private_variables():
    assert len(ROLES) >= 8
    wrong = private_reads(ROOT, ROLES)
    assert not wrong, "private variables read outside their role:\n" + "\n".join(wrong)


def test_the_check_sees_a_private_read(tmp_path: Path):
    for role, text in (("a", "x: '{{ _a_secret }}'\n"), ("b", "y: '{{ _a_secret }}'\n")):
        (tmp_path / "roles" / role / "tasks").mkdir(parents=True)
        (tmp_path / "roles" / role / "tasks" / "main.yml").write_text(text)
    assert private_reads(tmp_path, ["a", "b"]) == ["roles/b/tasks/main.yml: _a_secret"]
