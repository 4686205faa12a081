"""``shoplabel dedup``, ``duplicates``, ``report`` and ``augment``: data quality from the shell."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from shoplabel.cli.context import AS_USER, console, handle_errors, operator, platform
from shoplabel.dataprep.augment import Perturbation
from shoplabel.dataprep.formats import detect_format
from shoplabel.dataprep.writers import open_writer
from shoplabel.domain.dataquality import DuplicateDecision
from shoplabel.domain.ids import ItemId, ProjectId
from shoplabel.ml.llm import LlmClient, LlmOptions
from shoplabel.services import augmentation, data_report, dedup, duplicates

__all__ = ["augment_project", "dedup_project", "duplicates_app", "report_project"]

duplicates_app = typer.Typer(help="List duplicate groups and decide keep-one / keep-all.")


def _split(raw: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (raw or "").split(",") if p.strip())


def _bar() -> Progress:
    cols = (*Progress.get_default_columns()[:2], MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*cols, console=console)


@handle_errors
def dedup_project(
    project_id: int,
    fields: str | None = typer.Option(None, help="Payload fields compared, e.g. 'title,brand'."),
    threshold: float = typer.Option(0.8, help="Jaccard of character shingles (0-1)."),
    num_perm: int = typer.Option(128, help="MinHash permutations."),
    shingle: int = typer.Option(3, help="Characters per shingle."),
    outlier_fields: str | None = typer.Option(None, help="Numeric fields, e.g. 'price'."),
    outlier_method: str = typer.Option("robust-z", help="robust-z or iqr."),
    as_user: str | None = AS_USER,
) -> None:
    """Find duplicate groups (exact, near) and numeric outliers of PROJECT_ID and store them."""
    p = platform()
    opts = dedup.DedupOptions(
        fields=_split(fields),
        threshold=threshold,
        num_perm=num_perm,
        shingle=shingle,
        outlier_fields=_split(outlier_fields),
        outlier_method=outlier_method,
    )
    with _bar() as bar:
        task = bar.add_task("cleaning", total=None)
        s = dedup.run_dedup(
            p.uow,
            actor=operator(p, as_user),
            project_id=ProjectId(project_id),
            options=opts,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    table = Table("kind", "groups", "items in groups")
    for kind, n in s.groups.items():
        table.add_row(kind, str(n), str(s.items_in_groups[kind]))
    console.print(table)
    console.print(
        f"{s.n_items} items, {s.n_conflicting} conflicting groups, {s.n_outliers} outliers,"
        f" {s.seconds:.1f} s"
    )
    p.dispose()


@duplicates_app.command("list")
@handle_errors
def list_duplicates(
    project_id: int,
    kind: str | None = typer.Option(None, help="exact, near or embedding."),
    conflicting: bool = typer.Option(False, help="Only groups whose labels differ."),
    limit: int = typer.Option(50, min=1, max=500),
    as_user: str | None = AS_USER,
) -> None:
    """Duplicate groups of the last cleaning run."""
    p = platform()
    groups = duplicates.list_groups(
        p.uow(),
        actor=operator(p, as_user),
        project_id=ProjectId(project_id),
        kind=kind,
        conflicting_only=conflicting,
        limit=limit,
    )
    table = Table("group", "kind", "items", "similarity", "conflicting", "decision")
    for g in groups:
        table.add_row(
            str(g.id),
            g.kind,
            ",".join(map(str, g.item_ids[:12])) + (" ..." if len(g.item_ids) > 12 else ""),
            f"{g.similarity:.2f}",
            "yes" if g.conflicting else "",
            g.decision.value + (f" ({g.keep_item_id})" if g.keep_item_id else ""),
        )
    console.print(table)
    p.dispose()


@duplicates_app.command("decide")
@handle_errors
def decide_duplicates(
    group_id: int,
    keep: int | None = typer.Option(None, help="Keep this item; the others leave the queue."),
    keep_all: bool = typer.Option(False, help="Keep every member."),
    propagate: bool = typer.Option(False, help="Copy the kept (or agreed) label to the others."),
    as_user: str | None = AS_USER,
) -> None:
    """Decide a duplicate group: --keep ITEM (keep-one) or --keep-all; --propagate labels."""
    p = platform()
    decision = DuplicateDecision.KEEP_ALL if keep_all else DuplicateDecision.KEEP_ONE
    out = duplicates.decide(
        p.uow(),
        actor=operator(p, as_user),
        group_id=group_id,
        decision=decision,
        keep_item_id=None if keep is None else ItemId(keep),
        propagate=propagate,
    )
    console.print(
        f"group {group_id}: {out.group.decision.value}, {out.n_closed} items left the queue,"
        f" {out.n_propagated} labels propagated"
    )
    p.dispose()


@handle_errors
def report_project(
    project_id: int,
    out: Path | None = typer.Option(None, "--json", help="Also write the report as JSON here."),
    pii_sample: int = typer.Option(data_report.PII_SAMPLE, help="Items scanned for PII."),
    as_user: str | None = AS_USER,
) -> None:
    """Compute and store PROJECT_ID's data-quality report (the page shows the stored one)."""
    p = platform()
    with _bar() as bar:
        task = bar.add_task("reading items", total=None)
        report = data_report.build_report(
            p.uow,
            actor=operator(p, as_user),
            project_id=ProjectId(project_id),
            pii_sample=pii_sample,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    table = Table("section", "figure")
    table.add_row("items", str(report["n_items"]))
    for m in report["missing"][:10]:
        table.add_row(f"missing {m['field']}", str(m["n_missing"]))
    for d in report["duplicates"]:
        table.add_row(f"{d['kind']} duplicate groups", f"{d['n_groups']} ({d['n_items']} items)")
    for f in report["flags"]:
        table.add_row(f"flag {f['code']} {f['field']}", str(f["n_items"]))
    for kind, n in report["pii"]["by_kind"].items():
        table.add_row(f"pii {kind}", str(n))
    issues = report["label_issues"]
    table.add_row("consensus differs from gold", str(issues["gold_disagreements"]))
    table.add_row("conflicting duplicate groups", str(issues["conflicting_duplicate_groups"]))
    alpha = report["agreement"]["alpha"]
    table.add_row("krippendorff alpha", "-" if alpha is None else f"{alpha:.3f}")
    console.print(table)
    if out is not None:
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        console.print(f"wrote {out}")
    p.dispose()


@handle_errors
def augment_project(
    project_id: int,
    field: str = typer.Option(..., help="Payload field to vary, e.g. 'query'."),
    out: Path = typer.Option(..., help="Output file; format from its suffix."),
    n: int = typer.Option(2, min=1, max=20, help="Variants per training row."),
    kinds: str = typer.Option("typo,swap,drop", help="typo, swap, drop, synonym, paraphrase."),
    eval_fraction: float = typer.Option(0.2, help="Share of items held out for evaluation."),
    seed: int = typer.Option(0),
    llm_url: str | None = typer.Option(
        None, help="OpenAI-compatible endpoint for 'paraphrase' (none: no paraphrases)."
    ),
    llm_model: str = typer.Option("", help="Model name the endpoint serves."),
    llm_key_env: str = typer.Option(
        "SHOPLABEL_LLM_API_KEY", help="Environment variable holding the endpoint's API key."
    ),
    as_user: str | None = AS_USER,
) -> None:
    """Export PROJECT_ID with a train/eval split and augmented rows (train split only).

    Paraphrases need --llm-url (the key is read from --llm-key-env; neither is printed).
    """
    p = platform()
    try:
        chosen = tuple(Perturbation(k) for k in _split(kinds))
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--kinds") from None
    opts = augmentation.AugmentOptions(
        field=field, n=n, kinds=chosen, eval_fraction=eval_fraction, seed=seed
    )
    client = None
    if llm_url:
        options = LlmOptions(
            base_url=llm_url,
            model=llm_model,
            api_key=os.environ.get(llm_key_env) or None,
            max_tokens=128,
        )
        client = LlmClient(options)
    rows = augmentation.augmented_rows(
        p.uow,
        actor=operator(p, as_user),
        project_id=ProjectId(project_id),
        options=opts,
        paraphraser=client,
    )
    n_aug = 0
    try:
        with open_writer(out, fmt=detect_format(out)) as writer:
            for row in rows:
                writer.write(row)
                n_aug += bool(row["augmented"])
    finally:
        if client is not None:
            client.close()
        p.dispose()
    console.print(f"wrote {writer.rows_written} rows ({n_aug} augmented) to {out}")
