"""Setting and reading a project's pay rule (versioned; a new version applies from now on)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shoplabel.domain.audit import AuditKind
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.pay_rules import PayRule, PayRuleVersion
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidPayRule
from shoplabel.services import audit
from shoplabel.services.projects import visible_project

__all__ = ["list_rules", "set_rule"]


def set_rule(
    uow: UnitOfWork, *, actor: Actor, project_id: ProjectId, rule: Mapping[str, Any]
) -> PayRuleVersion:
    """Store a new version of the project's pay rule; it applies to work accepted from now on.

    Raises:
        ProjectNotFound: no such project, or not visible to ``actor``.
        PermissionDenied: ``actor`` does not manage the project.
        InvalidPayRule, PayRuleNegative, PayRuleOverflow, UnknownCurrency: a bad rule (nothing
            stored); also a currency other than the project's earlier versions'.
    """
    parsed = PayRule.from_dict(rule)
    with uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"set the pay rule of project {project_id}")
        previous = uow.pay_rules.list_for(project_id)
        if previous and previous[-1].rule.currency != parsed.currency:
            raise InvalidPayRule(
                f"project {project_id} pays in {previous[-1].rule.currency}; "
                "the currency cannot change",
                details={"field": "currency"},
            )
        version = uow.pay_rules.add(project_id, parsed.to_dict(), created_by=actor.user_id)
        audit.record(
            uow,
            AuditKind.PAY_RULE_CHANGED,
            {
                "project_id": project_id,
                "version": version.version,
                "rule": parsed.to_dict(),
                "by": actor.user_id,
            },
        )
        uow.commit()
    return version


def list_rules(uow: UnitOfWork, *, actor: Actor, project_id: ProjectId) -> list[PayRuleVersion]:
    """Every version, oldest first: managers and the project's labellers (workers know what
    they are paid) may read them."""
    with uow.reading():
        visible_project(uow, actor, project_id)
        return uow.pay_rules.list_for(project_id)
