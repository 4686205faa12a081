"""Precision and recall of the PII detector per kind on the labelled set (target >= 0.95).

Run ``.venv/bin/python -m pytest tests/dataprep/test_pii_quality.py -q -s`` to print the table.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from shoplabel.dataprep.pii import PiiKind, detect

CASES = Path(__file__).resolve().parent.parent / "data" / "pii_cases.jsonl"
TARGET = 0.95

Triple = tuple[str, int, int]


@dataclass(frozen=True)
class Scores:
    tp: Counter[str]
    fp: Counter[str]
    fn: Counter[str]
    n_cases: int
    n_negative: int

    def precision(self, kind: str) -> float:
        found = self.tp[kind] + self.fp[kind]
        return self.tp[kind] / found if found else 1.0

    def recall(self, kind: str) -> float:
        wanted = self.tp[kind] + self.fn[kind]
        return self.tp[kind] / wanted if wanted else 1.0


def _load() -> list[tuple[str, set[Triple]]]:
    cases = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        gold = {(s["kind"], s["start"], s["end"]) for s in case["spans"]}
        cases.append((case["text"], gold))
    return cases


@pytest.fixture(scope="module")
def scores() -> Scores:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    cases = _load()
    for text, gold in cases:
        found = {(s.kind.value, s.start, s.end) for s in detect(text)}
        tp.update(k for k, _, _ in gold & found)
        fp.update(k for k, _, _ in found - gold)
        fn.update(k for k, _, _ in gold - found)
    n_negative = sum(1 for _, gold in cases if not gold)
    return Scores(tp, fp, fn, len(cases), n_negative)


def test_pii_labelled_set_is_large_and_well_formed() -> None:
    cases = _load()
    assert len(cases) >= 300
    assert sum(1 for _, gold in cases if not gold) >= 100
    kinds = {k.value for k in PiiKind}
    for text, gold in cases:
        for kind, start, end in gold:
            assert kind in kinds and 0 <= start < end <= len(text)


def test_pii_every_kind_has_positives(scores: Scores) -> None:
    for kind in PiiKind:
        assert scores.tp[kind.value] + scores.fn[kind.value] >= 15, kind


def test_pii_precision_and_recall_per_kind(scores: Scores) -> None:
    lines = [
        f"{scores.n_cases} cases ({scores.n_negative} without PII)",
        f"{'kind':<12} {'gold':>5} {'found':>6} {'tp':>4} {'fp':>3} {'fn':>3} "
        f"{'precision':>9} {'recall':>7}",
    ]
    failing = []
    for kind in (k.value for k in PiiKind):
        p, r = scores.precision(kind), scores.recall(kind)
        gold, found = scores.tp[kind] + scores.fn[kind], scores.tp[kind] + scores.fp[kind]
        lines.append(
            f"{kind:<12} {gold:>5} {found:>6} {scores.tp[kind]:>4} {scores.fp[kind]:>3} "
            f"{scores.fn[kind]:>3} {p:>9.3f} {r:>7.3f}"
        )
        if p < TARGET or r < TARGET:
            failing.append(kind)
    print("\n" + "\n".join(lines))  # noqa: T201 - the measured table, shown with -s
    assert not failing, f"below {TARGET} precision or recall: {failing}"
