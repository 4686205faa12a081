"""The bundled real-data samples in ``shoplabel/demo_data`` parse and are what they claim."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import pytest

DEMO = files("shoplabel") / "demo_data"

EXPECTED_FILES = [
    "README.md",
    "abt_buy_pairs.jsonl",
    "abt_buy_answers.csv",
    "reviews_zh.jsonl",
    "wands_queries.jsonl",
    "zh_queries.jsonl",
]


def _jsonl(name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for line in (DEMO / name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            assert isinstance(row, dict)
            rows.append(row)
    return rows


def _answers() -> list[dict[str, str]]:
    text = (DEMO / "abt_buy_answers.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _ids_unique(rows: list[dict[str, Any]]) -> bool:
    ids = [row["external_id"] for row in rows]
    return len(ids) == len(set(ids))


def test_all_files_present_and_small() -> None:
    total = 0
    for name in EXPECTED_FILES:
        entry: Traversable = DEMO / name
        assert entry.is_file(), name
        total += len(entry.read_bytes())
    assert total < 1_600_000


def test_abt_buy_pairs_schema() -> None:
    pairs = _jsonl("abt_buy_pairs.jsonl")
    assert 550 <= len(pairs) <= 650
    assert _ids_unique(pairs)
    for row in pairs:
        assert set(row) == {"external_id", "left", "right", "gold"}
        assert re.fullmatch(r"abtbuy-\d{4}", row["external_id"])
        assert row["gold"] in {"same", "different"}
        for side in ("left", "right"):
            assert set(row[side]) == {"name", "description", "price"}
            assert row[side]["name"]
            assert all(isinstance(v, str) for v in row[side].values())
            assert len(row[side]["description"]) <= 300
    gold = Counter(row["gold"] for row in pairs)
    assert gold["same"] >= 140
    assert gold["different"] >= 140
    assert gold["different"] > gold["same"]  # the real data is mostly "different"


def test_abt_buy_ids_do_not_encode_gold() -> None:
    pairs = _jsonl("abt_buy_pairs.jsonl")
    numbers = [int(row["external_id"].split("-")[1]) for row in pairs]
    assert sorted(numbers) == list(range(1, len(pairs) + 1))  # sequential, nothing else
    rate = Counter(row["gold"] for row in pairs)["same"] / len(pairs)

    def same_rate(subset: list[dict[str, Any]]) -> float:
        return sum(bool(row["gold"] == "same") for row in subset) / len(subset)

    by_number = sorted(pairs, key=lambda row: row["external_id"])
    half = len(by_number) // 2
    odd = [row for row, n in zip(pairs, numbers, strict=True) if n % 2]
    even = [row for row, n in zip(pairs, numbers, strict=True) if not n % 2]
    for subset in (by_number[:half], by_number[half:], odd, even):
        assert abs(same_rate(subset) - rate) < 0.08


def test_abt_buy_answers_match_pairs() -> None:
    pairs = _jsonl("abt_buy_pairs.jsonl")
    answers = _answers()
    ids = {row["external_id"] for row in pairs}
    assert answers
    assert set(answers[0]) == {"external_id", "worker", "answer", "seq"}
    seen: set[tuple[str, str]] = set()
    for row in answers:
        assert row["external_id"] in ids
        assert re.fullmatch(r"mturk-\d{3}", row["worker"])
        assert row["answer"] in {"same", "different"}
        key = (row["external_id"], row["worker"])
        assert key not in seen  # one answer per (item, worker)
        seen.add(key)
    assert [int(row["seq"]) for row in answers] == list(range(1, len(answers) + 1))
    per_item = Counter(row["external_id"] for row in answers)
    assert set(per_item) == ids
    assert all(1 <= n <= 5 for n in per_item.values())


def test_abt_buy_majority_vote_is_real_signal() -> None:
    gold = {row["external_id"]: row["gold"] for row in _jsonl("abt_buy_pairs.jsonl")}
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _answers():
        votes[row["external_id"]][row["answer"]] += 1
    # ties cannot happen with 3 binary answers; break them towards "different" if they do
    correct = sum(
        max(("different", "same"), key=lambda label: votes[item][label]) == truth
        for item, truth in gold.items()
    )
    accuracy = correct / len(gold)
    assert 0.8 <= accuracy <= 0.99


def test_reviews_zh() -> None:
    rows = _jsonl("reviews_zh.jsonl")
    assert 550 <= len(rows) <= 650
    assert _ids_unique(rows)
    for row in rows:
        assert set(row) == {"external_id", "category", "review", "gold_sentiment"}
        assert re.fullmatch(r"review-\d{4}", row["external_id"])
        assert row["review"].strip()
        assert len(row["review"]) <= 400
        assert row["gold_sentiment"] in {"positive", "negative"}
    strata = Counter((row["category"], row["gold_sentiment"]) for row in rows)
    assert len({cat for cat, _ in strata}) == 10
    assert len(strata) == 20
    assert len(set(strata.values())) == 1  # balanced strata


@pytest.mark.parametrize(
    ("name", "pattern", "count"),
    [("wands_queries.jsonl", r"wands-q\d+", 480), ("zh_queries.jsonl", r"cpr-q\d+", 300)],
)
def test_queries(name: str, pattern: str, count: int) -> None:
    rows = _jsonl(name)
    assert len(rows) == count
    assert _ids_unique(rows)
    for row in rows:
        assert re.fullmatch(pattern, row["external_id"])
        assert isinstance(row["query"], str)
        assert row["query"].strip()
        if name.startswith("wands"):
            assert set(row) == {"external_id", "query", "query_class"}
            assert isinstance(row["query_class"], str)
        else:
            assert set(row) == {"external_id", "query"}
