"""Masking at import, sealed originals, audited reveals and key rotation, on SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from shoplabel.dataprep.pii.errors import DataKeyMissing, DataKeyUnknown, SealedDataInvalid
from shoplabel.dataprep.pii.sealing import KEY_BYTES, Keyring
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor, Role
from shoplabel.errors import ImportRejected, InvalidInput, PermissionDenied, ProjectNotFound
from shoplabel.services import imports, key_rotation, projects, reveals
from shoplabel.services.privacy import PrivacyKeys
from tests.conftest import Database
from tests.factories import make_actor, make_project
from tests.pii_seed import REVIEWS, SEED_VALUES, leaks, reviews_csv

K1 = base64.urlsafe_b64encode(b"\x11" * KEY_BYTES).decode()
K2 = base64.urlsafe_b64encode(b"\x22" * KEY_BYTES).decode()
PII_KEY = b"pii-test-key"
POLICY = {"fields": {"review": {"worker": "tag", "reviewer": "partial", "manager": "partial"}}}


def keys(spec: str = f"k1:{K1}", active: str | None = None) -> PrivacyKeys:
    return PrivacyKeys(Keyring.parse(spec, active=active), PII_KEY)


def masked_project(db: Database, owner: Actor) -> Project:
    return make_project(db.uow(), owner, template="review_sentiment", settings={"privacy": POLICY})


def import_seed(
    db: Database, tmp_path: Path, owner: Actor, project: Project, **kw: Any
) -> imports.ImportReport:
    src = tmp_path / "reviews.csv"
    src.write_bytes(reviews_csv(external_ids=kw.pop("external_ids", True)))
    return imports.import_file(
        db.uow, src, actor=owner, project_id=project.id, keys=kw.pop("keys", keys()), **kw
    )


def _items(db: Database, project_id: ProjectId) -> list[Any]:
    with db.uow().reading() as uow:
        return uow.items.page(project_id, after_id=0, limit=100, status=None)


def test_import_stores_only_masked_payloads_and_sealed_originals(
    db: Database, tmp_path: Path
) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = masked_project(db, owner)
    report = import_seed(db, tmp_path, owner, project)
    assert (report.rows, report.inserted, report.rejected) == (6, 6, 0)
    stored = _items(db, project.id)
    assert [it.external_id for it in stored] == [f"r{i}" for i in range(6)]
    assert not leaks(repr([it.payload for it in stored]))
    # Import clean-up applies NFKC first (the full-width comma becomes ","; docs/data_quality.md).
    assert stored[0].payload["review"] == "质量很好,有问题打我电话[PHONE]或发邮件 [EMAIL]"
    assert stored[0].gold == "positive"
    with db.uow().reading() as uow:
        secret = uow.privacy.find(stored[1].id)
        assert uow.privacy.key_counts(project.id) == {"k1": 6}
    assert secret is not None and secret.key_id == "k1"
    assert not leaks(secret.sealed.decode("latin-1"))
    assert secret.found == {"person_name": 1, "address": 1, "cn_id": 1}
    assert secret.views["reviewer"]["review"].startswith("收件人:王**")
    # The managers' listing shows their (partial) view; the stored payload stays tagged.
    owner_page = projects.list_items(db.uow(), actor=owner, project_id=project.id)
    assert (
        owner_page[0].payload["review"]
        == "质量很好,有问题打我电话138****5678或发邮件 l***@example.com"
    )
    again = import_seed(db, tmp_path, owner, project)
    assert (again.inserted, again.skipped_existing) == (0, 6)


def test_rows_without_external_ids_get_keyed_fingerprints(db: Database, tmp_path: Path) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = masked_project(db, owner)
    import_seed(db, tmp_path, owner, project, external_ids=False)
    ids = [it.external_id for it in _items(db, project.id)]
    assert len(ids) == 6 and all(i.startswith("hmac:") for i in ids)
    again = import_seed(db, tmp_path, owner, project, external_ids=False)
    assert (again.inserted, again.skipped_existing) == (0, 6)
    revealed = reveals.reveal(
        db.uow(), actor=owner, item_id=_items(db, project.id)[0].id, keys=keys(), reason="check"
    )
    assert revealed.originals == {"review": REVIEWS[0]}


def test_import_without_a_data_key_stores_nothing(db: Database, tmp_path: Path) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = masked_project(db, owner)
    with pytest.raises(DataKeyMissing) as e:
        import_seed(db, tmp_path, owner, project, keys=PrivacyKeys.none())
    assert e.value.code == "data_key_missing"
    assert _items(db, project.id) == []


def test_rows_too_large_once_masked_are_rejected_alone(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    hashed = {"fields": {"review": {"worker": "hash"}}}
    project = make_project(
        db.uow(), owner, template="review_sentiment", settings={"privacy": hashed}
    )
    src = tmp_path / "names.csv"
    # "王小明" (9 bytes) becomes "[NAME:0123abcd]" (15 bytes): fits before, not after.
    limit = len('{"category":"x","review":"收件人：王小明"}'.encode())
    monkeypatch.setattr(imports, "MAX_PAYLOAD_BYTES", limit)
    src.write_text(
        "external_id,review,category\nn1,收件人：王小明,x\nn2,good,x\n", encoding="utf-8"
    )
    report = imports.import_file(db.uow, src, actor=owner, project_id=project.id, keys=keys())
    assert (report.inserted, report.rejected) == (1, 1)
    assert [(e.row, e.code) for e in report.errors] == [(1, "masked_payload_too_large")]
    assert "王小明" not in repr(report.to_dict())
    assert [it.external_id for it in _items(db, project.id)] == ["n2"]
    strict = imports.ImportOptions(strict=True)
    with pytest.raises(ImportRejected):
        imports.import_file(
            db.uow, src, actor=owner, project_id=project.id, keys=keys(), options=strict
        )


def test_reveal_is_for_managers_and_every_reveal_is_audited(db: Database, tmp_path: Path) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    admin = make_actor(db.uow(), "root", Role.ADMIN)
    other = make_actor(db.uow(), "bob", Role.REQUESTER)
    worker = make_actor(db.uow(), "wk", Role.WORKER)
    reviewer = make_actor(db.uow(), "rv", Role.REVIEWER)
    project = masked_project(db, owner)
    import_seed(db, tmp_path, owner, project)
    item = _items(db, project.id)[2].id
    got = reveals.reveal(db.uow(), actor=owner, item_id=item, keys=keys(), reason="dispute #7")
    assert got.originals == {"review": REVIEWS[2]}
    reveals.reveal(
        db.uow(), actor=admin, item_id=item, keys=keys(), reason="audit", fields=["review"]
    )
    for actor, error in ((worker, PermissionDenied), (reviewer, PermissionDenied)):
        with pytest.raises(error):
            reveals.reveal(db.uow(), actor=actor, item_id=item, keys=keys(), reason="x")
    with pytest.raises(ProjectNotFound):
        reveals.reveal(db.uow(), actor=other, item_id=item, keys=keys(), reason="x")
    with pytest.raises(InvalidInput):
        reveals.reveal(db.uow(), actor=owner, item_id=item, keys=keys(), reason="  ")
    with pytest.raises(reveals.NothingToReveal):
        reveals.reveal(
            db.uow(), actor=owner, item_id=item, keys=keys(), reason="x", fields=["title"]
        )
    audit = reveals.list_reveals(db.uow(), actor=owner, project_id=project.id)
    assert [(r.actor_username, r.item_id, r.fields, r.reason) for r in audit] == [
        ("root", item, ("review",), "audit"),
        ("req", item, ("review",), "dispute #7"),
    ]
    with pytest.raises(PermissionDenied):
        reveals.list_reveals(db.uow(), actor=worker, project_id=project.id)
    # Each reveal is also on the tamper-evident trail, without the values.
    with db.uow().reading() as uow:
        bodies = [json.loads(body) for _, body in uow.audit.unsealed(limit=10_000)]
    trail = [b for b in bodies if b["kind"] == "pii.revealed"]
    assert [(b["actor_id"], b["item_id"], b["reason"]) for b in trail] == [
        (owner.user_id, item, "dispute #7"),
        (admin.user_id, item, "audit"),
    ]
    assert not leaks(json.dumps(trail, ensure_ascii=False))


def test_tampered_or_unkeyed_data_fails_clearly_and_records_nothing(
    db: Database, tmp_path: Path
) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = masked_project(db, owner)
    import_seed(db, tmp_path, owner, project)
    first, second = (it.id for it in _items(db, project.id)[:2])
    with db.uow() as uow:
        secret = uow.privacy.find(first)
        assert secret is not None
        tampered = secret.sealed[:-1] + bytes([secret.sealed[-1] ^ 1])
        assert uow.privacy.rekey(first, old_key_id="k1", key_id="k1", sealed=tampered)
        uow.commit()
    with pytest.raises(SealedDataInvalid) as bad:
        reveals.reveal(db.uow(), actor=owner, item_id=first, keys=keys(), reason="x")
    assert bad.value.code == "sealed_data_invalid"
    with pytest.raises(DataKeyUnknown):
        reveals.reveal(db.uow(), actor=owner, item_id=second, keys=keys(f"k2:{K2}"), reason="x")
    assert reveals.list_reveals(db.uow(), actor=owner, project_id=project.id) == []


def test_rotation_is_batched_restartable_and_old_keys_can_go(db: Database, tmp_path: Path) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = masked_project(db, owner)
    import_seed(db, tmp_path, owner, project)
    both = keys(f"k1:{K1},k2:{K2}", active="k2")
    with pytest.raises(DataKeyUnknown):  # k1 rows cannot be read with k2 alone
        key_rotation.rotate(db.uow, keys(f"k2:{K2}"))

    class Stop(Exception):
        pass

    def stop_after_first_batch(done: int, total: int) -> None:
        assert total == 6
        raise Stop

    with pytest.raises(Stop):
        key_rotation.rotate(db.uow, both, batch_size=4, progress=stop_after_first_batch)
    status = key_rotation.key_status(db.uow(), both, project_id=None)
    assert (status.counts, status.pending) == ({"k1": 2, "k2": 4}, 2)
    seen: list[tuple[int, int]] = []
    report = key_rotation.rotate(
        db.uow, both, batch_size=4, progress=lambda d, t: seen.append((d, t))
    )
    assert (report.rekeyed, report.before, seen) == (2, {"k1": 2, "k2": 4}, [(2, 2)])
    assert key_rotation.rotate(db.uow, both).rekeyed == 0
    only_new = keys(f"k2:{K2}")
    for it in _items(db, project.id):
        r = reveals.reveal(db.uow(), actor=owner, item_id=it.id, keys=only_new, reason="x")
        assert list(r.originals) == ["review"]


def test_no_pii_in_logs_on_import_reveal_and_rotation(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = masked_project(db, owner)
    report = import_seed(db, tmp_path, owner, project)
    assert report.inserted == 6
    for it in _items(db, project.id):
        reveals.reveal(db.uow(), actor=owner, item_id=ItemId(it.id), keys=keys(), reason="log")
    key_rotation.rotate(db.uow, keys(f"k1:{K1},k2:{K2}", active="k2"))
    messages = [r.getMessage() for r in caplog.records]
    assert any("reveal" in m for m in messages)  # the reveal path does log, without values
    assert not leaks("\n".join(messages))
    assert not [m for m in messages if any(v in m for v in SEED_VALUES)]


def test_a_repeated_external_id_keeps_the_first_row_and_its_own_secret(
    db: Database, tmp_path: Path
) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = masked_project(db, owner)
    src = tmp_path / "dups.csv"
    src.write_text(
        "external_id,review,category\n"
        "d1,no personal data here,x\n"
        "d1,call 13812345678,x\n"
        "d2,call 13812345678,x\n"
        "d2,mail li.lei@example.com,x\n",
        encoding="utf-8",
    )
    report = imports.import_file(db.uow, src, actor=owner, project_id=project.id, keys=keys())
    assert (report.inserted, report.skipped_existing) == (2, 2)
    d1, d2 = _items(db, project.id)
    assert (d1.payload["review"], d2.payload["review"]) == ("no personal data here", "call [PHONE]")
    with pytest.raises(reveals.NothingToReveal):
        reveals.reveal(db.uow(), actor=owner, item_id=d1.id, keys=keys(), reason="x")
    got = reveals.reveal(db.uow(), actor=owner, item_id=d2.id, keys=keys(), reason="x")
    assert got.originals == {"review": "call 13812345678"}
