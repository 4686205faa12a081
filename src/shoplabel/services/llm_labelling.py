"""The LLM labeller as another model annotator: asks an OpenAI-compatible endpoint for the
open items' labels and stores them as the project's LLM worker (``model.llm.p<id>``), which
truth inference scores like any worker.

The prompt holds the project's instructions, its labels with their descriptions, up to
``n_examples`` gold items as few-shot examples and the item's text (``domain.item_text``).
Calls run outside any transaction; answers are written in batches. An answer outside the
label set skips that item (counted); an endpoint that keeps failing stops the run with
``llm_unavailable`` after keeping what was already answered, and humans go on labelling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.item_text import item_texts
from shoplabel.domain.items import Item, ItemStatus
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.projects import Project
from shoplabel.domain.users import Actor
from shoplabel.errors import InvalidInput, LlmAnswerInvalid
from shoplabel.services import worker_quality
from shoplabel.services.embeddings import managed_project
from shoplabel.services.model_labels import add_model_label, model_worker

__all__ = ["ChatLabeller", "LlmReport", "llm_label"]

_WRITE_BATCH = 50


class ChatLabeller(Protocol):
    """``ml.llm.LlmClient`` as the service sees it."""

    def label(self, messages: list[dict[str, str]], labels: Sequence[str]) -> str: ...


@dataclass(frozen=True, slots=True)
class LlmReport:
    n_asked: int
    n_labelled: int
    n_invalid: int

    def to_dict(self) -> dict[str, int]:
        return {"n_asked": self.n_asked, "n_labelled": self.n_labelled, "n_invalid": self.n_invalid}


def _text(project: Project, item: Item) -> str:
    return item_texts(project.template, item.payload, display_fields=project.display_fields).main


def _messages_for(
    project: Project, examples: Sequence[tuple[str, str]]
) -> Callable[[str], list[dict[str, str]]]:
    labels = "\n".join(
        f"- {o.value}: {o.description}" if o.description else f"- {o.value}"
        for o in project.schema.labels
    )
    system = (
        f"{project.instructions.strip()}\n\nAnswer with exactly one of these labels and "
        f"nothing else:\n{labels}"
    )
    shots: list[dict[str, str]] = []
    for text, label in examples:
        shots += [{"role": "user", "content": text}, {"role": "assistant", "content": label}]

    def build(text: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": system}, *shots, {"role": "user", "content": text}]

    return build


def _read(
    uows: Callable[[], UnitOfWork], project: Project, *, limit: int, n_examples: int
) -> tuple[list[Item], list[tuple[str, str]]]:
    with uows().reading() as uow:
        gold = uow.items.gold_labels(project.id)
        shots = uow.items.get_many(sorted(gold)[:n_examples])
        todo = [
            it
            for it in uow.items.page(project.id, after_id=0, limit=limit, status=ItemStatus.OPEN)
            if not worker_quality.is_control(project, it)
        ]
    return todo, [(_text(project, it), str(gold[it.id])) for it in shots]


def _write(
    uows: Callable[[], UnitOfWork], project: Project, answers: Sequence[tuple[Item, str]]
) -> int:
    with uows() as uow:
        worker = model_worker(uow, project, kind="llm")
        added = sum(
            add_model_label(uow, project, item, worker_id=worker, value=value)
            for item, value in answers
        )
        if added:
            uow.projects.add_counters(project.id, n_annotations=added)
        uow.commit()
    return len(answers)


def llm_label(
    uows: Callable[[], UnitOfWork],
    client: ChatLabeller,
    *,
    actor: Actor,
    project_id: ProjectId,
    limit: int = 100,
    n_examples: int = 3,
) -> LlmReport:
    """Label up to ``limit`` open items of the project with the LLM.

    Raises:
        InvalidInput: the schema is not single-choice.
        LlmUnavailable: the endpoint kept failing (answers so far are kept).
    """
    project = managed_project(uows, actor, project_id)
    if not project.schema.is_categorical:
        raise InvalidInput(
            f"project {project_id} has a {project.schema.kind.value} schema; the LLM labeller "
            "answers single-choice labels",
            details={"field": "schema"},
        )
    items, examples = _read(uows, project, limit=limit, n_examples=n_examples)
    build = _messages_for(project, examples)
    labels = project.schema.label_values
    pending: list[tuple[Item, str]] = []
    stored = invalid = 0
    done: set[ItemId] = set()
    try:
        for item in items:
            try:
                pending.append((item, client.label(build(_text(project, item)), labels)))
            except LlmAnswerInvalid:
                invalid += 1
            done.add(item.id)
            if len(pending) >= _WRITE_BATCH:
                stored += _write(uows, project, pending)
                pending = []
    finally:
        if pending:
            stored += _write(uows, project, pending)
    return LlmReport(n_asked=len(done), n_labelled=stored, n_invalid=invalid)
