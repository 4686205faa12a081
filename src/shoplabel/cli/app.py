"""The ``shoplabel`` command: one Typer app; each command group lives in its own module."""

from __future__ import annotations

import typer

from shoplabel.cli import (
    accounts,
    aggregate,
    ai,
    data,
    dataquality,
    demo,
    keys,
    mask,
    pay,
    projects,
    serve,
    simulate,
    training,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="shoplabel",
    help="ShopLabel: AI-assisted crowdsourcing for e-commerce labels.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("init")(accounts.init)
app.command("serve")(serve.serve)
app.add_typer(accounts.user_app, name="user")
app.add_typer(accounts.token_app, name="token")
app.add_typer(projects.project_app, name="project")
app.command("import")(data.import_items)
app.command("export")(data.export_project)
app.command("aggregate")(data.aggregate_project)
app.command("aggregate-file")(aggregate.aggregate_file)
app.command("mask")(mask.mask_file)
app.command("simulate")(simulate.simulate_crowd)
app.command("demo")(demo.demo)
app.add_typer(keys.keys_app, name="keys")
app.add_typer(pay.pay_app, name="pay")
app.add_typer(pay.payout_app, name="payout")
app.add_typer(pay.audit_app, name="audit")
app.command("dedup")(dataquality.dedup_project)
app.add_typer(dataquality.duplicates_app, name="duplicates")
app.command("report")(dataquality.report_project)
app.command("augment")(dataquality.augment_project)
app.command("embed")(ai.embed_items)
app.command("prelabel")(ai.prelabel_project)
app.command("autolabel")(ai.autolabel_project)
app.command("models")(ai.list_models)
app.command("llm-label")(ai.llm_label_project)
app.command("autoreview")(ai.autoreview_project)
app.command("train")(training.train_project)
app.command("trained-models")(training.list_trained)
app.command("model-export")(training.export_model)
app.command("model-promote")(training.promote_model)
app.command("relabel-sample")(training.relabel_items)


def main() -> None:
    """Console-script entry point."""
    app()
