"""Build the small real-data samples bundled in ``src/shoplabel/demo_data/``.

Run from anywhere: ``.venv/bin/python scripts/make_demo_data.py``. Reads the shared data
at ``<repo root>/../shared/data`` and rewrites every file in the output directory. The
output is deterministic (fixed seeds); see DATA_SOURCES.md for what is sampled and how.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import random
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = REPO_ROOT / ".." / "shared" / "data"
OUT_DIR = REPO_ROOT / "src" / "shoplabel" / "demo_data"

PRODUCT_DIR = DATA_ROOT / "crowd" / "zheng2017" / "d_jn-product"
REVIEWS_ZIP = DATA_ROOT / "ecommerce" / "online_shopping_10_cats" / "online_shopping_10_cats.zip"
WANDS_QUERIES = DATA_ROOT / "ecommerce" / "wands" / "dataset" / "query.csv"
CPR_QUERIES = DATA_ROOT / "ecommerce" / "multi_cpr_ecom" / "data" / "ecom" / "train.query.txt"

SEED = 20240601
N_PAIRS_SAME = 150
N_PAIRS_DIFFERENT = 450
N_REVIEWS_PER_STRATUM = 30  # 10 categories x 2 sentiments = 600 reviews
N_ZH_QUERIES = 300
MAX_DESCRIPTION_CHARS = 300
MAX_REVIEW_CHARS = 400
GOLD_NAMES = {"0": "different", "1": "same"}


def truncate(text: str, limit: int) -> str:
    """Collapse whitespace and cut ``text`` to at most ``limit`` characters (ellipsis if cut)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


# --------------------------------------------------------------------------- Abt-Buy


@dataclass(frozen=True)
class RawAnswer:
    question: str
    worker: str
    answer: str
    position: int  # row index in product.txt (submission order)


def load_products() -> dict[int, dict[str, str]]:
    """``data_product``: one Python-literal ``[id, name, description, price]`` per line."""
    products: dict[int, dict[str, str]] = {}
    lines = (PRODUCT_DIR / "data_product").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:  # first line is the header ['id', 'name', 'description', 'price']
        if not line.strip():
            continue
        rec_id, name, description, price = ast.literal_eval(line)
        products[int(rec_id)] = {
            "name": " ".join(str(name).split()),
            "description": truncate(str(description), MAX_DESCRIPTION_CHARS),
            "price": str(price).strip(),
        }
    return products


def load_truth() -> dict[str, str]:
    with (PRODUCT_DIR / "truth.csv").open(encoding="utf-8", newline="") as fh:
        return {row["question"]: row["truth"] for row in csv.DictReader(fh)}


def load_answers() -> list[RawAnswer]:
    """Answers of ``answer.csv``, ordered by their row in ``product.txt`` (submission order).

    ``answer.csv`` is the canonical answer set; ``product.txt`` is used only for the order.
    Where a (question, worker) pair occurs more than once, the last occurrence wins.
    """
    with (PRODUCT_DIR / "answer.csv").open(encoding="utf-8", newline="") as fh:
        canonical: dict[tuple[str, str], str] = {}
        for row in csv.DictReader(fh):
            canonical[(row["question"], row["worker"])] = row["answer"]  # keep last
    position: dict[tuple[str, str], int] = {}
    with (PRODUCT_DIR / "product.txt").open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            worker, _hit, _assignment, question, _answer = line.split()
            position[(question, worker)] = i  # keep last
    missing = [key for key in canonical if key not in position]
    if missing:
        raise SystemExit(f"{len(missing)} answer.csv rows have no product.txt row: {missing[:3]}")
    answers = [RawAnswer(q, w, a, position[(q, w)]) for (q, w), a in canonical.items()]
    answers.sort(key=lambda a: a.position)
    return answers


def sample_questions(truth: Mapping[str, str], rng: random.Random) -> list[str]:
    """150 gold-1 and 450 gold-0 questions, shuffled together (ids are given in this order)."""
    same = sorted(q for q, t in truth.items() if t == "1")
    different = sorted(q for q, t in truth.items() if t == "0")
    chosen = rng.sample(same, N_PAIRS_SAME) + rng.sample(different, N_PAIRS_DIFFERENT)
    rng.shuffle(chosen)
    return chosen


def build_abt_buy(rng: random.Random) -> tuple[int, int]:
    products = load_products()
    truth = load_truth()
    questions = sample_questions(truth, rng)
    new_id = {q: f"abtbuy-{i:04d}" for i, q in enumerate(questions, start=1)}

    def pair_row(question: str) -> dict[str, Any]:
        left_id, right_id, _leaked_gold = question.split("_")
        return {
            "external_id": new_id[question],
            "left": products[int(left_id)],
            "right": products[int(right_id)],
            "gold": GOLD_NAMES[truth[question]],
        }

    n_pairs = write_jsonl(OUT_DIR / "abt_buy_pairs.jsonl", (pair_row(q) for q in questions))

    workers: dict[str, str] = {}
    n_answers = 0
    with (OUT_DIR / "abt_buy_answers.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["external_id", "worker", "answer", "seq"])
        for ans in load_answers():  # submission order
            if ans.question not in new_id:
                continue
            pseudonym = workers.setdefault(ans.worker, f"mturk-{len(workers) + 1:03d}")
            n_answers += 1
            writer.writerow([new_id[ans.question], pseudonym, GOLD_NAMES[ans.answer], n_answers])
    return n_pairs, n_answers


# --------------------------------------------------------------------------- reviews


def build_reviews(rng: random.Random) -> int:
    with zipfile.ZipFile(REVIEWS_ZIP) as zf:
        text = zf.read("online_shopping_10_cats.csv").decode("utf-8-sig")
    strata: dict[tuple[str, str], list[str]] = {}
    seen: set[str] = set()
    for row in csv.DictReader(io.StringIO(text)):
        review = " ".join((row["review"] or "").split())
        if not review or review in seen:  # skip empty reviews and exact duplicates
            continue
        seen.add(review)
        strata.setdefault((row["cat"], row["label"]), []).append(review)
    picked: list[tuple[str, str, str]] = []
    for (cat, label), reviews in sorted(strata.items()):
        for review in rng.sample(reviews, N_REVIEWS_PER_STRATUM):
            picked.append((cat, label, review))
    rng.shuffle(picked)
    rows = (
        {
            "external_id": f"review-{i:04d}",
            "category": cat,
            "review": truncate(review, MAX_REVIEW_CHARS),
            "gold_sentiment": "positive" if label == "1" else "negative",
        }
        for i, (cat, label, review) in enumerate(picked, start=1)
    )
    return write_jsonl(OUT_DIR / "reviews_zh.jsonl", rows)


# --------------------------------------------------------------------------- queries


def build_wands() -> int:
    with WANDS_QUERIES.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        rows = [
            {
                "external_id": f"wands-q{int(row['query_id'])}",
                "query": row["query"].strip(),
                "query_class": (row["query_class"] or "").strip(),
            }
            for row in reader
        ]
    return write_jsonl(OUT_DIR / "wands_queries.jsonl", rows)


def build_zh_queries(rng: random.Random) -> int:
    pairs: list[tuple[int, str]] = []
    for line in CPR_QUERIES.read_text(encoding="utf-8").splitlines():
        qid, _, query = line.partition("\t")
        if query.strip():
            pairs.append((int(qid), query.strip()))
    chosen = sorted(rng.sample(pairs, N_ZH_QUERIES))
    rows = ({"external_id": f"cpr-q{qid}", "query": query} for qid, query in chosen)
    return write_jsonl(OUT_DIR / "zh_queries.jsonl", rows)


# --------------------------------------------------------------------------- main


README = """\
# Bundled demo and test data

Small samples of real public data. See DATA_SOURCES.md at the repository root for origins,
licences, sampling and how to regenerate (`python scripts/make_demo_data.py`). Do not edit
by hand.

- `abt_buy_pairs.jsonl` ({pairs} rows): Abt-Buy product pairs. Fields `external_id`,
  `left` and `right` (each `{{name, description, price}}`), `gold` (`same` / `different`).
- `abt_buy_answers.csv` ({answers} rows): the real MTurk answers to those pairs, columns
  `external_id,worker,answer,seq` (pseudonymised workers, `seq` = submission order).
- `reviews_zh.jsonl` ({reviews} rows): Chinese product reviews. Fields `external_id`,
  `category`, `review`, `gold_sentiment` (`positive` / `negative`).
- `wands_queries.jsonl` ({wands} rows): Wayfair WANDS queries. Fields `external_id`, `query`,
  `query_class` (empty string where WANDS gives no class).
- `zh_queries.jsonl` ({zh} rows): Chinese e-commerce search queries (Alibaba Multi-CPR).
  Fields `external_id`, `query`.
"""


def main() -> None:
    if not DATA_ROOT.is_dir():
        raise SystemExit(f"shared data not found at {DATA_ROOT.resolve()}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    n_pairs, n_answers = build_abt_buy(random.Random(SEED))
    counts = {
        "pairs": n_pairs,
        "answers": n_answers,
        "reviews": build_reviews(random.Random(SEED + 1)),
        "wands": build_wands(),
        "zh": build_zh_queries(random.Random(SEED + 2)),
    }
    (OUT_DIR / "README.md").write_text(README.format(**counts), encoding="utf-8")
    sizes = Counter({p.name: p.stat().st_size for p in OUT_DIR.iterdir() if p.is_file()})
    for name, size in sorted(sizes.items()):
        print(f"{name:24s} {size / 1024:8.1f} KiB")
    print(f"{'total':24s} {sum(sizes.values()) / 1024:8.1f} KiB; rows: {counts}")


if __name__ == "__main__":
    main()
