"""``shoplabel mask``: mask personal data in a text, CSV, TSV, JSONL or Parquet file.

Nothing personal is ever printed: messages and the ``--report`` file name rows, fields, kinds
and offsets only. Output and report are written to temporary files and renamed at the end,
so a failure leaves no half-written file.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import typer
from rich.progress import DownloadColumn, Progress

from shoplabel.cli.context import console, handle_errors
from shoplabel.dataprep import (
    FileFormat,
    MissingColumns,
    Record,
    RecordBatch,
    RecordWriter,
    RowError,
    detect_format,
    iter_record_batches,
    open_writer,
)
from shoplabel.dataprep.pii import MaskStyle, MissingMaskKey, mask
from shoplabel.errors import InvalidInput

__all__ = ["KEY_ENV", "REPORT_COLUMNS", "MaskRejected", "mask_file"]

#: Environment variable holding the secret key of ``--style hash``.
KEY_ENV: Final = "SHOPLABEL_PII_KEY"
REPORT_COLUMNS: Final = ("row", "field", "kind", "start", "end")
_SHOWN_ERRORS: Final = 20


class MaskRejected(InvalidInput):
    """Rows of the input could not be read or written; no output was written."""

    code = "mask_rejected"


@dataclass(frozen=True, slots=True)
class _Options:
    fields: frozenset[str] | None
    style: MaskStyle
    key: bytes | None


@dataclass(slots=True)
class _Tally:
    """Running totals of one run (mutable on purpose: it is filled while streaming)."""

    rows: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)


def _mask_value(value: object, path: str, opts: _Options) -> tuple[object, list[dict[str, object]]]:
    """Mask a string, or every string inside a JSON list / object, with findings by path."""
    if isinstance(value, str):
        result = mask(value, style=opts.style, key=opts.key)
        found: list[dict[str, object]] = [
            {"field": path, "kind": s.kind.value, "start": s.start, "end": s.end}
            for s in result.spans
        ]
        return result.text, found
    if isinstance(value, Mapping):
        pairs = [(k, _mask_value(v, f"{path}.{k}", opts)) for k, v in value.items()]
        return {k: v for k, (v, _) in pairs}, [f for _, (_, fs) in pairs for f in fs]
    if isinstance(value, list):
        items = [_mask_value(v, f"{path}[{i}]", opts) for i, v in enumerate(value)]
        return [v for v, _ in items], [f for _, fs in items for f in fs]
    return value, []


def _mask_record(
    record: Record, opts: _Options
) -> tuple[dict[str, object], list[dict[str, object]]]:
    out: dict[str, object] = {}
    findings: list[dict[str, object]] = []
    for name, value in record.fields.items():
        if opts.fields is None or name in opts.fields:
            value, found = _mask_value(value, name, opts)
            findings += ({"row": record.row, **f} for f in found)
        out[name] = value
    return out, findings


def _check_fields(batch: RecordBatch, fmt: FileFormat, fields: frozenset[str] | None) -> None:
    """Fixed-schema formats must have every ``--fields`` column (JSONL keys may be absent)."""
    if fields is None or fmt is FileFormat.JSONL or not batch.records:
        return
    available = list(batch.records[0].fields)
    missing = sorted(fields - set(available))
    if missing:
        raise MissingColumns(
            f"--fields names columns the input does not have: {missing}",
            details={"missing": missing, "available": available},
        )


def _write_batch(
    batch: RecordBatch, writers: tuple[RecordWriter, RecordWriter | None], opts: _Options,
    tally: _Tally,
) -> None:  # fmt: skip
    out, report = writers
    for record in batch.records:
        masked, findings = _mask_record(record, opts)
        try:
            out.write(masked)
        except InvalidInput as e:
            # Writer messages may quote values: keep only the row number and the code.
            raise MaskRejected(
                f"row {record.row} cannot be written in the output format ({e.code})",
                details={"row": record.row, "code": e.code},
            ) from None
        if report is not None:
            report.write_many(findings)
        tally.kinds.update(str(f["kind"]) for f in findings)
        tally.rows += 1


def _run(src: Path, out: Path, report: Path | None, fmt: FileFormat, opts: _Options) -> _Tally:
    tally = _Tally()
    with (
        ExitStack() as stack,
        Progress(*Progress.get_default_columns(), DownloadColumn(), console=console) as bar,
    ):
        writer = stack.enter_context(open_writer(out, fmt=fmt))
        reporter = None
        if report is not None:
            reporter = stack.enter_context(open_writer(report, columns=REPORT_COLUMNS))
        task = bar.add_task(f"masking {src.name}", total=None)
        for i, batch in enumerate(iter_record_batches(src, fmt=fmt)):
            if i == 0:
                _check_fields(batch, fmt, opts.fields)
            tally.errors.extend(batch.errors)
            if not tally.errors:
                _write_batch(batch, (writer, reporter), opts, tally)
            bar.update(task, completed=batch.bytes_read, total=batch.total_bytes)
        if tally.errors:
            raise _rejected(tally.errors)
    return tally


def _rejected(errors: Sequence[RowError]) -> MaskRejected:
    for e in errors[:_SHOWN_ERRORS]:
        console.print(f"  row {e.row} {e.field or ''}: [red]{e.code}[/]", highlight=False)
    rows = [e.row for e in errors]
    return MaskRejected(
        f"{len(errors)} row(s) of the input cannot be read (first: row {rows[0]});"
        " nothing was written",
        details={"rows": rows[:_SHOWN_ERRORS]},
    )


def _key(style: MaskStyle) -> bytes | None:
    if style is not MaskStyle.HASH:
        return None
    key = os.environ.get(KEY_ENV, "")
    if not key:
        raise MissingMaskKey(f"--style hash needs a secret key in ${KEY_ENV}")
    return key.encode()


def _parse_fields(fields: str | None) -> frozenset[str] | None:
    if fields is None:
        return None
    names = frozenset(n.strip() for n in fields.split(",") if n.strip())
    if not names:
        raise MissingColumns("--fields is empty", details={"missing": []})
    return names


def _summary(kinds: Counter[str]) -> Iterator[str]:
    for kind, n in sorted(kinds.items()):
        yield f"{kind} {n}"


@handle_errors
def mask_file(
    input_path: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, metavar="INPUT"
    ),
    out: Path = typer.Option(..., "--out", help="Masked output, in the format of INPUT."),
    fields: str | None = typer.Option(
        None, "--fields", help="Mask only these fields, e.g. 'review,note' (default: all)."
    ),
    style: MaskStyle = typer.Option(MaskStyle.TAG, "--style", help="tag, partial or hash."),
    report: Path | None = typer.Option(
        None, "--report", help="Write findings (row, field, kind, start, end) as CSV/JSONL."
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="text, csv, tsv, jsonl or parquet (default: from the suffix)."
    ),
) -> None:
    """Mask e-mails, phones, IDs, cards, IPs, secret URLs, addresses and names in a file.

    Text files are masked line by line; CSV, TSV, JSONL and Parquet field by field (every
    string field, or those in --fields). The output has the format of INPUT.
    """
    file_format = detect_format(input_path, explicit=fmt)
    if out.resolve() == input_path.resolve():
        raise InvalidInput("--out must not be INPUT: the original would be lost")
    opts = _Options(fields=_parse_fields(fields), style=style, key=_key(style))
    tally = _run(input_path, out, report, file_format, opts)
    found = ", ".join(_summary(tally.kinds)) or "nothing"
    console.print(
        f"masked {tally.rows} rows ({style.value}): {found}; wrote {out}", highlight=False
    )
    if report is not None:
        console.print(f"findings: {report}", highlight=False)
