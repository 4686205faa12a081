"""The feedback counters the dashboard reads: bumped by every feedback write, and backfilled
from the stored feedback by their migration."""

from __future__ import annotations

from alembic import command

from shoplabel.domain.training import FeedbackSignal
from shoplabel.domain.users import Role
from shoplabel.services.feedback import FeedbackInput, submit_feedback
from shoplabel.storage.migrate import alembic_config
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project, matching_payload


def test_counters_follow_the_writes_and_the_migration_backfills_them(db: Database) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner)
    add_items(db.uow(), project.id, [matching_payload(i) for i in range(2)])
    with db.uow().reading() as uow:
        items = uow.items.page(project.id, after_id=0, limit=10, status=None)
    for signal, n in ((FeedbackSignal.NOT_CLICKED, 3), (FeedbackSignal.CONFIRMED, 1)):
        for _ in range(n):
            body = FeedbackInput(signal=signal, item_id=items[0].id, value="same")
            submit_feedback(db.uow(), actor=owner, project_id=project.id, body=body)
    with db.uow().reading() as uow:
        counted = uow.training.feedback_counts(project.id)
    assert dict(counted.by_signal) == {"not_clicked": 3, "confirmed": 1}
    assert counted.total == 4 and counted.n_disagree == 0  # no consensus to disagree with
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
        command.upgrade(cfg, "head")
    with db.uow().reading() as uow:
        assert uow.training.feedback_counts(project.id) == counted
