"""Cleaning a project's items: duplicate groups (exact, near, embedding) and numeric outliers.

A run reads the items page by page (short read transactions), computes outside any
transaction, and replaces the project's groups and ``clean`` flags in one write transaction,
so a failed run leaves the previous results whole. It runs as a background job (``dedup``)
with progress, or inline from the CLI.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from shoplabel.dataprep.duplicates import (
    DuplicateKind,
    Embedder,
    Group,
    embedding_groups,
    exact_groups,
    is_conflicting,
    near_groups,
)
from shoplabel.dataprep.fieldrules import FieldType
from shoplabel.dataprep.neardup import NearDupOptions
from shoplabel.dataprep.outliers import OutlierMethod, OutlierOptions, find_outliers
from shoplabel.domain.dataquality import ItemFlag, NewDuplicateGroup
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.jobs import Job, JobKind
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput
from shoplabel.services.data_rules import data_rules
from shoplabel.services.projects import visible_project

__all__ = ["DedupOptions", "DedupSummary", "enqueue_dedup", "payload_text", "run_dedup"]

PAGE = 2000
#: ``progress(done, total)``: items read, then texts signed (total = 2 x items).
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class DedupOptions:
    """What a cleaning run looks at (every field is documented in docs/data_quality.md)."""

    fields: tuple[str, ...] = ()
    threshold: float = 0.8
    num_perm: int = 128
    shingle: int = 3
    embedding_threshold: float = 0.95
    outlier_fields: tuple[str, ...] = ()
    outlier_method: str = OutlierMethod.ROBUST_Z.value
    outlier_threshold: float | None = None

    def __post_init__(self) -> None:
        try:
            NearDupOptions(threshold=self.threshold, num_perm=self.num_perm, shingle=self.shingle)
            OutlierMethod(self.outlier_method)
        except ValueError as e:
            raise InvalidInput(f"dedup options: {e}", details={"field": "options"}) from None

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DedupOptions:
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        for key in ("fields", "outlier_fields"):
            if key in known:
                known[key] = tuple(known[key])
        return cls(**known)


@dataclass(frozen=True, slots=True)
class DedupSummary:
    n_items: int
    groups: dict[str, int] = field(default_factory=dict)
    items_in_groups: dict[str, int] = field(default_factory=dict)
    n_conflicting: int = 0
    n_outliers: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def payload_text(payload: Mapping[str, Any], fields: Sequence[str]) -> str:
    """The text compared for near-duplicates: the given dotted fields, or every string."""
    if fields:
        parts = [_get(payload, f) for f in fields]
        return " ".join(str(p) for p in parts if p is not None and p != "")
    return " ".join(_strings(payload))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for k in sorted(value) for s in _strings(value[k])]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _get(payload: Mapping[str, Any], path: str) -> Any:
    node: Any = payload
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return math.nan
    try:
        x = float(value.replace(",", "") if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) else math.nan


@dataclass
class _Scan:
    ids: list[ItemId] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    gold: dict[ItemId, Any] = field(default_factory=dict)
    numbers: dict[str, list[float]] = field(default_factory=dict)


def _scan(
    uows: Callable[[], UnitOfWork],
    project: Project,
    opts: DedupOptions,
    outlier_fields: Sequence[str],
    progress: Progress | None,
) -> _Scan:
    scan = _Scan(numbers={f: [] for f in outlier_fields})
    after, total = 0, max(project.counters.n_items, 1)
    while True:
        with uows().reading() as uow:
            items = uow.items.page(project.id, after_id=after, limit=PAGE, status=None)
        for it in items:
            scan.ids.append(it.id)
            scan.hashes.append(it.content_hash)
            scan.texts.append(payload_text(it.payload, opts.fields))
            if it.gold is not None:
                scan.gold[it.id] = it.gold
            for f in outlier_fields:
                scan.numbers[f].append(_number(_get(it.payload, f)))
        if progress is not None:
            progress(len(scan.ids), 2 * max(total, len(scan.ids)))
        if len(items) < PAGE:
            return scan
        after = items[-1].id


def _outlier_fields(project: Project, opts: DedupOptions) -> tuple[str, ...]:
    if opts.outlier_fields:
        return opts.outlier_fields
    rules = data_rules(project.settings)
    return tuple(r.name for r in rules.fields if r.type in (FieldType.NUMBER, FieldType.INTEGER))


def _outlier_flags(scan: _Scan, opts: DedupOptions) -> list[ItemFlag]:
    o = OutlierOptions(method=OutlierMethod(opts.outlier_method), threshold=opts.outlier_threshold)
    flags = []
    for name, values in scan.numbers.items():
        found = find_outliers(np.asarray(values, dtype=np.float64), options=o)
        for pos, reason in zip(found.index, found.reasons, strict=True):
            flags.append(ItemFlag(scan.ids[pos], "clean", name, "outlier", f"{name}: {reason}"))
    return flags


def _labels(
    uows: Callable[[], UnitOfWork], scan: _Scan, groups: Sequence[Group]
) -> dict[ItemId, Any]:
    """Gold, else consensus, of every item in a group (conflict detection)."""
    members = sorted({scan.ids[p] for g in groups for p in g.members})
    labels: dict[ItemId, Any] = {}
    for lo in range(0, len(members), PAGE):
        with uows().reading() as uow:
            consensus = uow.consensus.get_many(members[lo : lo + PAGE])
        labels.update({i: c.value for i, c in consensus.items()})
    labels.update(scan.gold)
    return labels


def _new_groups(
    uows: Callable[[], UnitOfWork], scan: _Scan, groups: Sequence[Group]
) -> list[NewDuplicateGroup]:
    labels = _labels(uows, scan, groups)
    out = []
    for g in groups:
        ids = tuple(scan.ids[p] for p in g.members)
        conflict = is_conflicting([labels.get(i) for i in ids])
        out.append(NewDuplicateGroup(g.kind.value, ids, g.similarity, conflict))
    return out


def _managed_project(uow: UnitOfWork, actor: Actor, project_id: ProjectId) -> Project:
    project = visible_project(uow, actor, project_id)
    require(can_manage_project(actor, project), f"clean project {project_id}")
    return project


def _find_groups(
    scan: _Scan,
    opts: DedupOptions,
    embedder: Embedder | None,
    progress: Callable[[int, int], None] | None,
) -> list[Group]:
    near_opts = NearDupOptions(
        threshold=opts.threshold, num_perm=opts.num_perm, shingle=opts.shingle
    )
    exact = exact_groups(scan.hashes)
    # A near group that is exactly an exact group (same payloads) says nothing more.
    seen = {g.members for g in exact}
    near = near_groups(scan.texts, options=near_opts, progress=progress)
    groups = exact + [g for g in near if g.members not in seen]
    if embedder is not None and scan.texts:
        vectors = embedder(scan.texts)
        groups += embedding_groups(vectors, threshold=opts.embedding_threshold)
    return groups


def run_dedup(
    uows: Callable[[], UnitOfWork],
    *,
    actor: Actor,
    project_id: ProjectId,
    options: DedupOptions = DedupOptions(),
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> DedupSummary:
    """Find duplicate groups and outliers of a project and store them (replacing the last run).

    Args:
        embedder: When given, also groups items whose embeddings are closer than
            ``options.embedding_threshold`` (exhaustive: up to about 100k items).

    Raises:
        ProjectNotFound, PermissionDenied: not a manager of the project.
    """
    t0 = time.perf_counter()
    with uows().reading() as uow:
        project = _managed_project(uow, actor, project_id)
    outlier_fields = _outlier_fields(project, options)
    scan = _scan(uows, project, options, outlier_fields, progress)
    n = len(scan.ids)
    signing = None
    if progress is not None:
        # Signatures are computed per distinct text: scale their count to the items'.
        signing = lambda done, total: progress(n + done * n // max(total, 1), 2 * n)  # noqa: E731
    groups = _new_groups(uows, scan, _find_groups(scan, options, embedder, signing))
    flags = _outlier_flags(scan, options)
    kinds = [k.value for k in DuplicateKind]
    with uows() as uow:
        uow.data_quality.replace_groups(project_id, groups, kinds=kinds)
        uow.data_quality.replace_flags(project_id, flags, source="clean")
        uow.commit()
    return DedupSummary(
        n_items=n,
        groups={k: sum(g.kind == k for g in groups) for k in kinds},
        items_in_groups={k: sum(len(g.item_ids) for g in groups if g.kind == k) for k in kinds},
        n_conflicting=sum(g.conflicting for g in groups),
        n_outliers=len(flags),
        seconds=round(time.perf_counter() - t0, 3),
    )


def enqueue_dedup(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, options: DedupOptions
) -> Job:
    """Queue a cleaning run; the job worker runs :func:`run_dedup` with progress."""
    with uow:
        _managed_project(uow, actor, project_id)
        job = uow.jobs.add(
            kind=JobKind.DEDUP,
            payload=options.to_dict(),
            project_id=project_id,
            created_by=actor.user_id,
            now=uow.now(),
        )
        uow.commit()
    return job
