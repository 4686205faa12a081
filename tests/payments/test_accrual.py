"""Accrual on real SQLite and PostgreSQL: accepted labels are paid automatically, once, under
the rule version in force; rejected labels are reversed or withheld with their reason."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ledger import EntryKind
from shoplabel.domain.reviews import ReviewDecision
from shoplabel.domain.users import Role
from shoplabel.jobs.worker import JobWorker
from shoplabel.services import accrual, audit, earnings, ledger, pay_rules, pay_run, review
from shoplabel.services.worker_quality import reject_labels
from shoplabel.storage.uow import SqlUnitOfWork
from tests.conftest import Clock, Database
from tests.factories import make_actor
from tests.payments.pay_crowd import available, build, label_pairs
from tests.services.review_crowd import label


def test_accepted_labels_are_paid_once_and_balances_are_derived(db: Database) -> None:
    crowd = build(db.uow, n_items=4)
    label_pairs(db.uow, crowd, 3)
    # One more label on an item that is not done yet: not accepted, not paid.
    label(db.uow, crowd.workers[2], crowd.project, "same", 3000)
    report = pay_run.run(db.uow)
    assert report.n_entries == 6
    assert available(db.uow, crowd.workers[0])["available"] == 15
    assert available(db.uow, crowd.workers[1])["available"] == 15
    assert available(db.uow, crowd.workers[2])["available"] == 0
    again = pay_run.run(db.uow)
    # The second run reads the pay entries' own record (one per batch), and pays nothing new.
    assert (again.n_records, again.n_entries) == (1, 0)
    assert pay_run.run(db.uow).n_records == 0
    assert available(db.uow, crowd.workers[0])["available"] == 15
    check = ledger.check_balances(db.uow)
    assert check.n_entries == 6
    assert check.unbalanced == ()
    assert audit.verify(db.uow).ok


def test_replaying_the_trail_never_pays_twice(db: Database) -> None:
    crowd = build(db.uow, n_items=2)
    label_pairs(db.uow, crowd, 2)
    pay_run.run(db.uow)
    # Rewind the cursor as a crash between posting and moving it would: causes are unique.
    with db.uow() as uow:
        assert uow.audit.advance_cursor(accrual.CURSOR, uow.audit.cursor(accrual.CURSOR), new_seq=0)
        uow.commit()
    replay = accrual.accrue(db.uow)
    assert replay.n_records > 0
    assert replay.n_entries == 0
    assert available(db.uow, crowd.workers[0])["available"] == 10


def test_a_changed_rule_applies_only_from_its_version_on(db: Database, clock: Clock) -> None:
    crowd = build(db.uow, n_items=4)
    # build() stored version 1 at the real time; put the clock after it.
    clock.now = datetime.now(UTC)
    label_pairs(lambda: db.uow(clock), crowd, 1)
    clock.advance(60)
    pay_rules.set_rule(
        db.uow(clock),
        actor=crowd.owner,
        project_id=crowd.project.id,
        rule={"currency": "USD", "reward": 7},
    )
    clock.advance(60)
    label_pairs(lambda: db.uow(clock), crowd, 1)
    # The accrual runs after both: each label still gets its own version's amount.
    pay_run.run(lambda: db.uow(clock))
    assert available(db.uow, crowd.workers[0])["available"] == 5 + 7
    view = earnings.my_earnings(db.uow(), actor=crowd.workers[0])
    assert sorted(e.rule_version or 0 for e in view.entries) == [1, 2]


def test_daily_cap_withholds_the_excess_with_a_reason(db: Database) -> None:
    crowd = build(db.uow, n_items=5, rule={"currency": "CNY", "reward": 40, "daily_cap": 100})
    label_pairs(db.uow, crowd, 4)
    pay_run.run(db.uow)
    assert available(db.uow, crowd.workers[0], "CNY")["available"] == 100
    view = earnings.my_earnings(db.uow(), actor=crowd.workers[0])
    capped = [e for e in view.entries if e.withheld]
    assert sum(e.withheld for e in capped) == 60
    assert all(e.memo == "daily cap reached" for e in capped)


def test_difficulty_and_template_rewards(db: Database) -> None:
    rule = {
        "currency": "USD",
        "reward": 1,
        "by_template": {"product_matching": 3},
        "by_difficulty": [{"min_labels": 3, "reward": 9}],
    }
    crowd = build(db.uow, n_items=2, rule=rule, settings={"max_overlap": 3, "min_overlap": 3})
    for w in crowd.workers:
        label(db.uow, w, crowd.project, "same", 3000)
    pay_run.run(db.uow)
    assert [available(db.uow, w)["available"] for w in crowd.workers] == [9, 9, 9]


def test_review_reject_withholds_and_charges_the_penalty(db: Database) -> None:
    settings = {
        "overlap_mode": "dynamic",
        "min_overlap": 2,
        "max_overlap": 3,
        "target_confidence": 0.8,
    }
    rule = {"currency": "USD", "reward": 10, "rejected_penalty": 2}
    crowd = build(db.uow, n_items=3, rule=rule, settings=settings)
    w = crowd.workers
    item = label(db.uow, w[0], crowd.project, "same", 1000)
    assert label(db.uow, w[1], crowd.project, "different", 1000) == item
    assert label(db.uow, w[2], crowd.project, "same", 1000) == item
    reviewer = make_actor(db.uow(), "rev", Role.REVIEWER)
    review.decide(
        db.uow(), actor=reviewer, item_id=item, decision=ReviewDecision.REJECT, reason="all wrong"
    )
    pay_run.run(db.uow)
    for worker in w:
        assert available(db.uow, worker)["available"] == -2
        view = earnings.my_earnings(db.uow(), actor=worker)
        kinds = sorted(e.kind.value for e in view.rejections)
        assert kinds == ["penalty", "withheld"]
        assert all("all wrong" in e.memo for e in view.rejections)


def test_review_accept_pays_with_agreement_scores(db: Database) -> None:
    settings = {
        "overlap_mode": "dynamic",
        "min_overlap": 2,
        "max_overlap": 3,
        "target_confidence": 0.8,
    }
    crowd = build(db.uow, n_items=3, settings=settings)
    w = crowd.workers
    item = label(db.uow, w[0], crowd.project, "same", 1000)
    label(db.uow, w[1], crowd.project, "different", 1000)
    label(db.uow, w[2], crowd.project, "same", 1000)
    reviewer = make_actor(db.uow(), "rev", Role.REVIEWER)
    review.decide(db.uow(), actor=reviewer, item_id=item, decision=ReviewDecision.ACCEPT)
    pay_run.run(db.uow)
    scores = {}
    for worker in w:
        (entry,) = earnings.my_earnings(db.uow(), actor=worker).entries
        scores[worker.username] = entry.score
    assert scores == {"w0": 1.0, "w1": 0.0, "w2": 1.0}


def test_quality_rejection_reverses_paid_rewards(db: Database) -> None:
    crowd = build(db.uow, n_items=3, rule={"currency": "USD", "reward": 5, "rejected_penalty": 1})
    label_pairs(db.uow, crowd, 2)
    pay_run.run(db.uow)
    assert available(db.uow, crowd.workers[0])["available"] == 10
    with db.uow() as uow:
        project = uow.projects.get(crowd.project.id)
        uow.workers.add_event(
            project.id, crowd.workers[0].user_id, rule="spam", actions=[], reason="too fast"
        )
        assert reject_labels(uow, project, crowd.workers[0].user_id) == 2
        uow.commit()
    pay_run.run(db.uow)
    assert available(db.uow, crowd.workers[0])["available"] == -2
    assert available(db.uow, crowd.workers[1])["available"] == 10
    view = earnings.my_earnings(db.uow(), actor=crowd.workers[0])
    assert {e.kind for e in view.rejections} == {EntryKind.REVERSAL, EntryKind.PENALTY}
    assert all(e.memo == "rejected: too fast" for e in view.rejections)
    assert ledger.check_balances(db.uow).unbalanced == ()


def test_gold_answers_are_paid_when_right_and_withheld_when_wrong(db: Database) -> None:
    crowd = build(
        db.uow,
        n_items=2,
        rule={"currency": "USD", "reward": 4},
        settings={"gold_rate": 0.5, "gold_min_every": 1},
        gold=["same", "same"],
    )
    w0, w1 = crowd.workers[0], crowd.workers[1]
    label(db.uow, w0, crowd.project, "same", 3000)
    label(db.uow, w1, crowd.project, "different", 3000)
    pay_run.run(db.uow)
    assert available(db.uow, w0)["available"] == 4
    assert available(db.uow, w1)["available"] == 0
    (withheld,) = earnings.my_earnings(db.uow(), actor=w1).rejections
    assert withheld.memo == "wrong answer on a control item"


def test_no_rule_no_pay_and_submits_are_audited(db: Database) -> None:
    crowd = build(db.uow, n_items=2, rule=None)
    label_pairs(db.uow, crowd, 1)
    report = pay_run.run(db.uow)
    assert (report.n_records, report.n_entries) == (2, 0)
    with db.uow().reading() as uow:
        bodies = [b for _, b in uow.audit.sealed_after(0, limit=10)]
    assert all(AuditKind.LABEL_SUBMITTED.value in b for b in bodies)
    assert '"accepted":true' in bodies[1]


def test_bad_rules_are_refused_with_codes_and_nothing_stored(db: Database) -> None:
    from shoplabel.errors import InvalidPayRule, PayRuleNegative, PayRuleOverflow, UnknownCurrency

    crowd = build(db.uow, n_items=1)
    cases = [
        ({"currency": "USD", "reward": -1}, PayRuleNegative),
        ({"currency": "USD", "reward": 10**13}, PayRuleOverflow),
        ({"currency": "XXX", "reward": 1}, UnknownCurrency),
        ({"currency": "USD", "reward": 1.5}, InvalidPayRule),
        ({"currency": "EUR", "reward": 1}, InvalidPayRule),  # currency change
    ]
    for rule, error in cases:
        with pytest.raises(error):
            pay_rules.set_rule(db.uow(), actor=crowd.owner, project_id=crowd.project.id, rule=rule)
    assert [
        v.version
        for v in pay_rules.list_rules(db.uow(), actor=crowd.owner, project_id=crowd.project.id)
    ] == [1]


def test_quality_bonus_by_tier_after_the_period(db: Database, clock: Clock) -> None:
    def uows() -> SqlUnitOfWork:
        return db.uow(clock)

    clock.now = datetime(2026, 1, 7, 9, tzinfo=UTC)
    bonus = {
        "metric": "agreement",
        "period_days": 7,
        "min_labels": 2,
        "tiers": [{"min_score": 0.5, "bp": 500}, {"min_score": 0.99, "bp": 1000}],
    }
    crowd = build(uows, n_items=4, rule={"currency": "USD", "reward": 100, "bonus": bonus})
    label_pairs(uows, crowd, 3)
    pay_run.run(uows)
    start = date(1970, 1, 1) + timedelta(days=(clock.now.date() - date(1970, 1, 1)).days // 7 * 7)
    end = start + timedelta(days=7)
    # Inside the period: nothing yet.
    assert pay_run.run(uows).n_bonuses == 0
    clock.now = datetime(end.year, end.month, end.day, 1, tzinfo=UTC)
    report = pay_run.run(uows)
    assert report.n_bonuses == 2
    assert available(uows, crowd.workers[0])["available"] == 300 + 30
    (entry,) = earnings.my_earnings(uows(), actor=crowd.workers[0], limit=1).entries
    assert entry.kind is EntryKind.BONUS and "agreement 100.0% on 3 labels" in entry.memo
    assert pay_run.run(uows).n_bonuses == 0  # once per worker and period


def test_the_job_worker_accrues_pay_by_itself(db: Database) -> None:
    crowd = build(db.uow, n_items=2)
    label_pairs(db.uow, crowd, 1)
    worker = JobWorker(db.uow, poll_seconds=0.05, pay_run_seconds=0.05)
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while available(db.uow, crowd.workers[0])["available"] == 0:
            assert time.monotonic() < deadline, "the job worker did not accrue pay"
            time.sleep(0.1)
    finally:
        worker.stop()
    assert available(db.uow, crowd.workers[1])["available"] == 5


def test_labels_rejected_before_the_run_are_never_paid(db: Database) -> None:
    crowd = build(db.uow, n_items=3)
    label_pairs(db.uow, crowd, 2)
    with db.uow() as uow:
        reject_labels(uow, uow.projects.get(crowd.project.id), crowd.workers[0].user_id)
        uow.commit()
    report = pay_run.run(db.uow)  # acceptance and rejection in one accrual batch
    assert report.n_entries == 4  # w1's two rewards, w0's two "withheld"
    assert available(db.uow, crowd.workers[0])["available"] == 0
    assert available(db.uow, crowd.workers[1])["available"] == 10
    kinds = {e.kind for e in earnings.my_earnings(db.uow(), actor=crowd.workers[0]).entries}
    assert kinds == {EntryKind.WITHHELD}
