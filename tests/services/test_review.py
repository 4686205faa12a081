"""Multi-round review on real SQLite and PostgreSQL: queue, accept / correct / reject with the
project counters, two stages, permissions and decisions on items not in review."""

from __future__ import annotations

import threading

import pytest

from shoplabel.domain.ids import ProjectId
from shoplabel.domain.items import ItemStatus
from shoplabel.domain.projects import parse_settings
from shoplabel.domain.reviews import REVIEW_METHOD, ReviewDecision, ReviewOutcome
from shoplabel.domain.users import Actor, Role
from shoplabel.errors import (
    InvalidInput,
    InvalidSettings,
    ItemNotInReview,
    LabelNotInSchema,
    PermissionDenied,
    ProjectNotFound,
)
from shoplabel.services import review
from tests.conftest import Database
from tests.factories import make_actor
from tests.services.review_crowd import DYNAMIC, build, label, split


def _counters(db: Database, project_id: ProjectId) -> tuple[int, int, int, int]:
    with db.uow().reading() as uow:
        c = uow.projects.get(project_id).counters
    return c.n_open, c.n_review, c.n_done, c.n_annotations


def test_review_queue_shows_labels_skills_and_posterior(db: Database) -> None:
    crowd = build(db.uow, n_items=2, gold=["same", None])
    item = split(db.uow, crowd)
    assert _counters(db, crowd.project.id) == (1, 1, 0, 3)
    q = review.review_queue(db.uow(), actor=crowd.reviewer, project_id=crowd.project.id)
    assert [v.item_id for v in q.items] == [item]
    assert q.stages == ("review",) and q.n_review == 1 and q.next_after_id is None
    v = q.items[0]
    assert v.stage == 0 and v.stage_name == "review" and v.gold is None
    assert v.proposal == v.consensus == "same"
    assert v.confidence == pytest.approx(0.7, abs=1e-4)
    assert [(x.worker_name, x.value) for x in v.labels] == [
        ("w0", "same"),
        ("w1", "different"),
        ("w2", "same"),
    ]
    assert all(x.model_accuracy is None and x.gold_accuracy is None for x in v.labels)
    # Managers see gold; reviewers never do.
    mq = review.review_queue(db.uow(), actor=crowd.owner, project_id=crowd.project.id)
    assert mq.items[0].gold == "same"


def test_review_accept_resolves_with_the_consensus_and_feeds_skill(db: Database) -> None:
    crowd = build(db.uow, n_items=2)
    item = split(db.uow, crowd)
    result = review.decide(
        db.uow(), actor=crowd.reviewer, item_id=item, decision=ReviewDecision.ACCEPT
    )
    assert result.outcome is ReviewOutcome.RESOLVED and result.status is ItemStatus.DONE
    assert result.final_value == "same" and result.record.value == "same"
    assert _counters(db, crowd.project.id) == (1, 0, 1, 3)
    with db.uow().reading() as uow:
        assert uow.items.get(item).status is ItemStatus.DONE
        cons = uow.consensus.get_many([item])[item]
        stats = uow.reviews.stats(crowd.project.id, None)
    assert (cons.value, cons.confidence, cons.method) == ("same", 1.0, REVIEW_METHOD)
    w = crowd.workers
    assert stats == {w[0].user_id: (1, 1), w[1].user_id: (1, 0), w[2].user_id: (1, 1)}
    with pytest.raises(ItemNotInReview) as e:
        review.decide(db.uow(), actor=crowd.reviewer, item_id=item, decision=ReviewDecision.ACCEPT)
    assert e.value.code == "item_not_in_review"


def test_review_correct_needs_a_reason_and_a_valid_label(db: Database) -> None:
    crowd = build(db.uow, n_items=1)
    item = split(db.uow, crowd)
    correct = ReviewDecision.CORRECT
    with pytest.raises(InvalidInput, match="reason"):
        review.decide(db.uow(), actor=crowd.reviewer, item_id=item, decision=correct, value="x")
    with pytest.raises(LabelNotInSchema):
        review.decide(
            db.uow(), actor=crowd.reviewer, item_id=item, decision=correct, value="x", reason="r"
        )
    result = review.decide(
        db.uow(),
        actor=crowd.owner,
        item_id=item,
        decision=correct,
        value="different",
        reason="model numbers differ",
    )
    assert result.final_value == "different" and result.status is ItemStatus.DONE
    assert _counters(db, crowd.project.id) == (0, 0, 1, 3)
    with db.uow().reading() as uow:
        assert uow.consensus.get_many([item])[item].value == "different"
        assert uow.reviews.stats(crowd.project.id, [crowd.workers[1].user_id]) == {
            crowd.workers[1].user_id: (1, 1)
        }


def test_review_reject_requeues_the_item_without_its_labels(db: Database) -> None:
    crowd = build(db.uow, n_items=1)
    item = split(db.uow, crowd)
    with pytest.raises(InvalidInput, match="reason"):
        review.decide(db.uow(), actor=crowd.reviewer, item_id=item, decision=ReviewDecision.REJECT)
    result = review.decide(
        db.uow(),
        actor=crowd.reviewer,
        item_id=item,
        decision=ReviewDecision.REJECT,
        reason="ambiguous listing, relabel",
    )
    assert result.outcome is ReviewOutcome.REQUEUED and result.n_rejected_labels == 3
    assert _counters(db, crowd.project.id) == (1, 0, 0, 0)
    with db.uow().reading() as uow:
        it = uow.items.get(item)
        assert (it.status, it.n_labels) == (ItemStatus.OPEN, 0)
        assert uow.consensus.get_many([item]) == {}
        assert {a.status.value for a in uow.annotations.list_for_item(item)} == {"rejected"}
    # A fresh worker labels it again; the counters follow.
    assert label(db.uow, crowd.workers[3], crowd.project, "same", None) == item
    assert _counters(db, crowd.project.id) == (1, 0, 0, 1)


def test_review_two_stages_pass_the_endorsed_label_on(db: Database) -> None:
    crowd = build(db.uow, n_items=1, settings={**DYNAMIC, "review_stages": ["review", "expert"]})
    item = split(db.uow, crowd)
    expert = make_actor(db.uow(), "expert", Role.REVIEWER)
    first = review.decide(
        db.uow(),
        actor=crowd.reviewer,
        item_id=item,
        decision=ReviewDecision.CORRECT,
        value="different",
        reason="variant differs",
        stage=0,
    )
    assert (first.outcome, first.status, first.stage) == (
        ReviewOutcome.NEXT_STAGE,
        ItemStatus.REVIEW,
        1,
    )
    assert _counters(db, crowd.project.id) == (0, 1, 0, 3)
    assert (
        review.review_queue(db.uow(), actor=expert, project_id=crowd.project.id, stage=0).items
        == ()
    )
    (v,) = review.review_queue(db.uow(), actor=expert, project_id=crowd.project.id, stage=1).items
    assert (v.stage_name, v.proposal, v.consensus) == ("expert", "different", "same")
    assert [h.decision for h in v.history] == [ReviewDecision.CORRECT]
    with pytest.raises(ItemNotInReview):  # the expert saw stage 0: it has moved on
        review.decide(db.uow(), actor=expert, item_id=item, decision=ReviewDecision.ACCEPT, stage=0)
    last = review.decide(
        db.uow(), actor=expert, item_id=item, decision=ReviewDecision.ACCEPT, stage=1
    )
    assert (last.outcome, last.final_value) == (ReviewOutcome.RESOLVED, "different")
    assert _counters(db, crowd.project.id) == (0, 0, 1, 3)


def test_review_refuses_workers_labellers_and_strangers(db: Database) -> None:
    crowd = build(db.uow, n_items=2)
    item = split(db.uow, crowd)
    with pytest.raises(PermissionDenied):
        review.review_queue(db.uow(), actor=crowd.workers[3], project_id=crowd.project.id)
    with pytest.raises(PermissionDenied):
        review.decide(
            db.uow(), actor=crowd.workers[3], item_id=item, decision=ReviewDecision.ACCEPT
        )
    other = make_actor(db.uow(), "other", Role.REQUESTER)
    with pytest.raises(ProjectNotFound):
        review.review_queue(db.uow(), actor=other, project_id=crowd.project.id)
    # A reviewer who labelled the item may not judge it.
    lab = make_actor(db.uow(), "rev-labeller", Role.REVIEWER)
    second = label(db.uow, lab, crowd.project, "same", None)
    with pytest.raises(ItemNotInReview):  # still open
        review.decide(db.uow(), actor=lab, item_id=second, decision=ReviewDecision.ACCEPT)
    assert label(db.uow, crowd.workers[1], crowd.project, "different", None) == second
    assert label(db.uow, crowd.workers[2], crowd.project, "same", None) == second
    with pytest.raises(PermissionDenied, match="you labelled"):
        review.decide(db.uow(), actor=lab, item_id=second, decision=ReviewDecision.ACCEPT)
    assert _counters(db, crowd.project.id) == (0, 2, 0, 6)


@pytest.mark.parametrize("bad", [[], ["a", "a"], [""], ["a"] * 6, "review", [1]])
def test_review_stages_setting_is_validated(bad: object) -> None:
    with pytest.raises(InvalidSettings) as e:
        parse_settings({"review_stages": bad})
    assert e.value.details == {"field": "review_stages"}


def test_review_stages_setting_round_trips() -> None:
    s = parse_settings({"review_stages": ["review", "expert"]})
    assert s.review_stages == ("review", "expert")
    assert parse_settings(s.to_dict()) == s
    assert s.to_dict()["review_stages"] == ["review", "expert"]


def test_review_concurrent_decisions_apply_once(db: Database) -> None:
    crowd = build(db.uow, n_items=1)
    item = split(db.uow, crowd)
    second = make_actor(db.uow(), "rev2", Role.REVIEWER)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(actor: Actor, decision: ReviewDecision) -> None:
        barrier.wait()
        try:
            review.decide(db.uow(), actor=actor, item_id=item, decision=decision, reason="r")
            outcomes.append(decision.value)
        except ItemNotInReview:
            outcomes.append("refused")

    threads = [
        threading.Thread(target=run, args=(crowd.reviewer, ReviewDecision.ACCEPT)),
        threading.Thread(target=run, args=(second, ReviewDecision.REJECT)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) in (["accept", "refused"], ["refused", "reject"])
    n_open, n_review, n_done, n_annotations = _counters(db, crowd.project.id)
    assert n_review == 0 and n_open + n_done == 1
    assert n_annotations == (3 if "accept" in outcomes else 0)
    with db.uow().reading() as uow:
        assert len(uow.reviews.list_for_items([item])[item]) == 1
