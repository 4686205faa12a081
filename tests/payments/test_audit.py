"""The audit trail on real SQLite and PostgreSQL: sealing, verification that names the first
broken link of an edited, deleted or truncated chain, and an export an outsider can check."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from shoplabel.bootstrap import UowOpener
from shoplabel.domain.audit import AuditKind, BreakReason
from shoplabel.domain.users import Role
from shoplabel.errors import PermissionDenied
from shoplabel.services import audit, auth
from tests.conftest import Database
from tests.factories import make_actor


def _records(db: Database, n: int) -> None:
    for i in range(n):
        with db.uow() as uow:
            audit.record(uow, AuditKind.PII_REVEALED, {"item_id": i, "field": "phone"})
            uow.commit()


def _sql(db: Database, sql: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql))


def test_seal_in_batches_and_verify_an_intact_chain(db: Database) -> None:
    _records(db, 25)
    report = audit.seal(db.uow, batch=10)
    assert (report.n_sealed, report.head_seq) == (25, 25)
    _records(db, 2)
    seen: list[tuple[int, int]] = []
    result = audit.verify(db.uow, batch=7, progress=lambda done, total: seen.append((done, total)))
    assert result.ok
    assert (result.n_checked, result.head_seq, result.n_unsealed) == (25, 25, 2)
    assert seen[-1] == (25, 25)


def test_records_sent_with_the_commit_are_kept_in_order_and_only_if_committed(
    db: Database,
) -> None:
    """The submit path appends its record ``with_commit`` (on PostgreSQL it rides in the
    COMMIT's round trip): committed records are there, in order, and chain like any other;
    a unit of work left without commit leaves none."""
    with db.uow() as uow:
        audit.record(uow, AuditKind.PII_REVEALED, {"item_id": 1, "field": "a"})
        for i in (2, 3):
            audit.record(uow, AuditKind.LABEL_SUBMITTED, {"annotation_id": i}, with_commit=True)
        uow.commit()
    with db.uow() as uow:
        audit.record(uow, AuditKind.LABEL_SUBMITTED, {"annotation_id": 99}, with_commit=True)
        # no commit: rolled back
    with db.engine.connect() as conn:
        bodies = [
            json.loads(b)
            for b in conn.execute(text("SELECT body FROM audit_events ORDER BY id")).scalars()
        ]
    assert [b.get("item_id", b.get("annotation_id")) for b in bodies] == [1, 2, 3]
    assert audit.seal(db.uow, batch=10).n_sealed == 3
    assert audit.verify(db.uow, batch=10).ok


def test_an_edited_record_is_named(db: Database) -> None:
    _records(db, 10)
    audit.seal(db.uow)
    _sql(db, "UPDATE audit_events SET body = replace(body, 'phone', 'email') WHERE seq = 6")
    result = audit.verify(db.uow)
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (6, BreakReason.EDITED)
    assert result.n_checked == 5


def test_a_recomputed_hash_breaks_the_next_link(db: Database) -> None:
    _records(db, 10)
    audit.seal(db.uow)
    _sql(db, "UPDATE audit_events SET hash = '" + "f" * 64 + "' WHERE seq = 4")
    result = audit.verify(db.uow)
    assert result.broken is not None and result.broken.seq == 4


def test_a_deleted_record_is_named(db: Database) -> None:
    _records(db, 10)
    audit.seal(db.uow)
    _sql(db, "DELETE FROM audit_events WHERE seq = 7")
    result = audit.verify(db.uow)
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (7, BreakReason.MISSING)
    assert "7..7" in result.broken.detail


def test_deleting_the_last_records_breaks_the_head(db: Database) -> None:
    _records(db, 10)
    audit.seal(db.uow)
    _sql(db, "DELETE FROM audit_events WHERE seq >= 9")
    result = audit.verify(db.uow)
    assert result.broken is not None
    assert (result.broken.seq, result.broken.reason) == (9, BreakReason.HEAD)


def test_export_is_verifiable_without_our_code(db: Database, tmp_path: Path) -> None:
    _records(db, 12)
    audit.seal(db.uow)
    out = tmp_path / "audit.jsonl"
    head = audit.export(db.uow, out, batch=5)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    # The documented check, written from docs/payments.md only.
    prev = "0" * 64
    for i, rec in enumerate(lines[:-1], start=1):
        assert rec["seq"] == i and rec["prev_hash"] == prev
        digest = hashlib.sha256(f"{rec['seq']}|{prev}|{rec['body']}".encode()).hexdigest()
        assert digest == rec["hash"]
        prev = rec["hash"]
    assert lines[-1] == {"head": {"seq": 12, "hash": prev}}
    assert head == (12, prev)


def test_role_changes_are_audited_and_only_admins_verify(db: Database) -> None:
    admin = make_actor(db.uow(), "root", Role.ADMIN)
    worker = make_actor(db.uow(), "wk", Role.WORKER)
    auth.change_role(db.uow(), actor=admin, user_id=worker.user_id, role=Role.REVIEWER)
    audit.seal(db.uow)
    with db.uow().reading() as uow:
        ((_, body),) = uow.audit.sealed_after(0, limit=5)
    assert json.loads(body) | {"at": None} == {
        "kind": "user.role_changed",
        "at": None,
        "user_id": worker.user_id,
        "from": "worker",
        "to": "reviewer",
        "by": admin.user_id,
    }
    with pytest.raises(PermissionDenied):
        audit.verify(db.uow, actor=worker)
    assert audit.verify(db.uow, actor=admin).ok


def test_parallel_verification_names_the_same_break(db: Database) -> None:
    """Processes check parts of the chain; the first break is the same as sequentially."""
    opener = UowOpener(db.url)
    _records(db, 40)
    audit.seal(db.uow)
    _sql(db, "DELETE FROM audit_events WHERE seq = 31 OR seq >= 38")
    edit = "UPDATE audit_events SET body = replace(body, 'phone', 'x') WHERE seq = 23"
    cases: list[tuple[str | None, tuple[int, BreakReason]]] = [
        (None, (31, BreakReason.MISSING)),
        (edit, (23, BreakReason.EDITED)),
    ]
    for sql, expected in cases:
        if sql is not None:
            _sql(db, sql)
        one = audit.verify(db.uow, batch=4)
        many = audit.verify(db.uow, workers=2, opener=opener, batch=4)
        assert one.broken is not None and many.broken is not None
        assert (one.broken.seq, one.broken.reason) == expected
        assert (many.broken.seq, many.broken.reason) == expected
        assert one.n_checked == many.n_checked == expected[0] - 1
