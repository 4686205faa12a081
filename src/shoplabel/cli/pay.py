"""``shoplabel pay``, ``payout`` and ``audit``: the pay pipeline, payout batches and the
tamper-evident audit trail (the local operator is trusted like the database owner)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from shoplabel.bootstrap import UowOpener
from shoplabel.cli.context import AS_USER, console, err_console, handle_errors, operator, platform
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.money import format_amount
from shoplabel.errors import AuditChainBroken, InvalidPayRule
from shoplabel.services import audit, pay_rules, pay_run, payout_files, payouts

__all__ = ["audit_app", "pay_app", "payout_app"]

pay_app = typer.Typer(help="Pay rules and the pay pipeline.", no_args_is_help=True)
payout_app = typer.Typer(help="Payout batches for the payment provider.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


def _progress() -> Progress:
    return Progress(
        *Progress.get_default_columns()[:-1],
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
    )


@pay_app.command("run")
@handle_errors
def run() -> None:
    """Seal the audit trail, accrue pay for accepted and rejected labels, post bonuses."""
    p = platform()
    with console.status("sealing the audit trail and accruing pay"):
        r = pay_run.run(p.uow)
    console.print(
        f"sealed {r.n_sealed} records (head {r.head_seq}); read {r.n_records}; "
        f"posted {r.n_entries} entries and {r.n_bonuses} bonuses",
        highlight=False,
    )


@pay_app.command("rule")
@handle_errors
def set_rule(
    project_id: int,
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    as_user: str | None = AS_USER,
) -> None:
    """Store a new version of PROJECT_ID's pay rule from a JSON file (applies from now on)."""
    p = platform()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InvalidPayRule(f"{path.name} is not JSON: {e}", details={"field": "rule"}) from None
    v = pay_rules.set_rule(
        p.uow(), actor=operator(p, as_user), project_id=ProjectId(project_id), rule=raw
    )
    console.print(
        f"project {project_id}: pay rule version {v.version} applies from "
        f"{v.created_at:%Y-%m-%d %H:%M:%S} UTC"
    )


@payout_app.command("create")
@handle_errors
def create(
    currency: str = typer.Option("USD", help="ISO 4217 code."),
    minimum: int | None = typer.Option(
        None, min=1, help="Minor units (default: $SHOPLABEL_PAYOUT_MINIMUM)."
    ),
) -> None:
    """Move every available balance of at least MINIMUM into a new payout batch."""
    p = platform()
    minimum = minimum or p.settings.payout_minimum
    batch = payouts.create_batch(p.uow(), actor=None, currency=currency.upper(), minimum=minimum)
    if batch is None:
        console.print(
            f"nobody has {format_amount(minimum, currency.upper())} {currency} or more; no batch"
        )
        return
    console.print(
        f"batch {batch.id}: {batch.n_lines} workers, {format_amount(batch.total, batch.currency)} "
        f"{batch.currency}",
        highlight=False,
    )


@payout_app.command("list")
@handle_errors
def list_batches() -> None:
    """Payout batches, newest first."""
    p = platform()
    table = Table("id", "status", "lines", "total", "created")
    for b in payouts.list_batches(p.uow(), actor=None):
        table.add_row(
            str(b.id),
            b.status.value,
            str(b.n_lines),
            f"{format_amount(b.total, b.currency)} {b.currency}",
            f"{b.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@payout_app.command("export")
@handle_errors
def export(
    batch_id: int,
    out: Path = typer.Option(..., "--out", help="Output file (.csv or .json)."),
    fmt: str | None = typer.Option(None, "--format", help="csv or json (default: by suffix)."),
) -> None:
    """Write batch BATCH_ID for the payment provider."""
    p = platform()
    fmt = fmt or ("json" if out.suffix.lower() == ".json" else "csv")
    batch, lines = payouts.batch_lines(p.uow(), actor=None, batch_id=batch_id)
    out.write_text(payout_files.export_text(batch, lines, fmt=fmt), encoding="utf-8")
    console.print(f"wrote {len(lines)} lines of batch {batch_id} to {out}")


@payout_app.command("confirm")
@handle_errors
def confirm(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    fmt: str | None = typer.Option(None, "--format", help="csv or json (default: by suffix)."),
) -> None:
    """Mark lines paid or failed from the provider's confirmation file (idempotent)."""
    p = platform()
    fmt = fmt or ("json" if path.suffix.lower() == ".json" else "csv")
    rows = payout_files.parse_confirmation(path.read_text(encoding="utf-8-sig"), fmt=fmt)
    r = payouts.confirm(p.uow(), actor=None, batch_id=payout_files.batch_of(rows), rows=rows)
    console.print(
        f"batch {r.batch_id}: {r.n_paid} paid, {r.n_failed} failed, {r.n_unchanged} already "
        f"settled{'; batch settled' if r.settled else ''}",
        highlight=False,
    )


@audit_app.command("verify")
@handle_errors
def verify(
    workers: int = typer.Option(1, min=1, max=64, help="Processes checking parts of the chain."),
) -> None:
    """Recompute the hash chain; exit 1 naming the first edited or missing record."""
    p = platform()
    opener = UowOpener(p.settings.resolved_database_url())
    with _progress() as bar:
        task = bar.add_task("verifying", total=None)
        report = audit.verify(
            p.uow,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            workers=workers,
            opener=opener,
        )
    if report.broken is not None:
        b = report.broken
        e = AuditChainBroken(
            f"record {b.seq}: {b.reason.value}: {b.detail}",
            details={"seq": b.seq, "reason": b.reason.value, "checked": report.n_checked},
        )
        err_console.print(f"[bold red]{e.code}[/]: {e.message}", highlight=False)
        sys.exit(1)
    console.print(
        f"audit chain intact: {report.n_checked} records up to {report.head_seq}"
        f"{f'; {report.n_unsealed} not sealed yet' if report.n_unsealed else ''}",
        highlight=False,
    )


@audit_app.command("export")
@handle_errors
def export_audit(out: Path = typer.Option(..., "--out", help="Output JSON lines file.")) -> None:
    """Write the chain as JSON lines an outside auditor can verify (docs/payments.md)."""
    p = platform()
    with _progress() as bar:
        task = bar.add_task("exporting", total=None)
        seq, h = audit.export(
            p.uow, out, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    console.print(f"wrote records 1..{seq} to {out}; head hash {h}", highlight=False)
