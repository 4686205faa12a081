"""Typed database identifiers (``NewType`` over ``int``) shared by every layer."""

from __future__ import annotations

from typing import NewType

__all__ = ["AnnotationId", "ItemId", "JobId", "LeaseId", "ProjectId", "TokenId", "UserId"]

UserId = NewType("UserId", int)
TokenId = NewType("TokenId", int)
ProjectId = NewType("ProjectId", int)
ItemId = NewType("ItemId", int)
LeaseId = NewType("LeaseId", int)
AnnotationId = NewType("AnnotationId", int)
JobId = NewType("JobId", int)
