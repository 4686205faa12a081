"""The one exception tree of ShopLabel.

Every error carries a stable machine-readable ``code`` (documented in ``docs/errors.md``) and a
message naming what was wrong. ``web/errors.py`` maps the base classes to HTTP statuses in one
place; the CLI prints ``code: message``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "AccountDisabled",
    "AmountOverflow",
    "AnnotationExists",
    "AuditChainBroken",
    "AuthenticationFailed",
    "BatchTooLarge",
    "CalibrationUnavailable",
    "Conflict",
    "DuplicateGroupNotFound",
    "EmptyInput",
    "ImportRejected",
    "InvalidDuplicateDecision",
    "InvalidInput",
    "InvalidLabelSchema",
    "InvalidPayRule",
    "InvalidPayoutConfirmation",
    "InvalidSettings",
    "InvalidValue",
    "ItemNotFound",
    "ItemNotInReview",
    "JobNotFound",
    "LabelNotInSchema",
    "LeaseExpired",
    "LeaseNotFound",
    "LeaseNotHeld",
    "LeaseSettled",
    "LedgerUnbalanced",
    "LlmAnswerInvalid",
    "LlmUnavailable",
    "ModelFileInvalid",
    "ModelNotFound",
    "ModelUnavailable",
    "NotFound",
    "PayRuleNegative",
    "PayRuleOverflow",
    "PayoutAlreadyConfirmed",
    "PayoutBatchNotFound",
    "PayoutConfirmationConflict",
    "PermissionDenied",
    "ProjectNotFound",
    "ShoplabelError",
    "SingleClass",
    "StorageBusy",
    "TokenNotFound",
    "TooFewLabels",
    "UnknownCurrency",
    "UnknownTemplate",
    "UserExists",
    "UserNotFound",
    "WorkerBanned",
    "WorkerSuspended",
]


class ShoplabelError(Exception):
    """Base of every ShopLabel error.

    Args:
        message: Human-readable sentence naming what was wrong and why.
        details: Optional structured context (row number, field, ...), serialised in API errors.
    """

    code = "error"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: Mapping[str, Any] = dict(details or {})


# --- 404 -------------------------------------------------------------------------------------
class NotFound(ShoplabelError):
    code = "not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class ProjectNotFound(NotFound):
    code = "project_not_found"


class ItemNotFound(NotFound):
    code = "item_not_found"


class LeaseNotFound(NotFound):
    code = "lease_not_found"


class JobNotFound(NotFound):
    code = "job_not_found"


class TokenNotFound(NotFound):
    code = "token_not_found"


# --- 401 / 403 -------------------------------------------------------------------------------
class AuthenticationFailed(ShoplabelError):
    code = "authentication_failed"


class PermissionDenied(ShoplabelError):
    code = "permission_denied"


class AccountDisabled(PermissionDenied):
    code = "account_disabled"


class WorkerBanned(PermissionDenied):
    """A quality rule banned the worker from this project."""

    code = "worker_banned"


class WorkerSuspended(PermissionDenied):
    """A quality rule suspended the worker in this project for a while."""

    code = "worker_suspended"


# --- 409 -------------------------------------------------------------------------------------
class Conflict(ShoplabelError):
    code = "conflict"


class UserExists(Conflict):
    code = "user_exists"


class AnnotationExists(Conflict):
    code = "annotation_exists"


class LeaseNotHeld(Conflict):
    """The lease belongs to another worker or another item."""

    code = "lease_not_held"


class LeaseExpired(Conflict):
    code = "lease_expired"


class LeaseSettled(Conflict):
    """The lease was already submitted or skipped: a second submit is refused."""

    code = "lease_settled"


class ItemNotInReview(Conflict):
    """A review decision on an item that is not waiting for review (or not at that stage)."""

    code = "item_not_in_review"


# --- 422 -------------------------------------------------------------------------------------
class InvalidInput(ShoplabelError):
    code = "invalid_input"


class InvalidLabelSchema(InvalidInput):
    code = "invalid_label_schema"


class InvalidSettings(InvalidInput):
    code = "invalid_settings"


class UnknownTemplate(InvalidInput):
    code = "unknown_template"


class InvalidValue(InvalidInput):
    """A submitted label value does not fit the project's label schema."""

    code = "invalid_value"


class LabelNotInSchema(InvalidValue):
    code = "label_not_in_schema"


class EmptyInput(InvalidInput):
    code = "empty_input"


class ImportRejected(InvalidInput):
    """A strict import found bad rows; nothing was stored. ``details['errors']`` lists them."""

    code = "import_rejected"


class DuplicateGroupNotFound(NotFound):
    code = "duplicate_group_not_found"


class InvalidDuplicateDecision(InvalidInput):
    """A keep-one decision without a member to keep, or naming an item outside the group."""

    code = "invalid_duplicate_decision"


# --- 503 -------------------------------------------------------------------------------------
class StorageBusy(ShoplabelError):
    """The database stayed locked past the busy timeout; the request can be retried."""

    code = "storage_busy"


# --- incentives and payments (issue 9) -------------------------------------------------------
class PayoutBatchNotFound(NotFound):
    code = "payout_batch_not_found"


class PayoutAlreadyConfirmed(Conflict):
    """Every line of a confirmation was already settled the same way: nothing changed."""

    code = "payout_already_confirmed"


class PayoutConfirmationConflict(Conflict):
    """A confirmation contradicts a line already settled (paid vs failed, another amount)."""

    code = "payout_confirmation_conflict"


class AuditChainBroken(Conflict):
    """``audit verify`` found an edited, deleted or reordered record; ``details`` names it."""

    code = "audit_chain_broken"


class InvalidPayRule(InvalidInput):
    """A pay rule is malformed; ``details['field']`` names the key."""

    code = "invalid_pay_rule"


class PayRuleNegative(InvalidPayRule):
    """A pay rule would pay (or charge) a negative amount."""

    code = "pay_rule_negative"


class PayRuleOverflow(InvalidPayRule):
    """A pay rule amount is beyond the ledger's limit (``domain.money.MAX_AMOUNT``)."""

    code = "pay_rule_overflow"


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"


class AmountOverflow(InvalidInput):
    """An amount (or a sum of amounts) does not fit the ledger's limit."""

    code = "amount_overflow"


class LedgerUnbalanced(InvalidInput):
    """A ledger transaction whose postings do not sum to zero per currency (a bug guard)."""

    code = "ledger_unbalanced"


class InvalidPayoutConfirmation(InvalidInput):
    """A provider confirmation file has a bad row; ``details`` names the row and field."""

    code = "invalid_payout_confirmation"


# --- 409, AI in the loop (docs/ai.md) -------------------------------------------------------
class ModelUnavailable(Conflict):
    """An embedder or model is missing or fails to load; the project goes on with humans."""

    code = "model_unavailable"


class CalibrationUnavailable(Conflict):
    """Too few human-labelled items (or none good enough) to calibrate auto-labelling:
    nothing is auto-labelled."""

    code = "calibration_unavailable"


class LlmUnavailable(Conflict):
    """The LLM endpoint timed out, refused or kept failing after the retries."""

    code = "llm_unavailable"


class LlmAnswerInvalid(Conflict):
    """The LLM answered outside the label set (after the retries)."""

    code = "llm_answer_invalid"


# --- training (issue 8) ----------------------------------------------------------------------
class ModelNotFound(NotFound):
    """No trained model with that id (or in a project the actor may not see)."""

    code = "model_not_found"


class TooFewLabels(InvalidInput):
    """Not enough labelled items (or evaluation items) to train or evaluate a model."""

    code = "too_few_labels"


class SingleClass(InvalidInput):
    """The training labels hold a single class: there is nothing to learn."""

    code = "single_class"


class ModelFileInvalid(InvalidInput):
    """A stored or exported model's files do not load (missing arrays, wrong shapes)."""

    code = "model_file_invalid"


class BatchTooLarge(InvalidInput):
    """A prediction request holds more items than the limit."""

    code = "batch_too_large"
