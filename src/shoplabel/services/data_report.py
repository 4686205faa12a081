"""A project's data-quality report: computed by a job, stored, read by pages and the API.

Nothing here scans items inside a web request: :func:`build_report` (the ``data_report`` job,
or ``shoplabel report``) reads the items page by page in short read transactions, adds the
stored results of the last cleaning run (duplicate groups, flags) and the label figures, and
stores the report as JSON; :func:`latest_report` reads that one row.

Sections (documented in ``docs/data_quality.md``): ``missing``, ``duplicates``, ``flags``,
``pii``, ``labels``, ``agreement``, ``label_issues``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shoplabel.dataprep.pii import detect
from shoplabel.domain.dataquality import StoredReport
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.jobs import Job, JobKind
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.services import quality_report
from shoplabel.services.projects import visible_project

__all__ = [
    "LOW_CONFIDENCE",
    "PII_SAMPLE",
    "ReportPage",
    "build_report",
    "enqueue_report",
    "latest_report",
    "report_page",
]

PAGE = 2000
PII_SAMPLE = 20_000
LOW_CONFIDENCE = 0.6
MAX_FIELDS = 50
MAX_EXAMPLES = 20
Progress = Callable[[int, int], None]


def _managed(uow: UnitOfWork, actor: Actor, project_id: ProjectId) -> Project:
    project = visible_project(uow, actor, project_id)
    require(can_manage_project(actor, project), f"see the data quality of project {project_id}")
    return project


def _leaves(value: Any, prefix: str, out: set[str]) -> None:
    for k, v in value.items():
        path = f"{prefix}{k}"
        if isinstance(v, Mapping):
            _leaves(v, f"{path}.", out)
        elif v is not None and v != "":
            out.add(path)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@dataclass
class _Scan:
    n_items: int = 0
    present: Counter[str] = field(default_factory=Counter)
    gold: dict[ItemId, Any] = field(default_factory=dict)
    pii: Counter[str] = field(default_factory=Counter)
    n_pii_sampled: int = 0
    n_pii_items: int = 0


def _scan_pii(scan: _Scan, payload: Mapping[str, Any]) -> None:
    scan.n_pii_sampled += 1
    kinds = [s.kind.value for text in _strings(payload) for s in detect(text)]
    scan.pii.update(kinds)
    scan.n_pii_items += bool(kinds)


def _scan(
    uows: Callable[[], UnitOfWork], project: Project, pii_sample: int, progress: Progress | None
) -> _Scan:
    scan = _Scan()
    total = max(project.counters.n_items, 1)
    every = max(1, math.ceil(total / max(pii_sample, 1)))
    after = 0
    while True:
        with uows().reading() as uow:
            items = uow.items.page(project.id, after_id=after, limit=PAGE, status=None)
        for it in items:
            paths: set[str] = set()
            _leaves(it.payload, "", paths)
            scan.present.update(paths)
            if it.gold is not None:
                scan.gold[it.id] = it.gold
            if pii_sample and scan.n_items % every == 0:
                _scan_pii(scan, it.payload)
            scan.n_items += 1
        if progress is not None:
            progress(scan.n_items, max(total, scan.n_items))
        if len(items) < PAGE:
            return scan
        after = items[-1].id


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _gold_issues(uows: Callable[[], UnitOfWork], gold: Mapping[ItemId, Any]) -> dict[str, Any]:
    ids = sorted(gold)
    compared, wrong = 0, []
    for lo in range(0, len(ids), PAGE):
        with uows().reading() as uow:
            consensus = uow.consensus.get_many(ids[lo : lo + PAGE])
        for item_id, c in consensus.items():
            compared += 1
            if _key(c.value) != _key(gold[item_id]):
                wrong.append(item_id)
    return {"gold_compared": compared, "gold_disagreements": len(wrong), "examples": wrong[:20]}


def _stored_sections(uow: UnitOfWork, project: Project) -> dict[str, Any]:
    dq = uow.data_quality
    groups = dq.list_groups(project.id, kind=None, conflicting_only=True, after_id=0, limit=20)
    flags = dq.list_flags(project.id, code=None, limit=MAX_EXAMPLES)
    bins = uow.dashboards.consensus_confidence_bins(project.id, n_bins=10)
    return {
        "duplicates": [_plain(c) for c in dq.group_counts(project.id)],
        "conflicting_examples": [
            {"group_id": g.id, "kind": g.kind, "item_ids": list(g.item_ids[:10])} for g in groups
        ],
        "flags": [_plain(c) for c in dq.flag_counts(project.id)],
        "flag_examples": [_plain(f) for f in flags],
        "labels": {
            "consensus": [list(r) for r in uow.dashboards.consensus_label_counts(project.id)],
        },
        "low_confidence": sum(bins[: int(LOW_CONFIDENCE * 10)]),
    }


def _plain(obj: Any) -> dict[str, Any]:
    """A frozen dataclass with slots as a plain dict (JSON-ready)."""
    return {name: getattr(obj, name) for name in obj.__slots__}


def _agreement(uows: Callable[[], UnitOfWork], actor: Actor, project_id: ProjectId) -> Any:
    ag = quality_report.quality_report(uows(), actor=actor, project_id=project_id).agreement
    return _plain(ag)


def build_report(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor,
    project_id: ProjectId,
    pii_sample: int = PII_SAMPLE,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Compute a project's data-quality report and store it; return it.

    Args:
        pii_sample: Items scanned for PII, evenly spread over the project (0: none).

    Raises:
        ProjectNotFound, PermissionDenied: not a manager of the project.
    """
    with uows().reading() as uow:
        project = _managed(uow, actor, project_id)
    scan = _scan(uows, project, pii_sample, progress)
    with uows().reading() as uow:
        stored = _stored_sections(uow, project)
    missing = [
        {"field": f, "n_missing": scan.n_items - n}
        for f, n in sorted(scan.present.items(), key=lambda fn: (fn[1], fn[0]))[:MAX_FIELDS]
    ]
    issues = _gold_issues(uows, scan.gold)
    n_conflicting = sum(int(d["n_conflicting"]) for d in stored["duplicates"])
    report = {
        "n_items": scan.n_items,
        "missing": missing,
        "duplicates": stored["duplicates"],
        "conflicting_examples": stored["conflicting_examples"],
        "flags": stored["flags"],
        "flag_examples": stored["flag_examples"],
        "pii": {
            "n_sampled": scan.n_pii_sampled,
            "n_items_with_pii": scan.n_pii_items,
            "by_kind": dict(sorted(scan.pii.items())),
        },
        "labels": {**stored["labels"], "n_gold": len(scan.gold)},
        "agreement": _agreement(uows, actor, project_id),
        "label_issues": {
            **issues,
            "low_confidence": stored["low_confidence"],
            "conflicting_duplicate_groups": n_conflicting,
        },
    }
    with uows() as uow:
        report["generated_at"] = uow.now().isoformat()
        uow.data_quality.add_report(project_id, report, now=uow.now())
        uow.commit()
    return report


def latest_report(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> StoredReport | None:
    """The last stored report of a project (``None`` before the first run): managers only."""
    with uow.reading():
        _managed(uow, actor, project_id)
        return uow.data_quality.latest_report(project_id)


@dataclass(frozen=True, slots=True)
class ReportPage:
    """What the data-quality page shows: the project and its last stored report."""

    project: Project
    stored: StoredReport | None


def report_page(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> ReportPage:
    """The project and its stored report in one read transaction (the page's one call)."""
    with uow.reading():
        project = _managed(uow, actor, project_id)
        return ReportPage(project, uow.data_quality.latest_report(project_id))


def enqueue_report(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> Job:
    """Queue a report run (the page's "recompute" button and the API's POST)."""
    with uow:
        _managed(uow, actor, project_id)
        job = uow.jobs.add(
            kind=JobKind.DATA_REPORT,
            payload={"pii_sample": PII_SAMPLE},
            project_id=project_id,
            created_by=actor.user_id,
            now=uow.now(),
        )
        uow.commit()
    return job
