r"""Training a softmax head on frozen features with a KL-divergence objective.

The same :class:`~shoplabel.ml.head.LinearHead` the pre-labeller serves, fitted differently:
mini-batch Adam on

$$\mathcal{L} = \frac{\sum_i w_i\, \mathrm{KL}(p_i \,\|\, q_\theta(x_i))}{\sum_i w_i}
   + \frac{\lambda}{2} \lVert W \rVert^2$$

where $p_i$ is the item's target distribution (a truth-inference posterior, or one-hot for
hard labels), $q_\theta$ the head's softmax and $w_i = \sum_k p_{ik} c_k$ with class weights
$c_k = n / (K\, n_k)$ ($n_k$ the soft count of class $k$) when ``class_weights`` is on. A
seeded share of the rows is held out for validation; training stops when the validation loss
has not improved for ``patience`` epochs and the best epoch's weights are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoplabel.errors import InvalidInput
from shoplabel.ml.head import LinearHead, standardiser

__all__ = ["TrainOptions", "TrainResult", "kl_divergence", "row_weights", "train_kl_head"]

Progress = Callable[[int, int], None]
_EPS = 1e-12


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """Hyper-parameters of :func:`train_kl_head` (documented in ``docs/training.md``)."""

    max_epochs: int = 200
    batch_size: int = 1024
    learning_rate: float = 0.001
    l2: float = 1e-4
    val_share: float = 0.1
    patience: int = 8
    class_weights: bool = True
    seed: int = 0


@dataclass(frozen=True)
class TrainResult:
    """The fitted head and its learning curve (validation KL per epoch)."""

    head: LinearHead
    epochs: int
    best_epoch: int
    val_loss: float | None
    history: list[float] = field(default_factory=list)


def kl_divergence(
    targets: NDArray[np.floating[Any]], probas: NDArray[np.floating[Any]]
) -> NDArray[np.float64]:
    """Row-wise $\\mathrm{KL}(p \\| q)$ in nats, shape ``(n,)``."""
    p = np.asarray(targets, dtype=np.float64)
    q = np.clip(np.asarray(probas, dtype=np.float64), _EPS, 1.0)
    return np.asarray(
        np.sum(np.where(p > 0, p * (np.log(np.maximum(p, _EPS)) - np.log(q)), 0.0), axis=1)
    )


def row_weights(targets: NDArray[np.float64], *, balanced: bool) -> NDArray[np.float64]:
    """Per-row weights $w_i = \\sum_k p_{ik} c_k$, $c_k = n / (K n_k)$ (ones if not
    ``balanced``); ``targets`` ``(n, n_labels)`` rows sum to 1."""
    if not balanced:
        return np.ones(targets.shape[0])
    counts = targets.sum(axis=0)
    present = counts > _EPS
    c = np.zeros(targets.shape[1])
    c[present] = targets.shape[0] / (present.sum() * counts[present])
    return np.asarray(targets @ c, dtype=np.float64)


def _softmax(z: NDArray[Any]) -> NDArray[Any]:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


class _Adam:
    def __init__(self, shapes: list[tuple[int, ...]], lr: float) -> None:
        self.lr = lr
        self.m = [np.zeros(s, dtype=np.float32) for s in shapes]
        self.v = [np.zeros(s, dtype=np.float32) for s in shapes]
        self.t = 0

    def step(self, params: list[NDArray[Any]], grads: list[NDArray[Any]]) -> None:
        self.t += 1
        b1, b2 = 0.9, 0.999
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + 1e-8)


def _check(x: NDArray[np.float64], t: NDArray[np.float64]) -> None:
    if x.ndim != 2 or t.ndim != 2 or t.shape[0] != x.shape[0]:
        raise InvalidInput(f"features {x.shape} and targets {t.shape} do not match")
    if not np.all(np.isfinite(x)) or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise InvalidInput("features and targets must be finite, targets non-negative")
    if len(np.unique(t.argmax(axis=1))) < 2:
        raise InvalidInput("the training labels hold a single class; need at least two")


def _split(n: int, options: TrainOptions) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    order = np.random.default_rng(options.seed).permutation(n)
    n_val = round(n * options.val_share) if n >= 20 else 0
    return order[n_val:], order[:n_val]


def train_kl_head(
    features: NDArray[np.floating[Any]],
    targets: NDArray[np.floating[Any]],
    *,
    options: TrainOptions | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Fit a :class:`LinearHead` to ``targets`` ``(n, n_labels)`` (rows normalised here).

    Raises:
        InvalidInput: shapes disagree, non-finite values, or a single class.
    """
    o = options or TrainOptions()
    x = np.asarray(features, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    _check(x, t)
    t = t / np.maximum(t.sum(axis=1, keepdims=True), _EPS)
    mean, scale = standardiser(x)
    w = row_weights(t, balanced=o.class_weights)
    train, val = _split(len(x), o)
    # One shuffle, then contiguous float32 batches: no gather per step (memory-bound on CPU).
    xs = ((x[train] - mean) / scale).astype(np.float32)
    ts, ws = t[train].astype(np.float32), w[train].astype(np.float32)
    xv = ((x[val] - mean) / scale).astype(np.float32) if len(val) else xs
    tv, wv = (t[val], w[val]) if len(val) else (t[train], w[train])
    coef = np.zeros((t.shape[1], x.shape[1]), dtype=np.float32)
    bias = np.log(np.maximum(t[train].mean(axis=0), 1e-6)).astype(np.float32)
    adam = _Adam([coef.shape, bias.shape], o.learning_rate)
    best = (np.inf, coef.copy(), bias.copy(), 0)
    history: list[float] = []
    epoch = 0
    # Batches of at most batch_size rows, at least about 20 steps per epoch on small sets.
    size = max(1, min(o.batch_size, max(32, -(-len(train) // 20))))
    starts = range(0, len(train), size)
    for epoch in range(1, o.max_epochs + 1):
        for i in starts:
            xb, tb, wb = (
                xs[i : i + o.batch_size],
                ts[i : i + o.batch_size],
                ws[i : i + o.batch_size],
            )
            g = (_softmax(xb @ coef.T + bias) - tb) * (wb / max(float(wb.sum()), _EPS))[:, None]
            adam.step([coef, bias], [g.T @ xb + o.l2 * coef, g.sum(axis=0)])
        loss = float(np.average(kl_divergence(tv, _softmax(xv @ coef.T + bias)), weights=wv))
        history.append(round(loss, 6))
        if progress is not None:
            progress(epoch, o.max_epochs)
        if loss < best[0] - 1e-6:
            best = (loss, coef.copy(), bias.copy(), epoch)
        elif epoch - best[3] >= o.patience:
            break
    head = LinearHead(
        coef=best[1].astype(np.float64),
        intercept=best[2].astype(np.float64),
        mean=mean,
        scale=scale,
    )
    val_loss = float(best[0]) if len(val) else None
    return TrainResult(
        head=head, epochs=epoch, best_epoch=best[3], val_loss=val_loss, history=history
    )
