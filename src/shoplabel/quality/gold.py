r"""Gold (honeypot) tasks: when to serve one, and what a worker's gold answers say.

Three pieces, all pure:

- :class:`GoldPolicy` and :func:`should_serve_gold` decide whether the next task a worker gets
  is a gold item. The random draw is an argument, so the decision is deterministic and the
  "never fewer than one per ``min_every`` tasks" floor can be proved for every draw sequence.
- :class:`BetaAccuracy` is the Beta-Bernoulli posterior of a worker's accuracy on gold.
- :func:`ordinal_credit` gives partial credit on ordinal labels (ratings, graded relevance),
  so an off-by-one answer on a 5-point scale is not scored like a random one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import beta as beta_dist

from shoplabel.quality.errors import InvalidGoldPolicy, InvalidQualityInput

__all__ = [
    "DEFAULT_ACCURACY_PRIOR",
    "BetaAccuracy",
    "GoldPolicy",
    "gold_probability",
    "ordinal_credit",
    "should_serve_gold",
]

DEFAULT_ACCURACY_PRIOR: tuple[float, float] = (2.0, 1.0)
"""Beta(2, 1): prior mean 2/3, worth three answers. Same prior as the competence prior of the
default aggregator (``ShrinkageDawidSkene.competence_prior``): workers who passed the exam are
more often right than not, and the prior is weak enough that a dozen gold answers dominate it.
Leaning toward competence also makes "confidently bad" verdicts need a little more evidence."""


@dataclass(frozen=True, slots=True)
class GoldPolicy:
    """How often gold items are mixed into a worker's stream.

    Attributes:
        rate: Probability that any task is gold (default 0.05, the issue's 5 %).
        min_every: Floor: every block of ``min_every`` consecutive tasks of a worker (tasks
            ``0..N-1``, ``N..2N-1``, ...) holds at least one gold, whatever the draws; ``None``
            disables the floor. Default 20, i.e. the floor equals the default rate, so gold
            spending is predictable while its position stays random.

    Raises:
        InvalidGoldPolicy: ``rate`` outside [0, 1] or ``min_every`` below 1.
    """

    rate: float = 0.05
    min_every: int | None = 20

    def __post_init__(self) -> None:
        rate = self.rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise InvalidGoldPolicy(
                f"gold rate must be in [0, 1], got {self.rate!r}", details={"field": "rate"}
            )
        every = self.min_every
        if every is not None and (isinstance(every, bool) or not isinstance(every, int)):
            raise InvalidGoldPolicy(
                f"min_every must be an integer or null, got {every!r}",
                details={"field": "min_every"},
            )
        if every is not None and every < 1:
            raise InvalidGoldPolicy(
                f"min_every must be at least 1, got {every}", details={"field": "min_every"}
            )


def gold_probability(*, tasks_done: int, golds_served: int, policy: GoldPolicy) -> float:
    """Probability that the worker's next task (number ``tasks_done``, 0-based) is gold.

    ``max(rate, owed / remaining)`` where ``owed`` is how many golds the worker still needs by
    the end of the current block of ``min_every`` tasks and ``remaining`` is how many tasks of
    the block are left (this one included). The catch-up hazard ``1 / remaining`` places a
    missing gold uniformly over the block instead of always on its last task, so workers
    cannot learn that "task 20 is the test"; it reaches 1 on the last task, which is what
    makes the floor hold. Golds served beyond the floor count toward later blocks.

    Raises:
        InvalidQualityInput: Negative counts, or more golds than tasks.
    """
    if tasks_done < 0 or golds_served < 0 or golds_served > tasks_done:
        raise InvalidQualityInput(
            f"need 0 <= golds_served <= tasks_done, got {golds_served} and {tasks_done}"
        )
    if policy.min_every is None:
        return policy.rate
    block, position = divmod(tasks_done, policy.min_every)
    owed = block + 1 - golds_served
    remaining = policy.min_every - position
    return max(policy.rate, min(1.0, owed / remaining)) if owed > 0 else policy.rate


def should_serve_gold(
    *, tasks_done: int, golds_served: int, policy: GoldPolicy, draw: float
) -> bool:
    """Whether the worker's next task should be a gold item.

    Args:
        tasks_done: Tasks (gold and normal) this worker has already been given in the project.
        golds_served: How many of those were gold.
        policy: The project's gold policy.
        draw: A uniform number in [0, 1) from the caller's seeded generator.

    Returns:
        ``draw < gold_probability(...)``. For any draw sequence, after ``t`` tasks the worker
        has had at least ``t // min_every`` golds.

    Raises:
        InvalidQualityInput: ``draw`` outside [0, 1) or inconsistent counts.
    """
    if not 0.0 <= draw < 1.0:
        raise InvalidQualityInput(f"draw must be in [0, 1), got {draw!r}")
    p = gold_probability(tasks_done=tasks_done, golds_served=golds_served, policy=policy)
    return draw < p


@dataclass(frozen=True, slots=True)
class BetaAccuracy:
    r"""Beta posterior of a worker's probability of answering a gold item right.

    Model: each gold answer is correct with unknown probability $p$, independently;
    prior $p \sim \mathrm{Beta}(\alpha_0, \beta_0)$. After $c$ correct and $w$ wrong answers
    the posterior is $\mathrm{Beta}(\alpha_0 + c, \beta_0 + w)$, with mean
    $\alpha / (\alpha + \beta)$ and the one-sided credible bounds of
    :meth:`lower` / :meth:`upper` from the Beta quantile function. Partial credit
    $x \in [0, 1]$ adds $x$ to $\alpha$ and $1 - x$ to $\beta$ (a fractional Bernoulli
    pseudo-observation: the usual soft-count approximation, exact for $x \in \{0, 1\}$).

    Reference: Gelman et al., *Bayesian Data Analysis* (3rd ed., 2013), §2.4 (binomial model
    with a conjugate Beta prior).

    Attributes:
        alpha: Prior plus (credited) correct answers; > 0.
        beta: Prior plus (debited) wrong answers; > 0.
    """

    alpha: float = DEFAULT_ACCURACY_PRIOR[0]
    beta: float = DEFAULT_ACCURACY_PRIOR[1]

    def __post_init__(self) -> None:
        if not (self.alpha > 0.0 and self.beta > 0.0 and math.isfinite(self.alpha + self.beta)):
            raise InvalidQualityInput(
                f"Beta parameters must be finite and positive, got ({self.alpha}, {self.beta})"
            )

    @classmethod
    def from_counts(
        cls,
        n_correct: float,
        n_wrong: float,
        *,
        prior: tuple[float, float] = DEFAULT_ACCURACY_PRIOR,
    ) -> BetaAccuracy:
        """Posterior after ``n_correct`` right and ``n_wrong`` wrong (possibly fractional)."""
        if n_correct < 0 or n_wrong < 0:
            raise InvalidQualityInput(f"counts must be >= 0, got {n_correct}, {n_wrong}")
        return cls(prior[0] + n_correct, prior[1] + n_wrong)

    def update(self, correct: bool) -> BetaAccuracy:
        """Posterior after one more binary gold answer."""
        return self.update_credit(1.0 if correct else 0.0)

    def update_credit(self, credit: float) -> BetaAccuracy:
        """Posterior after one answer worth ``credit`` in [0, 1] (see :func:`ordinal_credit`)."""
        if not 0.0 <= credit <= 1.0:
            raise InvalidQualityInput(f"credit must be in [0, 1], got {credit!r}")
        return BetaAccuracy(self.alpha + credit, self.beta + (1.0 - credit))

    @property
    def mean(self) -> float:
        """Posterior mean accuracy, in (0, 1)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def std(self) -> float:
        """Posterior standard deviation."""
        total = self.alpha + self.beta
        return math.sqrt(self.alpha * self.beta / (total * total * (total + 1.0)))

    def lower(self, level: float = 0.95) -> float:
        """One-sided lower credible bound: ``P(p >= lower) = level``."""
        return float(beta_dist.ppf(1.0 - _level(level), self.alpha, self.beta))

    def upper(self, level: float = 0.95) -> float:
        """One-sided upper credible bound: ``P(p <= upper) = level``."""
        return float(beta_dist.ppf(_level(level), self.alpha, self.beta))


def _level(level: float) -> float:
    if not 0.5 <= level < 1.0:
        raise InvalidQualityInput(f"credible level must be in [0.5, 1), got {level!r}")
    return level


def ordinal_credit(
    true_level: int, given_level: int, *, n_levels: int, power: float = 1.0
) -> float:
    r"""Partial credit for an answer on an ordinal scale of ``n_levels`` levels ``0..K-1``.

    $\mathrm{credit} = 1 - (|t - g| / (K - 1))^{q}$: 1 for the right level, 0 for the
    opposite end of the scale. ``power`` $q = 1$ gives linear credit (off by one on a 5-point
    scale earns 0.75); $q = 2$ gives quadratic credit (0.9375), the agreement weights of
    quadratic weighted kappa, which forgive near-misses more. Reference: Cohen (1968),
    *Weighted kappa*, Psychological Bulletin 70(4).

    Raises:
        InvalidQualityInput: Levels outside the scale, fewer than 2 levels, ``power <= 0``.
    """
    if n_levels < 2 or power <= 0.0:
        raise InvalidQualityInput(f"need n_levels >= 2 and power > 0, got {n_levels}, {power}")
    if not (0 <= true_level < n_levels and 0 <= given_level < n_levels):
        raise InvalidQualityInput(
            f"levels must be in [0, {n_levels - 1}], got {true_level} and {given_level}"
        )
    distance = abs(true_level - given_level) / (n_levels - 1)
    return 1.0 - math.pow(distance, power)
