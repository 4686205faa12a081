"""Wire schemas of payments: pay rules, earnings, costs, leaderboards, payouts, audit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from shoplabel.domain.ledger import LedgerEntry, WorkerBalance
from shoplabel.domain.money import format_amount
from shoplabel.domain.pay_rules import PayRuleVersion
from shoplabel.domain.payouts import PayoutBatch, PayoutLine
from shoplabel.services.audit import VerifyReport
from shoplabel.services.costs import ProjectCosts
from shoplabel.services.earnings import Earnings
from shoplabel.services.leaderboards import Leaderboard
from shoplabel.services.pay_run import PayRunReport
from shoplabel.services.payouts import ConfirmReport

__all__ = [
    "AuditVerifyRead",
    "ConfirmRead",
    "ConfirmRowCreate",
    "CostsRead",
    "EarningsRead",
    "LeaderboardRead",
    "OptInUpdate",
    "PayRuleRead",
    "PayRunRead",
    "PayoutBatchCreate",
    "PayoutBatchRead",
    "PayoutLineRead",
]


class PayRuleRead(BaseModel):
    version: int
    rule: dict[str, Any]
    created_at: datetime

    @classmethod
    def from_domain(cls, v: PayRuleVersion) -> PayRuleRead:
        return cls(version=v.version, rule=v.rule.to_dict(), created_at=v.created_at)


class BalanceRead(BaseModel):
    """Minor units of ``currency``; ``pending`` = ``available`` + ``in_payout``."""

    currency: str
    available: int
    in_payout: int
    pending: int
    paid: int
    earned: int

    @classmethod
    def from_domain(cls, b: WorkerBalance) -> BalanceRead:
        return cls(
            currency=b.currency,
            available=b.available,
            in_payout=b.in_payout,
            pending=b.pending,
            paid=b.paid,
            earned=b.earned,
        )


class EntryRead(BaseModel):
    id: int
    kind: str
    currency: str
    amount: int
    amount_text: str
    withheld: int
    project_id: int | None
    work_day: date | None
    rule_version: int | None
    reason: str
    created_at: datetime

    @classmethod
    def from_domain(cls, e: LedgerEntry) -> EntryRead:
        return cls(
            id=e.id,
            kind=e.kind.value,
            currency=e.currency,
            amount=e.amount,
            amount_text=format_amount(e.amount, e.currency),
            withheld=e.withheld,
            project_id=e.project_id,
            work_day=e.work_day,
            rule_version=e.rule_version,
            reason=e.memo,
            created_at=e.created_at,
        )


class PayoutLineRead(BaseModel):
    id: int
    batch_id: int
    reference: str
    worker_id: int
    username: str
    currency: str
    amount: int
    status: str
    provider_ref: str
    settled_at: datetime | None

    @classmethod
    def from_domain(cls, x: PayoutLine) -> PayoutLineRead:
        return cls(
            id=x.id,
            batch_id=x.batch_id,
            reference=x.reference,
            worker_id=x.worker_id,
            username=x.username,
            currency=x.currency,
            amount=x.amount,
            status=x.status.value,
            provider_ref=x.provider_ref,
            settled_at=x.settled_at,
        )


class ProjectAccuracyRead(BaseModel):
    project_id: int
    project_name: str
    gold_accuracy: float | None
    n_gold: int


class EarningsRead(BaseModel):
    """Your balances per currency, your latest entries, every rejection with its reason, your
    payouts and your gold accuracy in the projects you earned in."""

    balances: list[BalanceRead]
    entries: list[EntryRead]
    rejections: list[EntryRead]
    payouts: list[PayoutLineRead]
    projects: list[ProjectAccuracyRead]
    next_before_id: int | None

    @classmethod
    def from_domain(cls, e: Earnings) -> EarningsRead:
        return cls(
            balances=[BalanceRead.from_domain(b) for b in e.balances],
            entries=[EntryRead.from_domain(x) for x in e.entries],
            rejections=[EntryRead.from_domain(x) for x in e.rejections],
            payouts=[PayoutLineRead.from_domain(x) for x in e.payouts],
            projects=[
                ProjectAccuracyRead(
                    project_id=p.project_id,
                    project_name=p.project_name,
                    gold_accuracy=p.gold_accuracy,
                    n_gold=p.n_gold,
                )
                for p in e.projects
            ],
            next_before_id=e.next_before_id,
        )


class DayCostRead(BaseModel):
    day: date
    spend: int
    n_accepted: int
    cum_spend: int


class CurvePointRead(BaseModel):
    n_labels: int
    n_items: int
    cost_per_item: float
    mean_confidence: float


class CostsRead(BaseModel):
    """Amounts in minor units of ``currency``."""

    project_id: int
    currency: str | None
    spent: int
    n_accepted: int
    cost_per_label: float | None
    by_day: list[DayCostRead]
    cost_vs_accuracy: list[CurvePointRead]
    rules: list[PayRuleRead]

    @classmethod
    def from_domain(cls, c: ProjectCosts) -> CostsRead:
        return cls(
            project_id=c.project_id,
            currency=c.currency,
            spent=c.spent,
            n_accepted=c.n_accepted,
            cost_per_label=c.cost_per_label,
            by_day=[
                DayCostRead(
                    day=d.day, spend=d.spend, n_accepted=d.n_accepted, cum_spend=d.cum_spend
                )
                for d in c.by_day
            ],
            cost_vs_accuracy=[
                CurvePointRead(
                    n_labels=p.n_labels,
                    n_items=p.n_items,
                    cost_per_item=p.cost_per_item,
                    mean_confidence=p.mean_confidence,
                )
                for p in c.curve
            ],
            rules=[PayRuleRead.from_domain(v) for v in c.rules],
        )


class LeaderboardRowRead(BaseModel):
    rank: int
    name: str
    n_accepted: int
    earned: int
    gold_accuracy: float | None
    is_me: bool


class LeaderboardRead(BaseModel):
    project_id: int
    enabled: bool
    period: str
    start: date
    end: date
    currency: str | None
    opted_in: bool
    rows: list[LeaderboardRowRead]

    @classmethod
    def from_domain(cls, b: Leaderboard) -> LeaderboardRead:
        return cls(
            project_id=b.project_id,
            enabled=b.enabled,
            period=b.period.value,
            start=b.start,
            end=b.end,
            currency=b.currency,
            opted_in=b.opted_in,
            rows=[
                LeaderboardRowRead(
                    rank=r.rank,
                    name=r.name,
                    n_accepted=r.n_accepted,
                    earned=r.earned,
                    gold_accuracy=r.gold_accuracy,
                    is_me=r.is_me,
                )
                for r in b.rows
            ],
        )


class OptInUpdate(BaseModel):
    opt_in: bool
    display_name: str = Field(default="", max_length=200)


class PayRunRead(BaseModel):
    n_sealed: int
    n_records: int
    n_entries: int
    n_bonuses: int
    head_seq: int

    @classmethod
    def from_domain(cls, r: PayRunReport) -> PayRunRead:
        return cls(
            n_sealed=r.n_sealed,
            n_records=r.n_records,
            n_entries=r.n_entries,
            n_bonuses=r.n_bonuses,
            head_seq=r.head_seq,
        )


class PayoutBatchCreate(BaseModel):
    currency: str = Field(min_length=3, max_length=3)
    minimum: int = Field(ge=1, description="Minor units: balances below it wait for a later batch.")


class PayoutBatchRead(BaseModel):
    id: int
    currency: str
    minimum: int
    status: str
    n_lines: int
    total: int
    created_at: datetime
    settled_at: datetime | None

    @classmethod
    def from_domain(cls, b: PayoutBatch) -> PayoutBatchRead:
        return cls(
            id=b.id,
            currency=b.currency,
            minimum=b.minimum,
            status=b.status.value,
            n_lines=b.n_lines,
            total=b.total,
            created_at=b.created_at,
            settled_at=b.settled_at,
        )


class ConfirmRowCreate(BaseModel):
    reference: str
    status: str
    amount_minor: int
    provider_ref: str = ""


class ConfirmRead(BaseModel):
    batch_id: int
    n_paid: int
    n_failed: int
    n_unchanged: int
    settled: bool

    @classmethod
    def from_domain(cls, r: ConfirmReport) -> ConfirmRead:
        return cls(
            batch_id=r.batch_id,
            n_paid=r.n_paid,
            n_failed=r.n_failed,
            n_unchanged=r.n_unchanged,
            settled=r.settled,
        )


class AuditVerifyRead(BaseModel):
    ok: bool
    head_seq: int
    n_checked: int
    n_unsealed: int
    broken_seq: int | None
    broken_reason: str | None
    detail: str | None

    @classmethod
    def from_domain(cls, r: VerifyReport) -> AuditVerifyRead:
        b = r.broken
        return cls(
            ok=r.ok,
            head_seq=r.head_seq,
            n_checked=r.n_checked,
            n_unsealed=r.n_unsealed,
            broken_seq=None if b is None else b.seq,
            broken_reason=None if b is None else b.reason.value,
            detail=None if b is None else b.detail,
        )
