"""Quality bonuses: after each period, workers whose gold accuracy or agreement reached a
tier get a share of that period's rewards. Idempotent: one ``bonus:<project>:<worker>:<start>``
entry per worker and period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.ledger import EntryKind, NewEntry, transfer
from shoplabel.domain.pay_rules import BonusMetric, bonus_amount, last_complete_period, rule_at
from shoplabel.domain.ports import UnitOfWork
from shoplabel.services.ledger import post, project_account, worker_account

__all__ = ["SCORE_KIND", "run_bonuses"]

#: The ledger ``score_kind`` each bonus metric is measured on.
SCORE_KIND = {BonusMetric.GOLD_ACCURACY: "gold", BonusMetric.AGREEMENT: "agreement"}


def _project_bonuses(uow: UnitOfWork, project_id: ProjectId, today: date) -> int:
    versions = uow.pay_rules.list_for(project_id)
    current = rule_at(versions, uow.now())
    if current is None or current.rule.bonus is None:
        return 0
    start, end = last_complete_period(today, current.rule.bonus.period_days)
    v = rule_at(versions, datetime(end.year, end.month, end.day, tzinfo=UTC))
    if v is None or v.rule.bonus is None:
        return 0
    policy, currency = v.rule.bonus, v.rule.currency
    scores = uow.ledger.period_scores(
        project_id, start=start, end=end, score_kind=SCORE_KIND[policy.metric]
    )
    totals = uow.ledger.period_totals(project_id, start=start, end=end)
    posted = 0
    for worker_id, (n, total_score) in sorted(scores.items()):
        score = total_score / n
        amount, tier = bonus_amount(
            policy, score=score, n_scored=n, base=totals.get(worker_id, (0, 0))[1]
        )
        if tier is None or amount <= 0:
            continue
        posted += post(
            uow,
            NewEntry(
                cause=f"bonus:{project_id}:{worker_id}:{start.isoformat()}",
                kind=EntryKind.BONUS,
                currency=currency,
                postings=transfer(
                    project_account(project_id, currency),
                    worker_account(worker_id, currency),
                    amount,
                ),
                amount=amount,
                project_id=project_id,
                worker_id=worker_id,
                work_day=end - timedelta(days=1),
                rule_version=v.version,
                memo=(
                    f"{policy.metric.value} {score:.1%} on {n} labels, {start}..{end}: tier >= "
                    f"{tier.min_score:.0%} pays {tier.bp / 100:g}% of the period's rewards"
                ),
            ),
        )
    return posted


def run_bonuses(uows: Callable[[], UnitOfWork], *, today: date | None = None) -> int:
    """Post the bonuses of every project's last complete period; return how many were new."""
    with uows().reading() as uow:
        project_ids = uow.pay_rules.projects_with_rules()
        day = today or uow.now().date()
    posted = 0
    for project_id in project_ids:
        with uows() as uow:
            n = _project_bonuses(uow, project_id, day)
            uow.commit()
        posted += n
    return posted
