"""Masking at import: the cost of a ``privacy`` policy, side by side with a plain import.

Real Chinese product reviews (``../shared/data/ecommerce/online_shopping_10_cats``), a share of
them with personal data appended (phones, e-mails, addresses, names, ID numbers, cards: the
kinds a buyer writes into a review), imported through ``services.imports.import_file`` into
two fresh projects of the same database in one run: one without a policy, one masking
``review`` (workers ``tag``, reviewers and managers ``partial``, so every masked item also
stores two extra views and an AES-256-GCM ciphertext). Also times revealing 200 items and
re-sealing every item with a new key (``shoplabel keys rotate``).

Usage::

    .venv/bin/python -m benchmarks.privacy_import --rows 60000 --db both
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.import_1m import fresh_platform, pg_schema
from shoplabel.bootstrap import Platform
from shoplabel.dataprep.pii.sealing import Keyring, generate_key
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.domain.users import Actor, Role
from shoplabel.services import auth, imports, key_rotation, reveals
from shoplabel.services.privacy import PrivacyKeys
from shoplabel.services.projects import ProjectSpec, create_project

REVIEWS_ZIP = (
    Path(__file__).resolve().parents[2]
    / "shared/data/ecommerce/online_shopping_10_cats/online_shopping_10_cats.zip"
)
POLICY = {"fields": {"review": {"worker": "tag", "reviewer": "partial", "manager": "partial"}}}
_PII = (
    "，有问题打我电话1{0}{1:09d}",
    "，邮箱 buyer{1}@example.com",
    "，寄到北京市朝阳区建国路{2}号",
    "，收件人：王小{3}",
    "，身份证11010519491231002X",
    "，卡号4111 1111 1111 1111",
)


def reviews(n_rows: int, *, pii_share: float, seed: int = 11) -> Iterator[dict[str, str]]:
    """``n_rows`` real reviews (cycled if needed); ``pii_share`` of them get one PII phrase."""
    with zipfile.ZipFile(REVIEWS_ZIP) as z, z.open("online_shopping_10_cats.csv") as raw:
        rows = [r for r in csv.DictReader(io.TextIOWrapper(raw, "utf-8-sig")) if r["review"]]
    rng = random.Random(seed)
    for i in range(n_rows):
        r = rows[i % len(rows)]
        text = r["review"]
        if rng.random() < pii_share:
            phrase = rng.choice(_PII)
            text += phrase.format(
                rng.choice("3589"), rng.randrange(10**8), i % 300, rng.choice("明红刚")
            )
        yield {"external_id": f"r{i}", "review": text, "category": r["cat"]}


def _write(path: Path, n_rows: int, pii_share: float) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["external_id", "review", "category"])
        writer.writeheader()
        writer.writerows(reviews(n_rows, pii_share=pii_share))


def _project(p: Platform, owner: Actor, name: str, privacy: Any) -> ProjectId:
    spec = ProjectSpec(name=name, template="review_sentiment", settings={"privacy": privacy})
    return create_project(p.uow(), spec, actor=owner).id


def _timed_import(p: Platform, owner: Actor, pid: ProjectId, path: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    report = imports.import_file(p.uow, path, actor=owner, project_id=pid, keys=p.privacy)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "inserted": report.inserted,
        "rows_per_s": report.inserted / seconds,
    }


def run(db: str, path: Path, work: Path, n_rows: int) -> dict[str, Any]:
    k1 = generate_key()
    keys = PrivacyKeys(Keyring.parse(f"k1:{k1}"), b"bench-pii-key")
    schema = pg_schema("privacy") if db == "postgres" else nullcontext(None)
    with schema as url:
        p = replace(fresh_platform(work / db, url), privacy=keys)
        owner = Actor.of(
            auth.create_user(p.uow(), actor=None, username="bench", password=None, role=Role.ADMIN)
        )
        plain = _timed_import(p, owner, _project(p, owner, "plain", None), path)
        pid = _project(p, owner, "masked", POLICY)
        masked = _timed_import(p, owner, pid, path)
        with p.uow().reading() as uow:
            sealed = sum(uow.privacy.key_counts(pid).values())
            ids = [ItemId(s.item_id) for s in uow.privacy.list_by_key(
                "k1", project_id=pid, after_item_id=0, limit=200)]  # fmt: skip
        t0 = time.perf_counter()
        for item_id in ids:
            reveals.reveal(p.uow(), actor=owner, item_id=item_id, keys=keys, reason="bench")
        reveal_ms = (time.perf_counter() - t0) / len(ids) * 1000
        rotated = replace(keys, keyring=Keyring.parse(f"k1:{k1},k2:{generate_key()}", active="k2"))
        t0 = time.perf_counter()
        report = key_rotation.rotate(p.uow, rotated, batch_size=500)
        rotate_s = time.perf_counter() - t0
        p.dispose()
    return {
        "db": db,
        "rows": n_rows,
        "plain_s": plain["seconds"],
        "masked_s": masked["seconds"],
        "ratio": masked["seconds"] / plain["seconds"],
        "plain_rows_per_s": plain["rows_per_s"],
        "masked_rows_per_s": masked["rows_per_s"],
        "sealed_items": sealed,
        "reveal_ms": reveal_ms,
        "rotated": report.rekeyed,
        "rotate_items_per_s": report.rekeyed / rotate_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--pii-share", type=float, default=0.2)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    args = parser.parse_args()
    console = Console()
    results = []
    with tempfile.TemporaryDirectory(prefix="sl-privacy-bench-") as tmp:
        work = Path(tmp)
        path = work / "reviews.csv"
        _write(path, args.rows, args.pii_share)
        for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
            results.append(run(db, path, work, args.rows))
            console.print(results[-1])
    table = Table(title=f"import of {args.rows:,} reviews, {args.pii_share:.0%} with PII")
    for col in ("db", "plain s", "masked s", "ratio", "masked rows/s", "sealed", "reveal ms",
                "rotate items/s"):  # fmt: skip
        table.add_column(col)
    for r in results:
        table.add_row(
            r["db"], f"{r['plain_s']:.1f}", f"{r['masked_s']:.1f}", f"{r['ratio']:.2f}",
            f"{r['masked_rows_per_s']:,.0f}", f"{r['sealed_items']:,}", f"{r['reveal_ms']:.1f}",
            f"{r['rotate_items_per_s']:,.0f}",
        )  # fmt: skip
    console.print(table)


if __name__ == "__main__":
    main()
