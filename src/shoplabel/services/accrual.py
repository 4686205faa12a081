"""Pay accrual: turn accepted and rejected labels into ledger entries, automatically.

Reads the sealed audit trail after its cursor (``pay_cursors.accrual``) in batches: a label
accepted (its item reached consensus, or review resolved it, or a control answer was scored)
earns the project's reward under the pay rule version in force when it was accepted; a label
rejected (by review or by a quality rule) has its reward reversed and any penalty charged.
Nothing here runs inside submit: the request path only writes its audit record.

Safety: the cursor moves by a conditional UPDATE taken first in the transaction, so two
accrual runs never process the same records; and every entry's ``cause`` is unique
(``reward:label:<id>``, ``reversal:label:<id>``, ``penalty:label:<id>``), so even a replay
cannot pay twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shoplabel.domain.annotations import Annotation, AnnotationSource, AnnotationStatus
from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ids import ItemId, ProjectId, UserId
from shoplabel.domain.ledger import EntryKind, LedgerEntry, NewEntry, transfer
from shoplabel.domain.pay_rules import PayRuleVersion, apply_cap, reward_for, rule_at
from shoplabel.domain.ports import ConsensusWrite, UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.services.ledger import project_account, record_entries, worker_account

__all__ = ["CURSOR", "AccrualReport", "accrue"]

CURSOR = "accrual"
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class AccrualReport:
    n_records: int
    n_entries: int
    cursor: int


def _agreement_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class _Batch:
    """One accrual transaction: caches of projects, rules and today's earnings."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.pending: dict[str, NewEntry] = {}
        self._labels: dict[ItemId, list[Annotation]] = {}
        self._consensus: dict[ItemId, ConsensusWrite] = {}
        self._known: set[str] = set()
        self._stored: set[str] = set()
        self._projects: dict[ProjectId, Project] = {}
        self._rules: dict[ProjectId, list[PayRuleVersion]] = {}
        self._earned: dict[tuple[ProjectId, UserId, date], int] = {}

    def project(self, project_id: ProjectId) -> Project:
        if project_id not in self._projects:
            self._projects[project_id] = self.uow.projects.get(project_id)
        return self._projects[project_id]

    def rule(self, project_id: ProjectId, at: datetime) -> PayRuleVersion | None:
        if project_id not in self._rules:
            self._rules[project_id] = self.uow.pay_rules.list_for(project_id)
        return rule_at(self._rules[project_id], at)

    def post(self, entry: NewEntry) -> None:
        """Queue ``entry``; the batch's entries are written together by :meth:`flush`."""
        self.pending.setdefault(entry.cause, entry)

    def find(self, cause: str) -> NewEntry | LedgerEntry | None:
        """An entry of this batch not written yet, else the stored one."""
        return self.pending.get(cause) or self.uow.ledger.find(cause)

    def existing(self, causes: list[str]) -> set[str]:
        stored = {c for c in causes if c in self._stored}
        unknown = [c for c in causes if c not in self._known]
        return {c for c in causes if c in self.pending} | stored | self.uow.ledger.existing(unknown)

    def prefetch(self, item_ids: list[ItemId]) -> None:
        """Read the labels, consensus and reward entries of the batch's accepted items in
        three queries instead of three per item."""
        self._labels = self.uow.annotations.list_for_items(item_ids)
        self._consensus = self.uow.consensus.get_many(item_ids)
        causes = [f"reward:label:{a.id}" for rows in self._labels.values() for a in rows]
        self._known = set(causes)
        self._stored = self.uow.ledger.existing(causes)

    def labels(self, item_id: ItemId) -> list[Annotation]:
        if item_id in self._labels:
            return self._labels[item_id]
        return self.uow.annotations.list_for_item(item_id)

    def consensus(self, item_id: ItemId) -> ConsensusWrite | None:
        if item_id in self._labels:
            return self._consensus.get(item_id)
        return self.uow.consensus.get_many([item_id]).get(item_id)

    def flush(self) -> int:
        """Write the queued entries (those whose cause is new) and their one audit record."""
        posted = self.uow.ledger.post_many(list(self.pending.values()), now=self.uow.now())
        record_entries(self.uow, posted)
        return len(posted)

    def earned(self, key: tuple[ProjectId, UserId, date]) -> int:
        if key not in self._earned:
            self._earned[key] = self.uow.ledger.earned_on_day(*key)
        return self._earned[key]

    def reward(
        self,
        v: PayRuleVersion,
        a: Annotation,
        *,
        amount: int,
        score: tuple[float, str],
        day: date,
    ) -> None:
        """Pay one accepted label, within the daily cap."""
        key = (a.project_id, a.worker_id, day)
        paid, withheld = apply_cap(amount, earned_today=self.earned(key), cap=v.rule.daily_cap)
        self._earned[key] = self.earned(key) + paid
        currency = v.rule.currency
        self.post(
            NewEntry(
                cause=f"reward:label:{a.id}",
                kind=EntryKind.REWARD,
                currency=currency,
                postings=transfer(
                    project_account(a.project_id, currency),
                    worker_account(a.worker_id, currency),
                    paid,
                ),
                amount=paid,
                withheld=withheld,
                project_id=a.project_id,
                worker_id=a.worker_id,
                work_day=day,
                rule_version=v.version,
                score=score[0],
                score_kind=score[1],
                memo="daily cap reached" if withheld else "",
            )
        )

    def withhold(
        self,
        v: PayRuleVersion,
        a: Annotation,
        *,
        reason: str,
        day: date,
        score: tuple[float, str] | None = None,
    ) -> None:
        """Record that a label is not paid, and why (no money moves)."""
        self.post(
            NewEntry(
                cause=f"reward:label:{a.id}",
                kind=EntryKind.WITHHELD,
                currency=v.rule.currency,
                postings=(),
                amount=0,
                withheld=reward_for(
                    v.rule, template=self.project(a.project_id).template, n_labels=0
                ),
                project_id=a.project_id,
                worker_id=a.worker_id,
                work_day=day,
                rule_version=v.version,
                score=None if score is None else score[0],
                score_kind=None if score is None else score[1],
                memo=reason,
            )
        )


def _final_value(b: _Batch, item_id: ItemId, labels: list[Annotation]) -> Any:
    consensus = b.consensus(item_id)
    if consensus is not None:
        return consensus.value
    counts = Counter(_agreement_key(a.value) for a in labels)
    return json.loads(counts.most_common(1)[0][0]) if counts else None


def _accept_item(b: _Batch, body: Mapping[str, Any], at: datetime) -> None:
    project_id, item_id = ProjectId(body["project_id"]), ItemId(body["item_id"])
    v = b.rule(project_id, at)
    if v is None:
        return
    labels = [
        a
        for a in b.labels(item_id)
        if a.status is AnnotationStatus.VALID and a.source is AnnotationSource.HUMAN
    ]
    done = b.existing([f"reward:label:{a.id}" for a in labels])
    final = _agreement_key(_final_value(b, item_id, labels))
    amount = reward_for(v.rule, template=b.project(project_id).template, n_labels=len(labels))
    for a in labels:
        if f"reward:label:{a.id}" in done:
            continue
        agreed = 1.0 if _agreement_key(a.value) == final else 0.0
        b.reward(v, a, amount=amount, score=(agreed, "agreement"), day=a.created_at.date())


def _gold_scored(b: _Batch, body: Mapping[str, Any], at: datetime) -> None:
    project_id = ProjectId(body["project_id"])
    v = b.rule(project_id, at)
    if v is None:
        return
    a = Annotation(
        id=body["annotation_id"],
        item_id=ItemId(body["item_id"]),
        project_id=project_id,
        worker_id=UserId(body["worker_id"]),
        value=None,
        source=AnnotationSource.HUMAN,
        status=AnnotationStatus.VALID,
        duration_ms=None,
        created_at=at,
    )
    credit = float(body["gold_credit"])
    if credit >= v.rule.gold_pass:
        amount = reward_for(v.rule, template=b.project(project_id).template, n_labels=0)
        b.reward(v, a, amount=amount, score=(credit, "gold"), day=at.date())
    else:
        b.withhold(
            v, a, reason="wrong answer on a control item", day=at.date(), score=(credit, "gold")
        )


def _reject(b: _Batch, a: Annotation, *, reason: str, at: datetime) -> None:
    """Take back a rejected label's reward (or record it unpaid) and charge any penalty."""
    v = b.rule(a.project_id, at)
    if v is None:
        return
    currency = v.rule.currency
    reward = b.find(f"reward:label:{a.id}")
    if reward is None:
        b.withhold(v, a, reason=f"rejected: {reason}", day=a.created_at.date())
    elif reward.kind is EntryKind.REWARD and reward.amount > 0 and v.rule.withhold_rejected:
        b.post(
            NewEntry(
                cause=f"reversal:label:{a.id}",
                kind=EntryKind.REVERSAL,
                currency=reward.currency,
                postings=transfer(
                    worker_account(a.worker_id, reward.currency),
                    project_account(a.project_id, reward.currency),
                    reward.amount,
                ),
                amount=-reward.amount,
                project_id=a.project_id,
                worker_id=a.worker_id,
                work_day=reward.work_day,
                rule_version=v.version,
                memo=f"rejected: {reason}",
            )
        )
    if v.rule.rejected_penalty:
        b.post(
            NewEntry(
                cause=f"penalty:label:{a.id}",
                kind=EntryKind.PENALTY,
                currency=currency,
                postings=transfer(
                    worker_account(a.worker_id, currency),
                    project_account(a.project_id, currency),
                    v.rule.rejected_penalty,
                ),
                amount=-v.rule.rejected_penalty,
                project_id=a.project_id,
                worker_id=a.worker_id,
                work_day=a.created_at.date(),
                rule_version=v.version,
                memo=f"rejected: {reason}",
            )
        )


def _review(b: _Batch, body: Mapping[str, Any], at: datetime) -> None:
    if body["outcome"] == "resolved":
        _accept_item(b, body, at)
    elif body["outcome"] == "requeued":
        for a in b.uow.annotations.list_for_item(ItemId(body["item_id"])):
            if a.status is AnnotationStatus.REJECTED:
                _reject(b, a, reason=str(body.get("reason") or "review"), at=at)


def _quality_rejected(b: _Batch, body: Mapping[str, Any], at: datetime) -> None:
    project_id, worker_id = ProjectId(body["project_id"]), UserId(body["worker_id"])
    events = b.uow.workers.events(project_id, worker_id=worker_id, limit=1)
    reason = events[0].reason if events else "a quality rule rejected your labels"
    after = 0
    while True:
        rows = b.uow.annotations.list_for_worker(project_id, worker_id, after_id=after, limit=_PAGE)
        for a in rows:
            if a.status is AnnotationStatus.REJECTED:
                _reject(b, a, reason=reason, at=at)
        if len(rows) < _PAGE:
            return
        after = rows[-1].id


def _accepts_item(body: Mapping[str, Any]) -> bool:
    kind = body.get("kind")
    return (kind == AuditKind.LABEL_SUBMITTED and bool(body.get("accepted"))) or (
        kind == AuditKind.REVIEW_DECIDED and body.get("outcome") == "resolved"
    )


def _handle(b: _Batch, body: Mapping[str, Any]) -> None:
    kind, at = body.get("kind"), datetime.fromisoformat(body["at"])
    if kind == AuditKind.LABEL_SUBMITTED:
        if body.get("gold_credit") is not None:
            _gold_scored(b, body, at)
        if body.get("accepted"):
            _accept_item(b, body, at)
    elif kind == AuditKind.REVIEW_DECIDED:
        _review(b, body, at)
    elif kind == AuditKind.LABELS_REJECTED:
        _quality_rejected(b, body, at)


def _run_batch(uow: UnitOfWork, batch: int) -> tuple[int, int, int]:
    cursor = uow.audit.cursor(CURSOR)
    records = uow.audit.sealed_after(cursor, limit=batch)
    if not records:
        return 0, 0, cursor
    new_cursor = records[-1][0]
    # Taken first: a concurrent run waits here, then finds the cursor moved and stops.
    if not uow.audit.advance_cursor(CURSOR, cursor, new_seq=new_cursor):
        return -1, 0, cursor
    b = _Batch(uow)
    bodies = [json.loads(body) for _, body in records]
    b.prefetch([ItemId(x["item_id"]) for x in bodies if _accepts_item(x)])
    for body in bodies:
        _handle(b, body)
    n_entries = b.flush()
    uow.commit()
    return len(records), n_entries, new_cursor


def accrue(
    uows: Callable[[], UnitOfWork], *, batch: int = 2000, max_batches: int = 1000
) -> AccrualReport:
    """Process sealed audit records after the cursor; one transaction per ``batch``."""
    n_records = n_entries = 0
    cursor = 0
    for _ in range(max_batches):
        with uows() as uow:
            n, e, cursor = _run_batch(uow, batch)
        if n <= 0:
            break
        n_records += n
        n_entries += e
    return AccrualReport(n_records=n_records, n_entries=n_entries, cursor=cursor)
