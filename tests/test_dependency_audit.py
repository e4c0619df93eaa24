"""The dependency audit (ASVS V15.2.1): ``make audit`` and its reviewed ignore list, checked offline.

The audit itself asks PyPI and the npm registry, so it runs on a schedule and before a release (``.ci/audit``), never
in this suite. What can be checked without the network is checked here: the ignore list is well formed and nothing
in it is past its review date, ``make audit`` runs both tools as documented, and the reports are read right.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

from tests.support import dependency_audit
from tests.support.dependency_audit import (
    IGNORE_LIST,
    NPM_AUDITS,
    PIP_AUDIT_OPTIONS,
    Accepted,
    accepting,
    npm_audit_findings,
    pip_audit_findings,
    read_ignore_list,
)

ROOT = Path(__file__).resolve().parents[1]


def test_the_ignore_list_is_well_formed_and_no_entry_is_past_its_review_date() -> None:
    accepted, problems = read_ignore_list(IGNORE_LIST)
    assert problems == []
    assert all(entry.review_by >= dependency_audit.today() for entry in accepted)


def test_a_malformed_or_expired_entry_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "audit-ignore.toml"
    path.write_text('''
[[ignore]]
id = "GHSA-2c8q-6q2m-9f2m"
package = "vite"
reason = "Only the dev server is affected; the bundle is built once and served by Pejling."
reviewed = 2026-09-01
review_by = 2026-11-30

[[ignore]]
id = "not-an-id"
package = ""
reason = "later"
reviewed = 2026-11-01
review_by = 2027-06-01

[[ignore]]
id = "PYSEC-2026-17"
package = "jinja2"
reason = "Our templates are files; the sandbox the advisory is about is not used."
reviewed = 2026-11-20
review_by = 2027-01-31
''', encoding="utf-8")
    accepted, problems = read_ignore_list(path, on=dt.date(2026, 12, 3))
    assert [entry.id for entry in accepted] == ["PYSEC-2026-17"]
    assert len(problems) == 5, problems
    assert "entry 1 (GHSA-2c8q-6q2m-9f2m): expired: review_by 2026-11-30 has passed" in problems[0]
    assert all("entry 2 (not-an-id)" in problem for problem in problems[1:])
    assert any("at most 90 days" in problem for problem in problems)
    # The same entry is in force the day before it expires.
    assert len(read_ignore_list(path, on=dt.date(2026, 11, 30))[0]) == 2


def _make(target: str) -> list[str]:
    """``make -n target``, printing the recipe only (no "Entering directory" lines)."""
    return ["make", "--no-print-directory", "-n", target]


def _outside_make() -> dict[str, str]:
    """This environment without what an enclosing ``make test`` hands its children (CI runs the suite from make)."""
    return {name: value for name, value in os.environ.items() if name not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}


def test_make_audit_runs_pip_audit_on_both_locks_and_npm_audit_and_is_not_part_of_the_test_run() -> None:
    recipe = subprocess.run(_make("audit"), cwd=ROOT, capture_output=True, text=True, check=True,
                            env=_outside_make()).stdout
    audit_line = recipe.strip().splitlines()[-1]
    assert "-m tests.support.dependency_audit" in audit_line
    assert "pip-audit" in audit_line and "--npm npm" in audit_line
    assert PIP_AUDIT_OPTIONS[:2] == ("--vulnerability-service", "pypi")  # PyPI's advisories, not OSV
    assert {"--require-hashes", "--disable-pip"} <= set(PIP_AUDIT_OPTIONS)  # the locked pins, nothing installed
    assert dependency_audit.PYTHON_LOCKS == ("requirements/app.lock", "requirements/test.lock")
    assert [audit.options for audit in NPM_AUDITS] == [("--omit=dev",), ()]
    # Nothing in `make test` or CI downloads: the audit is neither a prerequisite nor a step of either.
    test_recipe = subprocess.run(_make("test"), cwd=ROOT, capture_output=True, text=True,
                                 env=_outside_make()).stdout
    assert "dependency_audit" not in test_recipe and "pip-audit" not in test_recipe
    assert "audit" not in (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("--no-audit", "")
    assert "make audit" in (ROOT / ".ci" / "audit").read_text(encoding="utf-8")


def test_the_reports_of_both_tools_are_read_with_their_ids_severities_and_fixes() -> None:
    pip_report = {"dependencies": [
        {"name": "jinja2", "version": "3.1.5", "vulns": [
            {"id": "PYSEC-2026-17", "fix_versions": ["3.1.6"], "aliases": ["CVE-2026-1234", "GHSA-2c8q-6q2m-9f2m"],
             "description": "A sandbox breakout."}]},
        {"name": "starlette", "version": "1.10.0", "vulns": []},
        {"name": "private-thing", "skip_reason": "Dependency not found on PyPI"}]}
    findings, skipped = pip_audit_findings(pip_report, "requirements/app.lock")
    assert [(f.package, f.ids, f.fix, f.fails) for f in findings] == [
        ("jinja2", ("PYSEC-2026-17", "CVE-2026-1234", "GHSA-2c8q-6q2m-9f2m"), "3.1.6", True)]
    assert skipped == ["requirements/app.lock: 1 of 3 locked packages were not checked (Dependency not found on PyPI): "
                       "private-thing"]  # an error of the audit: pip-audit alone would call that "no known vulns"

    npm_report = {"auditReportVersion": 2, "vulnerabilities": {
        "esbuild": {"name": "esbuild", "severity": "moderate", "fixAvailable": {"name": "vite", "version": "8.5.0",
                                                                                 "isSemVerMajor": False},
                    "via": [{"source": 1102341, "name": "esbuild", "title": "Dev server answers any origin",
                             "url": "https://github.com/advisories/GHSA-67mh-4wv8-2f99", "severity": "moderate",
                             "range": "<=0.24.2"}]},
        "vite": {"name": "vite", "severity": "moderate", "via": ["esbuild"], "fixAvailable": True}}}
    shipped, whole = (npm_audit_findings(npm_report, audit) for audit in NPM_AUDITS)
    assert [(f.package, f.ids, f.severity, f.fix) for f in whole] == [
        ("esbuild", ("GHSA-67mh-4wv8-2f99",), "moderate", "vite@8.5.0")]  # vite only passes esbuild's on
    assert shipped[0].fails and not whole[0].fails  # moderate: fails what ships, not the build tools
    # An entry accepts the advisory by any of its ids, for its own package only.
    entry = Accepted("CVE-2026-1234", "Jinja2", "The sandbox is not used: templates are our files.",
                     dt.date(2026, 12, 1), dt.date(2027, 1, 31))
    assert accepting(findings[0], [entry]) is entry
    assert accepting(whole[0], [entry]) is None
    assert accepting(findings[0], [Accepted("CVE-2026-1234", "markupsafe", entry.reason, entry.reviewed,
                                            entry.review_by)]) is None
