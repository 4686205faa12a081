"""Training, the model registry, batch predictions and production feedback. Training and
promotion are background jobs: poll GET /jobs/{id}."""

from __future__ import annotations

import io
import zipfile
from typing import Annotated

from fastapi import APIRouter, Query, Response

from shoplabel.domain.ids import ProjectId
from shoplabel.errors import ModelUnavailable
from shoplabel.services import feedback, model_registry, relabelling, training_jobs
from shoplabel.services.ai_toolkit import AiToolkit
from shoplabel.services.feedback import FeedbackInput
from shoplabel.services.model_registry import PredictRequest
from shoplabel.web.deps import CurrentActor, PlatformDep, UowDep, UowFactoryDep
from shoplabel.web.schemas.jobs import JobRead
from shoplabel.web.schemas.training import (
    FeedbackCreate,
    FeedbackRead,
    FeedbackSummaryRead,
    PredictBody,
    PredictionOut,
    PredictResult,
    RelabelSample,
    TrainBody,
    TrainedModelRead,
)

__all__ = ["router"]

router = APIRouter(tags=["training"])


def _toolkit(platform: PlatformDep) -> AiToolkit:
    if platform.ai is None:
        raise ModelUnavailable("this installation has no AI toolkit")
    return platform.ai


@router.post("/projects/{project_id}/train", status_code=202)
def queue_training(
    project_id: ProjectId, actor: CurrentActor, uow: UowDep, body: TrainBody | None = None
) -> JobRead:
    """Queue training a model on the project's labels (options validated now)."""
    options = None if body is None else body.options()
    job = training_jobs.enqueue_training(uow, actor=actor, project_id=project_id, options=options)
    return JobRead.from_domain(job)


@router.get("/projects/{project_id}/trained-models")
def list_trained_models(
    project_id: ProjectId,
    actor: CurrentActor,
    uows: UowFactoryDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[TrainedModelRead]:
    """The project's trained models (registry), newest first."""
    models = model_registry.list_models(uows, actor=actor, project_id=project_id, limit=limit)
    return [TrainedModelRead.from_domain(m) for m in models]


@router.get("/models/{model_id}")
def read_trained_model(model_id: int, actor: CurrentActor, uows: UowFactoryDep) -> TrainedModelRead:
    """One trained model: data snapshot hash, parameters, metrics, promotion."""
    return TrainedModelRead.from_domain(
        model_registry.get_model(uows, actor=actor, model_id=model_id)
    )


@router.post("/models/{model_id}/promote", status_code=202)
def queue_promotion(model_id: int, actor: CurrentActor, uows: UowFactoryDep) -> JobRead:
    """Queue making the model the project's pre-labeller (a new model version)."""
    return JobRead.from_domain(
        training_jobs.enqueue_promotion(uows, actor=actor, model_id=model_id)
    )


@router.get("/models/{model_id}/export")
def export_model(
    model_id: int, actor: CurrentActor, uows: UowFactoryDep, platform: PlatformDep
) -> Response:
    """The model as a zip of ``model.npz`` + ``model.json``."""
    model = model_registry.get_model(uows, actor=actor, model_id=model_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in model_registry.export_files(_toolkit(platform), model).items():
            z.writestr(name, data)
    headers = {"Content-Disposition": f'attachment; filename="model-{model_id}.zip"'}
    return Response(buf.getvalue(), media_type="application/zip", headers=headers)


@router.post("/models/{model_id}/predict")
def predict(
    model_id: int,
    body: PredictBody,
    actor: CurrentActor,
    uows: UowFactoryDep,
    platform: PlatformDep,
) -> PredictResult:
    """Predict a batch (at most 256 items: stored ids, external ids or new payloads)."""
    requests = [PredictRequest(i.item_id, i.external_id, i.payload) for i in body.items]
    preds = model_registry.predict(
        uows, _toolkit(platform), actor=actor, model_id=model_id, requests=requests
    )
    version = preds[0].model_version if preds else 0
    return PredictResult(
        model_id=model_id,
        version=version,
        predictions=[PredictionOut.from_domain(p) for p in preds],
    )


@router.post("/projects/{project_id}/feedback", status_code=201)
def submit_feedback(
    project_id: ProjectId, body: FeedbackCreate, actor: CurrentActor, uow: UowDep
) -> FeedbackRead:
    """Record a production signal about an item; negative ones send it back to people."""
    data = FeedbackInput(**body.model_dump())
    return FeedbackRead.from_domain(
        feedback.submit_feedback(uow, actor=actor, project_id=project_id, body=data)
    )


@router.get("/projects/{project_id}/feedback")
def feedback_summary(
    project_id: ProjectId, actor: CurrentActor, uows: UowFactoryDep
) -> FeedbackSummaryRead:
    """Signals received per kind and the 20 newest."""
    s = feedback.feedback_summary(uows, actor=actor, project_id=project_id)
    return FeedbackSummaryRead(
        counts=s.counts,
        n_disagree=s.n_disagree,
        recent=[FeedbackRead.from_domain(f) for f in s.recent],
    )


@router.post("/projects/{project_id}/relabel-sample")
def relabel_sample(
    project_id: ProjectId, body: RelabelSample, actor: CurrentActor, uows: UowFactoryDep
) -> dict[str, int]:
    """Send a seeded share of the completed items back to review (periodic relabelling)."""
    n = relabelling.relabel_sample(
        uows, actor=actor, project_id=project_id, share=body.share, seed=body.seed
    )
    return {"n_sent": n}
