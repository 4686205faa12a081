"""The quality report on a toy crowd with hand-checked numbers (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shoplabel.domain.reviews import ReviewDecision
from shoplabel.domain.users import Role
from shoplabel.errors import PermissionDenied
from shoplabel.services import quality_report as qr
from shoplabel.services import review
from tests.conftest import Database
from tests.factories import make_actor
from tests.services.review_crowd import Crowd, build, label, split

FIXED = {"overlap_mode": "fixed", "max_overlap": 3}

#: item -> answers of workers 0, 1, 2. Coincidences: o_ss = 3 + 1, o_sd = o_ds = 1, o_dd = 3;
#: n_s = 5, n_d = 4, n = 9; D_o = 2/9, D_e = 2 * 5 * 4 / (9 * 8) = 5/9; alpha = 1 - 0.4 = 0.6.
ANSWERS = (("same", "same", "same"), ("same", "same", "different"), ("different",) * 3)
DURATIONS = ((1000, 4000, None), (2000, 4000, None), (3000, 4000, None))
#: Online posterior with the prior skill 0.7: 3 agreeing -> 0.343 / 0.37; 2-1 -> 0.7.
UNANIMOUS = 0.343 / 0.37


def _toy(db: Database) -> Crowd:
    crowd = build(db.uow, n_items=3, settings=FIXED)
    for answers, durations in zip(ANSWERS, DURATIONS, strict=True):
        items = {
            label(db.uow, crowd.workers[k], crowd.project, answers[k], durations[k])
            for k in range(3)
        }
        assert len(items) == 1
    return crowd


def test_quality_report_toy_crowd(db: Database) -> None:
    crowd = _toy(db)
    w = crowd.workers
    with db.uow() as uow:  # 3 of 4 gold answers right: Beta(2 + 3, 1 + 1), mean 5/7
        uow.workers.save(
            replace(uow.workers.get(crowd.project.id, w[0].user_id), n_gold=4, gold_credit=3.0)
        )
        uow.commit()
    r = qr.quality_report(db.uow(), actor=crowd.owner, project_id=crowd.project.id)
    assert (r.n_items, r.n_done, r.n_review, r.n_annotations) == (3, 3, 0, 9)
    assert r.agreement.alpha == pytest.approx(0.6)
    assert (r.agreement.n_items, r.agreement.n_labels, r.agreement.sampled) == (3, 9, False)
    assert r.labels_per_item == ((3, 3),)
    (point,) = r.cost_curve
    assert (point.n_labels, point.n_items, point.cum_labels) == (3, 3, 9)
    assert point.mean_confidence == pytest.approx((2 * UNANIMOUS + 0.7) / 3, abs=1e-5)
    by_id = {x.worker_id: x for x in r.workers}
    assert [by_id[a.user_id].consensus_accuracy for a in w[:3]] == pytest.approx([1, 1, 2 / 3])
    assert [by_id[a.user_id].n_labels for a in w[:3]] == [3, 3, 3]
    assert [by_id[a.user_id].median_duration_ms for a in w[:3]] == [2000.0, 4000.0, None]
    assert by_id[w[0].user_id].gold_accuracy == pytest.approx(5 / 7, abs=1e-6)
    assert by_id[w[1].user_id].gold_accuracy is None
    assert not r.workers_truncated


def test_quality_report_samples_big_projects_deterministically(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    crowd = _toy(db)
    monkeypatch.setattr(qr, "SAMPLE_LABELS", 5)
    r = qr.quality_report(db.uow(), actor=crowd.owner, project_id=crowd.project.id)
    assert r.agreement.sampled
    assert 0 < r.agreement.n_labels <= 9


def test_sample_windows_cover_about_the_cap() -> None:
    assert qr.sample_windows(1, 1000, n_labels=100, cap=200) is None
    windows = qr.sample_windows(1, 1_000_000, n_labels=10_000_000, cap=200_000)
    assert windows is not None and len(windows) == qr.N_WINDOWS
    covered = sum(hi - lo for lo, hi in windows)
    assert covered == pytest.approx(1_000_000 * 0.02, rel=0.01)
    assert windows == qr.sample_windows(1, 1_000_000, n_labels=10_000_000, cap=200_000)


def test_median_by_worker_ignores_missing_durations() -> None:
    got = qr.median_by_worker([1, 1, 2, 2, 2, 3], [5, 1, 7, None, 3, None])
    assert got == {1: 3.0, 2: 5.0}


def test_quality_counts_review_and_pages_workers(db: Database) -> None:
    crowd = build(db.uow, n_items=1)
    item = split(db.uow, crowd)
    review.decide(db.uow(), actor=crowd.reviewer, item_id=item, decision=ReviewDecision.ACCEPT)
    r = qr.quality_report(db.uow(), actor=crowd.owner, project_id=crowd.project.id)
    assert r.n_review_resolved == 1 and r.cost_curve == ()  # reviewed items are not estimates
    page = qr.worker_page(db.uow(), actor=crowd.owner, project_id=crowd.project.id, limit=2)
    assert [x.worker_name for x in page.items] == ["w0", "w1"]
    assert [(x.n_reviewed, x.n_review_agree) for x in page.items] == [(1, 1), (1, 0)]
    assert page.items[0].median_duration_ms == 1000.0
    rest = qr.worker_page(
        db.uow(), actor=crowd.owner, project_id=crowd.project.id, after_id=page.next_after_id or 0
    )
    assert [x.worker_name for x in rest.items] == ["w2"] and rest.next_after_id is None
    with pytest.raises(PermissionDenied):
        qr.quality_report(db.uow(), actor=crowd.reviewer, project_id=crowd.project.id)
    worker = make_actor(db.uow(), "plain", Role.WORKER)
    with pytest.raises(PermissionDenied):
        qr.worker_page(db.uow(), actor=worker, project_id=crowd.project.id)
