"""``make audit``: known vulnerabilities in the locked dependencies (ASVS V15.2.1, docs/security.md).

pip-audit checks each Python lock (``requirements/app.lock``, ``requirements/test.lock``) against PyPI's advisory data
(``--vulnerability-service pypi``), exactly the pinned and hashed versions, without installing anything. npm audit
checks ``frontend/package-lock.json`` twice: the packages that ship to browsers (``--omit=dev``) and the whole tree
(the build and test tools too). The audit fails (exit 1) on a finding at or above its threshold that the ignore list
(``requirements/audit-ignore.toml``) does not accept, on an ignore-list entry that is malformed or past its review
date, and when a tool cannot answer. It needs the network, so it is not part of ``make test`` or ``.ci/run``: it runs on
a schedule and before each release (``.ci/audit``).

    make audit        # or: .venv/bin/python -m tests.support.dependency_audit
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
IGNORE_LIST = ROOT / "requirements" / "audit-ignore.toml"
PYTHON_LOCKS = ("requirements/app.lock", "requirements/test.lock")
FRONTEND = "frontend"
#: The longest an accepted finding may go unreviewed.
MAX_REVIEW_DAYS = 90
#: Advisory ids the tools report: PyPI's (PYSEC), GitHub's (GHSA, npm's source), CVE and OSV ids.
ADVISORY_ID = re.compile(r"(PYSEC-\d{4}-\d+|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,}|OSV-\d{4}-\d+)")
#: npm's severities, lowest first. PyPI's advisory data carries none, so every Python finding counts.
SEVERITIES = ("info", "low", "moderate", "high", "critical")

#: pip-audit's options before the lock file's path: the PyPI service, the lock's own pins and hashes (no resolver,
#: nothing installed), a JSON report.
PIP_AUDIT_OPTIONS = ("--vulnerability-service", "pypi", "--disable-pip", "--require-hashes",
                     "--progress-spinner", "off", "--format", "json", "--requirement")


@dataclass(frozen=True)
class NpmAudit:
    """One npm audit run: its name in the report, its options and the lowest severity that fails it."""

    name: str
    options: tuple[str, ...]
    threshold: str


NPM_AUDITS = (
    # What the portal and GraphiQL bundles are built from and ship to browsers: anything but "info" fails.
    NpmAudit("frontend/package-lock.json (shipped, --omit=dev)", ("--omit=dev",), "low"),
    # Build and test tools run on developers' and CI machines on our own sources only: high and critical fail.
    NpmAudit("frontend/package-lock.json (whole tree)", (), "high"),
)


@dataclass(frozen=True)
class Accepted:
    """A reviewed entry of the ignore list."""

    id: str
    package: str
    reason: str
    reviewed: dt.date
    review_by: dt.date


@dataclass(frozen=True)
class Finding:
    """One advisory against one locked package."""

    where: str
    package: str
    version: str
    ids: tuple[str, ...]
    severity: str | None
    fix: str
    title: str
    fails: bool
    """At or above the threshold of ``where``."""


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def read_ignore_list(path: Path = IGNORE_LIST, on: dt.date | None = None) -> tuple[list[Accepted], list[str]]:
    """The entries of the ignore list in force ``on`` a day (default today, UTC), and what is wrong with the rest.

    An entry needs ``id`` (an advisory id), ``package``, ``reason`` and the dates ``reviewed`` and ``review_by``
    (TOML dates, at most :data:`MAX_REVIEW_DAYS` apart); past ``review_by`` it is expired.
    """
    on = on or today()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        return [], [f"{path.name}: cannot be read: {error}"]
    unknown = set(document) - {"ignore"}
    problems = [f"{path.name}: unknown table or key {name!r} (only [[ignore]] entries)" for name in sorted(unknown)]
    entries = document.get("ignore", [])
    if not isinstance(entries, list):
        return [], [*problems, f"{path.name}: 'ignore' must be an array of tables ([[ignore]])"]
    accepted = []
    for number, entry in enumerate(entries, start=1):
        label = f"{path.name} entry {number} ({entry.get('id', 'no id')})"
        wrong = _entry_problems(entry)
        if not wrong and entry["review_by"] < on:
            wrong.append(f"expired: review_by {entry['review_by']} has passed; review it again or remove it")
        if wrong:
            problems.extend(f"{label}: {problem}" for problem in wrong)
            continue
        accepted.append(Accepted(entry["id"], entry["package"], entry["reason"].strip(), entry["reviewed"],
                                 entry["review_by"]))
    return accepted, problems


def _entry_problems(entry: dict[str, Any]) -> list[str]:
    problems = [f"unknown key {key!r}" for key in sorted(set(entry) - {"id", "package", "reason", "reviewed",
                                                                       "review_by"})]
    if not (isinstance(entry.get("id"), str) and ADVISORY_ID.fullmatch(entry["id"])):
        problems.append("id must be an advisory id (PYSEC-…, GHSA-…, CVE-…, OSV-…)")
    if not (isinstance(entry.get("package"), str) and entry["package"].strip()):
        problems.append("package is missing")
    if not (isinstance(entry.get("reason"), str) and len(entry["reason"].strip()) >= 20):
        problems.append("reason is missing or too short to say why")
    dates = [entry.get(key) for key in ("reviewed", "review_by")]
    if not all(isinstance(date, dt.date) and not isinstance(date, dt.datetime) for date in dates):
        problems.append("reviewed and review_by must be dates (review_by = 2027-01-31, no quotes)")
    elif not 0 <= (dates[1] - dates[0]).days <= MAX_REVIEW_DAYS:
        problems.append(f"review_by must be at most {MAX_REVIEW_DAYS} days after reviewed")
    return problems


def pip_audit_findings(report: dict[str, Any], where: str) -> tuple[list[Finding], list[str]]:
    """The findings of pip-audit's JSON report, and what it could not check (one line; pip-audit itself says "No
    known vulnerabilities found" even when it could look up none of the packages)."""
    findings, skipped = [], []
    dependencies = report.get("dependencies", [])
    for dependency in dependencies:
        if dependency.get("skip_reason"):
            skipped.append(dependency)
        for vulnerability in dependency.get("vulns", []):
            fixes = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed version yet"
            description = " ".join(str(vulnerability.get("description") or "").split())
            findings.append(Finding(where, dependency["name"], dependency.get("version", ""),
                                    (vulnerability["id"], *vulnerability.get("aliases", [])), None, fixes,
                                    description[:120], fails=True))
    if not skipped:
        return findings, []
    names = [str(dependency.get("name")) for dependency in skipped]
    reason = str(skipped[0]["skip_reason"]).split(":")[0]
    return findings, [f"{where}: {len(skipped)} of {len(dependencies)} locked packages were not checked ({reason}): "
                      f"{', '.join(names[:6])}{', …' if len(names) > 6 else ''}"]


def npm_audit_findings(report: dict[str, Any], audit: NpmAudit) -> list[Finding]:
    """The advisories of npm audit's JSON report (``auditReportVersion`` 2), one per package and advisory."""
    findings = []
    for name, entry in report.get("vulnerabilities", {}).items():
        fix = entry.get("fixAvailable")
        fixed = (f"{fix.get('name')}@{fix.get('version')}" + (" (semver major)" if fix.get("isSemVerMajor") else "")
                 if isinstance(fix, dict) else "npm audit fix" if fix else "no fix yet")
        for via in entry.get("via", []):
            if not isinstance(via, dict):  # a string names a vulnerable dependency, reported under its own name
                continue
            ids = tuple(match.group(0) for match in ADVISORY_ID.finditer(str(via.get("url") or "")))
            severity = str(via.get("severity") or entry.get("severity") or "info")
            rank = SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)
            findings.append(Finding(audit.name, str(via.get("name") or name), str(via.get("range") or ""),
                                    ids or (str(via.get("source")),), severity, fixed, str(via.get("title") or ""),
                                    fails=rank >= SEVERITIES.index(audit.threshold)))
    return findings


def accepting(finding: Finding, accepted: Iterable[Accepted]) -> Accepted | None:
    """The ignore-list entry that accepts ``finding`` (same advisory, by id or alias, and same package)."""
    for entry in accepted:
        if entry.id in finding.ids and entry.package.lower() == finding.package.lower():
            return entry
    return None


def _run_json(command: Sequence[str]) -> tuple[dict[str, Any] | None, str]:
    """Run a tool that answers JSON on stdout (exit status 1 means "found something"); the report or an error."""
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"{command[0]}: {error}"
    try:
        report = json.loads(done.stdout)
    except ValueError:
        return None, f"{' '.join(command)}: exit {done.returncode}, no report: {done.stderr.strip()[-500:]}"
    if isinstance(report, dict) and "error" in report:  # npm's way of saying the registry did not answer
        return None, f"{' '.join(command)}: {report.get('message') or report['error']}"
    return report, ""


def audit(pip_audit: str, npm: str) -> tuple[list[Finding], list[str]]:
    """Run every audit; the findings and the errors (a tool that could not answer, a package it could not check)."""
    findings: list[Finding] = []
    errors: list[str] = []
    for lock in PYTHON_LOCKS:
        report, error = _run_json([pip_audit, *PIP_AUDIT_OPTIONS, lock])
        if report is None:
            errors.append(error)
            continue
        found, skipped = pip_audit_findings(report, lock)
        findings += found
        errors += skipped
    for npm_audit in NPM_AUDITS:
        report, error = _run_json([npm, "audit", "--prefix", FRONTEND, "--json", *npm_audit.options])
        if report is None:
            errors.append(error)
            continue
        findings += npm_audit_findings(report, npm_audit)
    return findings, errors


def main(argv: Sequence[str] | None = None) -> int:
    """Audit, print what was found, and answer 1 when something is not accepted (else 0)."""
    parser = argparse.ArgumentParser(prog="make audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pip-audit", default=str(Path(sys.executable).with_name("pip-audit")))
    parser.add_argument("--npm", default=shutil.which("npm") or "npm")
    args = parser.parse_args(argv)
    accepted, problems = read_ignore_list()
    findings, errors = audit(args.pip_audit, args.npm)
    failing = [finding for finding in findings if finding.fails and accepting(finding, accepted) is None]
    for finding in findings:
        entry = accepting(finding, accepted)
        verdict = (f"accepted until {entry.review_by}" if entry else "FAILS" if finding.fails
                   else "below the threshold")
        print(f"{finding.where}: {finding.package} {finding.version} {'/'.join(finding.ids)} "
              f"[{finding.severity or 'no severity'}] fix: {finding.fix}; {finding.title} -> {verdict}")
    reported = {(identifier, finding.package.lower()) for finding in findings for identifier in finding.ids}
    for entry in accepted:
        if (entry.id, entry.package.lower()) not in reported:
            print(f"note: {entry.id} ({entry.package}) is no longer reported: remove it from {IGNORE_LIST.name}")
    for line in [*problems, *errors]:
        print(f"error: {line}", file=sys.stderr)
    print(f"{len(findings)} findings, {len(failing)} failing; {len(problems)} ignore-list problems, "
          f"{len(errors)} errors.")
    return 1 if failing or problems or errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
