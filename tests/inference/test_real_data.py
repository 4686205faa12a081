"""Real crowds (Zheng et al. 2017): agreement with crowd-kit and known failure cases.

Skipped when ``../shared/data`` is absent. crowd-kit is a test-only reference; its Wawa and
ZeroBasedSkill need scikit-learn < 1.6 and are not compared.
"""

from __future__ import annotations

import numpy as np
import pytest

from shoplabel.inference import (
    AGGREGATORS,
    DEFAULT_METHOD,
    GLAD,
    MACE,
    Aggregator,
    AnnotationMatrix,
    DawidSkene,
    MajorityVote,
    OneCoinDawidSkene,
    ShrinkageDawidSkene,
)
from tests.inference.crowds import DATA, accuracy, read_dataset

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not available")

SMALL = ["d_Duck Identification", "s4_Face Sentiment Identification"]


def _crowdkit(m: AnnotationMatrix, name: str) -> dict[str, str]:
    pd = pytest.importorskip("pandas")
    aggregation = pytest.importorskip("crowdkit.aggregation")
    frame = pd.DataFrame(
        {
            "task": np.asarray(m.task_ids)[m.task_idx],
            "worker": np.asarray(m.worker_ids)[m.worker_idx],
            "label": np.asarray(m.labels)[m.label_idx],
        }
    )
    model = {
        "majority-vote": lambda: aggregation.MajorityVote(),
        "dawid-skene": lambda: aggregation.DawidSkene(n_iter=100),
        "one-coin-dawid-skene": lambda: aggregation.OneCoinDawidSkene(n_iter=100),
        "glad": lambda: aggregation.GLAD(n_iter=20, silent=True),
        "mace": lambda: aggregation.MACE(n_iter=50, random_state=0),
    }[name]()
    labels = model.fit_predict(frame)
    return {str(k): str(v) for k, v in labels.items()}


# Tolerances: share of tasks on which our label equals crowd-kit's. MV differs only on
# ties (crowd-kit breaks them at random); DS stops at a different tolerance; GLAD runs a
# different optimiser; MACE is MAP-EM here and variational Bayes in crowd-kit.
# MACE (MAP-EM here, variational Bayes there) is compared on gold accuracy instead.
AGREEMENT = {"majority-vote": 0.9, "dawid-skene": 0.97, "one-coin-dawid-skene": 0.95,
             "glad": 0.9}  # fmt: skip
OURS: dict[str, Aggregator] = {
    "majority-vote": MajorityVote(),
    "dawid-skene": DawidSkene(),
    "one-coin-dawid-skene": OneCoinDawidSkene(),
    "glad": GLAD(),
    "mace": MACE(),
}


@pytest.mark.parametrize("dataset", SMALL)
@pytest.mark.parametrize("name", sorted(AGREEMENT))
def test_agrees_with_crowdkit_on_small_real_sets(dataset: str, name: str) -> None:
    m, _ = read_dataset(dataset)
    ours = OURS[name].fit(m).as_dict()
    theirs = _crowdkit(m, name)
    same = np.mean([ours[t] == theirs[t] for t in m.task_ids])
    assert same >= AGREEMENT[name], f"{name} on {dataset}: {same:.3f}"


@pytest.mark.parametrize("dataset", SMALL)
def test_mace_is_at_least_as_accurate_as_crowdkit_mace(dataset: str) -> None:
    m, gold = read_dataset(dataset)
    ours = accuracy(MACE().fit(m).as_dict(), gold)
    assert ours >= accuracy(_crowdkit(m, "mace"), gold) - 0.02


def test_default_beats_majority_vote_and_dawid_skene_on_small_sets() -> None:
    for dataset in SMALL:
        m, gold = read_dataset(dataset)
        default = accuracy(AGGREGATORS[DEFAULT_METHOD]().fit(m).as_dict(), gold)
        assert default >= accuracy(MajorityVote().fit(m).as_dict(), gold)
        assert default >= accuracy(DawidSkene().fit(m).as_dict(), gold) - 0.005


def test_one_coin_collapse_on_relevance_does_not_catch_the_default() -> None:
    m, gold = read_dataset("s4_Relevance")
    one_coin = accuracy(OneCoinDawidSkene(max_iter=30).fit(m).as_dict(), gold)
    default = accuracy(AGGREGATORS[DEFAULT_METHOD]().fit(m).as_dict(), gold)
    assert one_coin < 0.4  # the known collapse (crowd-kit: 0.19)
    assert default >= 0.615  # best published (Dawid-Skene)


# The default method's accuracy targets (issue 3), as numbers of gold items right: the best
# published number (crowd-kit JOSS 2024 table in ../shared/data/README.md) and crowd-kit
# 1.4.2 Dawid-Skene on the same de-duplicated data, whichever is higher.
TARGETS = {
    "d_jn-product": 7814,  # of 8315: crowd-kit DS 0.9397 (published .940)
    "d_sentiment": 960,  # of 1000: published DS .960
    "s4_Relevance": 2743,  # of 4460: published DS .615 (crowd-kit DS 2737)
    "s5_AdultContent": 255,  # of 333: published Wawa .766 (crowd-kit DS 255)
    "d_Duck Identification": 96,  # of 108: crowd-kit DS .889
    "s4_Dog data": 680,  # of 807: crowd-kit DS .843
    "s4_Face Sentiment Identification": 374,  # of 584: crowd-kit DS .640
}


@pytest.mark.parametrize("dataset", sorted(TARGETS))
def test_default_meets_the_accuracy_target(dataset: str) -> None:
    m, gold = read_dataset(dataset)
    predicted = AGGREGATORS[DEFAULT_METHOD]().fit(m).as_dict()
    right = sum(predicted[t] == label for t, label in gold.items() if t in predicted)
    assert right >= TARGETS[dataset], f"{dataset}: {right} right, target {TARGETS[dataset]}"


def test_single_answer_tasks_do_not_calibrate_workers() -> None:
    # S_Adult: one worker labelled 18 gold tasks alone. Calibrated on their own tasks, EM
    # explains them as noise and gives every such task the majority class.
    m, gold = read_dataset("s5_AdultContent")
    shared = ShrinkageDawidSkene().fit(m).as_dict()
    unshared = ShrinkageDawidSkene(shared_only=False).fit(m).as_dict()
    solo = np.bincount(m.task_idx, minlength=m.n_tasks) == 1
    solo_gold = [t for t in gold if t in shared and solo[m.task_ids.index(t)]]
    assert len(solo_gold) == 18
    hits = [sum(p[t] == gold[t] for t in solo_gold) for p in (shared, unshared)]
    assert hits[0] > hits[1]


def test_each_ingredient_of_the_default_is_needed() -> None:
    # The ablation in docs/algorithms.md: a fixed strength loses S_Dog (breed confusions
    # are real, the learnt strength keeps them), calibrating on single-answer tasks loses
    # S_Adult.
    for dataset, ablated in (
        ("s4_Dog data", ShrinkageDawidSkene(estimate_strength=False)),
        ("s5_AdultContent", ShrinkageDawidSkene(shared_only=False)),
    ):
        m, gold = read_dataset(dataset)
        predicted = ablated.fit(m).as_dict()
        right = sum(predicted[t] == label for t, label in gold.items() if t in predicted)
        assert right < TARGETS[dataset], dataset
