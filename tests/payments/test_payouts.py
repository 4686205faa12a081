"""Payout batches on real SQLite and PostgreSQL: minimum, export, confirmation (idempotent),
and every bad confirmation refused with nothing paid twice and nothing lost."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from shoplabel.domain.payouts import LineStatus, PayoutLine
from shoplabel.domain.users import Actor, Role
from shoplabel.errors import (
    InvalidPayoutConfirmation,
    PayoutAlreadyConfirmed,
    PayoutBatchNotFound,
    PayoutConfirmationConflict,
    PermissionDenied,
)
from shoplabel.services import ledger, pay_run, payout_files, payouts
from tests.conftest import Database
from tests.factories import make_actor
from tests.payments.pay_crowd import PayCrowd, available, build, label_pairs
from tests.services.review_crowd import label


def _paid_crowd(db: Database) -> tuple[PayCrowd, Actor]:
    crowd = build(db.uow, n_items=6)
    label_pairs(db.uow, crowd, 4)  # w0 and w1 earn 20 each
    label(db.uow, crowd.workers[2], crowd.project, "same", 3000)
    assert label(db.uow, crowd.workers[0], crowd.project, "same", 3000)  # closes: w2, w0 +5
    pay_run.run(db.uow)
    return crowd, make_actor(db.uow(), "root", Role.ADMIN)


def test_batch_moves_balances_above_the_minimum(db: Database) -> None:
    crowd, admin = _paid_crowd(db)
    w0, w1, w2 = crowd.workers
    assert [available(db.uow, w)["available"] for w in (w0, w1, w2)] == [25, 20, 5]
    batch = payouts.create_batch(db.uow(), actor=admin, currency="USD", minimum=20)
    assert batch is not None
    assert (batch.n_lines, batch.total) == (2, 45)
    assert available(db.uow, w0) == {"available": 0, "in_payout": 25, "paid": 0}
    assert available(db.uow, w2)["available"] == 5
    # Nothing left above the minimum: no second batch.
    assert payouts.create_batch(db.uow(), actor=admin, currency="USD", minimum=20) is None
    b, lines = payouts.batch_lines(db.uow(), actor=admin, batch_id=batch.id)
    csv_text = payout_files.export_text(b, lines, fmt="csv")
    assert csv_text.splitlines()[0] == ",".join(payout_files.EXPORT_COLUMNS)
    assert f"SL-{batch.id}-{lines[0].id},{batch.id},{w0.user_id},w0,USD,25,0.25" in csv_text
    doc = json.loads(payout_files.export_text(b, lines, fmt="json"))
    assert (doc["total"], len(doc["lines"])) == ("0.45", 2)


def _confirmation(lines: Sequence[PayoutLine], statuses: list[str]) -> str:
    rows = ["reference,status,amount_minor,provider_ref"]
    for line, status in zip(lines, statuses, strict=True):
        rows.append(f"{line.reference},{status},{line.amount},tx-{line.id}")
    return "\n".join(rows) + "\n"


def test_confirm_is_idempotent_and_refuses_bad_input(db: Database) -> None:
    crowd, admin = _paid_crowd(db)
    w0, w1, _ = crowd.workers
    batch = payouts.create_batch(db.uow(), actor=admin, currency="USD", minimum=20)
    assert batch is not None
    _, lines = payouts.batch_lines(db.uow(), actor=admin, batch_id=batch.id)
    text = _confirmation(lines, ["paid", "failed"])
    rows = payout_files.parse_confirmation(text, fmt="csv")
    assert payout_files.batch_of(rows) == batch.id
    # Unknown batch.
    with pytest.raises(PayoutBatchNotFound):
        payouts.confirm(db.uow(), actor=admin, batch_id=batch.id + 99, rows=rows)
    # A wrong amount names the row; nothing is applied.
    bad = payout_files.parse_confirmation(text.replace(",25,", ",26,"), fmt="csv")
    with pytest.raises(InvalidPayoutConfirmation, match="row 1"):
        payouts.confirm(db.uow(), actor=admin, batch_id=batch.id, rows=bad)
    assert available(db.uow, w0)["in_payout"] == 25
    report = payouts.confirm(db.uow(), actor=admin, batch_id=batch.id, rows=rows)
    assert (report.n_paid, report.n_failed, report.n_unchanged, report.settled) == (1, 1, 0, True)
    assert available(db.uow, w0) == {"available": 0, "in_payout": 0, "paid": 25}
    assert available(db.uow, w1) == {"available": 20, "in_payout": 0, "paid": 0}
    # The same file again: refused, nothing paid twice.
    with pytest.raises(PayoutAlreadyConfirmed):
        payouts.confirm(db.uow(), actor=admin, batch_id=batch.id, rows=rows)
    flipped = payout_files.parse_confirmation(_confirmation(lines, ["failed", "failed"]), fmt="csv")
    with pytest.raises(PayoutConfirmationConflict, match="row 1"):
        payouts.confirm(db.uow(), actor=admin, batch_id=batch.id, rows=flipped)
    assert available(db.uow, w0)["paid"] == 25
    assert ledger.check_balances(db.uow).unbalanced == ()


def test_partial_confirmations_and_json(db: Database) -> None:
    _, admin = _paid_crowd(db)
    batch = payouts.create_batch(db.uow(), actor=admin, currency="USD", minimum=1)
    assert batch is not None and batch.n_lines == 3
    _, lines = payouts.batch_lines(db.uow(), actor=admin, batch_id=batch.id)
    first = [{"reference": lines[0].reference, "status": "paid", "amount_minor": lines[0].amount}]
    rows = payout_files.parse_confirmation(json.dumps(first), fmt="json")
    r1 = payouts.confirm(db.uow(), actor=admin, batch_id=batch.id, rows=rows)
    assert (r1.n_paid, r1.settled) == (1, False)
    all_rows = [
        {"reference": x.reference, "status": "paid", "amount_minor": x.amount} for x in lines
    ]
    rows = payout_files.parse_confirmation(json.dumps({"lines": all_rows}), fmt="json")
    r2 = payouts.confirm(db.uow(), actor=admin, batch_id=batch.id, rows=rows)
    assert (r2.n_paid, r2.n_unchanged, r2.settled) == (2, 1, True)
    (b,) = payouts.list_batches(db.uow(), actor=admin)
    assert b.status.value == "settled"
    _, settled = payouts.batch_lines(db.uow(), actor=admin, batch_id=batch.id)
    assert {x.status for x in settled} == {LineStatus.PAID}


def test_bad_confirmation_files_and_roles(db: Database) -> None:
    crowd, _ = _paid_crowd(db)
    for text, field in [
        ("reference,status,amount_minor\nSL-1-1,maybe,5\n", "status"),
        ("reference,status,amount_minor\nSL-1-1,paid,\n", "amount_minor"),
        ("reference,status,amount_minor\nSL-1-1,paid,1.5\n", "amount_minor"),
    ]:
        with pytest.raises(InvalidPayoutConfirmation) as e:
            payout_files.parse_confirmation(text, fmt="csv")
        assert e.value.details == {"row": 1, "field": field}
    with pytest.raises(InvalidPayoutConfirmation):
        payout_files.parse_confirmation("{not json", fmt="json")
    mixed = payout_files.parse_confirmation(
        "reference,status,amount_minor\nSL-1-1,paid,5\nSL-2-3,paid,5\n", fmt="csv"
    )
    with pytest.raises(InvalidPayoutConfirmation, match="exactly one batch"):
        payout_files.batch_of(mixed)
    with pytest.raises(PermissionDenied):
        payouts.create_batch(db.uow(), actor=crowd.owner, currency="USD", minimum=1)
