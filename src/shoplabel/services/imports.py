"""Importing items from CSV / TSV / JSONL / Parquet, streamed in batches.

Each row becomes an item: the reserved columns ``external_id``, ``gold`` and ``priority`` are
taken out, every other (mapped) column goes into the payload, and dotted column names nest
(``left.name`` -> ``{"left": {"name": ...}}``). Rows are validated against the project's
template and label schema, cleaned (Unicode NFKC, HTML, whitespace; the original payload is
kept when clean-up changed it) and checked against the project's ``data_rules`` (types,
lengths, missing-value policy; see ``docs/data_quality.md``); bad rows are reported (row,
field, code, reason) and written to a rejects file, good rows are stored one batch per
transaction. Import is idempotent by external id: a row whose external id is already stored
is skipped and counted. With ``strict=True`` a first pass validates the whole file and
nothing is stored if any row is bad.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shoplabel.dataprep.fieldrules import DataRules, FieldProblem, Flag, apply_rules
from shoplabel.dataprep.mapping import FieldMapping
from shoplabel.dataprep.readers import RecordBatch, iter_record_batches
from shoplabel.dataprep.rows import Record, RowError
from shoplabel.dataprep.textclean import TextProblem, clean_payload, looks_clean
from shoplabel.dataprep.writers import ROW_ERROR_COLUMNS, RecordWriter, open_writer
from shoplabel.domain.ids import ProjectId
from shoplabel.domain.items import NewItem, canonical_json, content_hash
from shoplabel.domain.labels import LabelSchema, SchemaKind, field_text, validate_value
from shoplabel.domain.permissions import can_manage_project, require
from shoplabel.domain.ports import UnitOfWork
from shoplabel.domain.privacy import NewItemSecret
from shoplabel.domain.projects import Project
from shoplabel.domain.templates import get_template
from shoplabel.domain.users import Actor
from shoplabel.errors import EmptyInput, ImportRejected, InvalidInput, ShoplabelError
from shoplabel.services.data_rules import data_rules
from shoplabel.services.privacy import ItemMasker, MaskedRowProblem, PrivacyKeys, masker_for
from shoplabel.services.projects import visible_project

__all__ = ["ImportOptions", "ImportReport", "Progress", "import_file", "row_to_item"]

RESERVED = ("external_id", "gold", "priority")
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_EXTERNAL_ID = 255
REPORT_ERRORS = 200

#: ``progress(done_bytes, total_bytes)`` after each batch.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ImportOptions:
    fmt: str | None = None
    mapping: str | None = None
    strict: bool = False
    batch_size: int = 5000
    rejects_path: Path | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Outcome of an import: counts, the first errors, and where all errors were written."""

    rows: int
    inserted: int
    skipped_existing: int
    rejected: int
    stored: bool
    errors: tuple[RowError, ...] = field(default=())
    rejects_path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "inserted": self.inserted,
            "skipped_existing": self.skipped_existing,
            "rejected": self.rejected,
            "stored": self.stored,
            "rejects_path": self.rejects_path,
            "errors": [e.to_dict() for e in self.errors],
        }


def _nest(fields: Mapping[str, object]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in RESERVED or value is None or value == "":
            continue
        target = out
        *parents, leaf = key.split(".")
        for part in parents:
            nxt = target.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise _RowProblem(
                    key, "bad_field_name", f"column {key!r} nests under a non-object field {part!r}"
                )
            target = nxt
        target[leaf] = value
    return out


class _RowProblem(Exception):
    def __init__(self, fld: str | None, code: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.code, self.reason = fld, code, reason


def _external_id(fields: Mapping[str, object], payload_hash: str) -> str:
    raw = fields.get("external_id")
    if raw is None or raw == "":
        # No external id: the content hash keeps re-imports of the same file idempotent.
        return f"sha256:{payload_hash[:32]}"
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    value = str(raw).strip()
    if not value or len(value) > MAX_EXTERNAL_ID:
        raise _RowProblem(
            "external_id", "bad_external_id", f"external_id must be 1-{MAX_EXTERNAL_ID} characters"
        )
    return value


def _priority(fields: Mapping[str, object]) -> float:
    raw = fields.get("priority")
    if raw is None or raw == "":
        return 0.0
    try:
        value = float(raw)  # type: ignore[arg-type]  # checked by the except below
    except (TypeError, ValueError):
        raise _RowProblem("priority", "bad_priority", f"priority {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise _RowProblem("priority", "bad_priority", "priority must be finite")
    return value


def _gold(fields: Mapping[str, object], schema: LabelSchema, payload: Mapping[str, Any]) -> Any:
    raw = fields.get("gold")
    if raw is None or raw == "":
        return None
    value: Any = raw
    if isinstance(raw, str) and schema.kind in (SchemaKind.MULTI_LABEL, SchemaKind.SPANS):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise _RowProblem("gold", "bad_gold", "gold must be JSON for this schema") from None
    elif isinstance(raw, str) and schema.kind is SchemaKind.RATING:
        try:
            value = float(raw)
        except ValueError:
            raise _RowProblem("gold", "bad_gold", f"gold {raw!r} is not a number") from None
    try:
        validate_value(schema, value, payload=payload)
    except ShoplabelError as e:
        raise _RowProblem("gold", e.code, f"gold: {e.message}") from None
    return value


def row_to_item(record: Record, project: Project) -> NewItem:
    """Turn one read row into an item for ``project``.

    Raises:
        InvalidInput: naming the row, the field and the reason (``details``).
        InvalidSettings: The project's ``data_rules`` are malformed.
    """
    try:
        return _convert(record.fields, project, data_rules(project.settings))
    except _RowProblem as p:
        raise InvalidInput(
            f"row {record.row}: {p.reason}",
            details={"row": record.row, "field": p.field, "code": p.code},
        ) from None


def _deep_copy(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: _deep_copy(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
        for k, v in payload.items()
    }


def _clean(
    payload: dict[str, Any], rules: DataRules
) -> tuple[dict[str, Any], dict[str, Any] | None, tuple[Mapping[str, str], ...], bytes]:
    """Clean-up and field rules; return (payload, original if changed, flags, canonical JSON).

    The canonical JSON of the row as read is computed first: when it is plain ASCII without
    anything clean-up would touch (the common case), it serves the content hash as is.
    """
    canonical = canonical_json(payload)
    original = None
    try:
        if not looks_clean(canonical, max_chars=rules.max_field_chars):
            cleaned = clean_payload(
                payload, max_chars=rules.max_field_chars, clean=rules.clean_text
            )
            if cleaned.changed:
                original, payload = payload, cleaned.payload
        flags: tuple[Flag, ...] = ()
        if rules.fields:
            working = _deep_copy(payload)
            flags, changed = apply_rules(working, rules)
            if changed:
                original, payload = original or payload, working
    except TextProblem as p:
        raise _RowProblem(p.field, p.code, p.reason) from None
    except FieldProblem as p:
        raise _RowProblem(p.field, p.code, p.reason) from None
    if original is not None:
        canonical = canonical_json(payload)
    return payload, original, tuple(f.to_dict() for f in flags) if flags else (), canonical


def _convert(fields: Mapping[str, object], project: Project, rules: DataRules) -> NewItem:
    payload, original, flags, canonical = _clean(_nest(fields), rules)
    for name in get_template(project.template).required_fields:
        if name not in payload:
            raise _RowProblem(name, "missing_field", f"required field {name!r} is missing")
    schema = project.schema
    if schema.kind is SchemaKind.SPANS and field_text(payload, schema.field) is None:
        raise _RowProblem(
            schema.field,
            "missing_field",
            f"spans are drawn over field {schema.field!r}, which is missing",
        )
    if not payload:
        raise _RowProblem(None, "empty_row", "the row has no data fields")
    # One serialisation serves clean-up's check, the content hash and the size limit.
    digest = content_hash(payload, canonical=canonical)
    size = len(canonical)
    if size > MAX_PAYLOAD_BYTES:
        raise _RowProblem(
            None,
            "payload_too_large",
            f"the row's data is {size} bytes; the limit is {MAX_PAYLOAD_BYTES}",
        )
    return NewItem(
        external_id=_external_id(fields, digest),
        payload=payload,
        content_hash=digest,
        priority=_priority(fields),
        gold=_gold(fields, schema, payload),
        original=original,
        flags=flags,
    )


@dataclass
class _Converted:
    """A batch's items, each with the sealed originals of its masked fields (if any)."""

    items: list[tuple[NewItem, NewItemSecret | None]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _convert_batch(
    batch: RecordBatch, project: Project, rules: DataRules, masker: ItemMasker | None
) -> _Converted:
    out = _Converted(errors=list(batch.errors))
    for rec in batch.records:
        try:
            item, secret = _convert(rec.fields, project, rules), None
            if masker is not None:
                derived = rec.fields.get("external_id") in (None, "")
                item, secret = masker.apply(item, derived_id=derived)
            out.items.append((item, secret))
        except (_RowProblem, MaskedRowProblem) as p:
            out.errors.append(RowError(row=rec.row, field=p.field, code=p.code, reason=p.reason))
    return out


def _batches(path: Path, opts: ImportOptions) -> Iterator[RecordBatch]:
    mapping = FieldMapping.parse(opts.mapping, keep_unmapped=True) if opts.mapping else None
    for batch in iter_record_batches(path, fmt=opts.fmt, batch_size=opts.batch_size):
        yield mapping.apply_batch(batch) if mapping else batch


class _Tally:
    """Counts, the first errors for the report, and every error streamed to the rejects file."""

    def __init__(self, rejects: Path | None) -> None:
        self.rows = self.inserted = self.skipped = self.rejected = 0
        self.first_errors: list[RowError] = []
        self.rejects = rejects
        self._writer: RecordWriter | None = None

    def errors(self, errs: list[RowError]) -> None:
        if not errs:
            return
        errs = sorted(errs, key=lambda e: e.row)
        self.rejected += len(errs)
        room = REPORT_ERRORS - len(self.first_errors)
        self.first_errors.extend(errs[: max(room, 0)])
        if self.rejects is not None:
            if self._writer is None:
                self._writer = open_writer(self.rejects, columns=ROW_ERROR_COLUMNS)
            self._writer.write_many(e.to_dict() for e in errs)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()

    def report(self, *, stored: bool) -> ImportReport:
        path = None
        if self._writer is not None:
            self._writer.close()
            path = str(self.rejects)
        return ImportReport(
            rows=self.rows,
            inserted=self.inserted,
            skipped_existing=self.skipped,
            rejected=self.rejected,
            stored=stored,
            errors=tuple(self.first_errors),
            rejects_path=path,
        )


def _store(uow: UnitOfWork, project_id: ProjectId, batch: _Converted) -> tuple[int, int]:
    """Insert one batch in one transaction; return (inserted, skipped as already stored).

    Items and the sealed originals of their masked fields are written in the same
    transaction: an item is never stored without its secret, nor a secret without its item.
    """
    items = batch.items
    # The first row of an external id wins, with its own secret (never another row's).
    unique: dict[str, tuple[NewItem, NewItemSecret | None]] = {}
    for it, secret in items:
        unique.setdefault(it.external_id, (it, secret))
    rows = [it for it, _ in unique.values()]
    secrets = {e: s for e, (_, s) in unique.items() if s is not None}
    with uow:
        # INSERT ... ON CONFLICT DO NOTHING skips stored external ids; no pre-query needed.
        if secrets:
            ids = uow.items.add_many_returning_ids(project_id, rows)
            uow.privacy.add_secrets(project_id, {ids[e]: s for e, s in secrets.items() if e in ids})
            inserted = len(ids)
        else:
            inserted = uow.items.add_many(project_id, rows)
        uow.projects.add_counters(project_id, n_items=inserted, n_open=inserted)
        uow.commit()
    return inserted, len(items) - inserted


def _validate_all(
    path: Path,
    project: Project,
    opts: ImportOptions,
    tally: _Tally,
    progress: Progress | None,
    masker: ItemMasker | None,
) -> None:
    for batch in _batches(path, opts):
        converted = _convert_batch(batch, project, data_rules(project.settings), masker)
        tally.rows += len(batch.records) + len(batch.errors)
        tally.errors(converted.errors)
        if progress:
            progress(batch.bytes_read, 2 * batch.total_bytes)


def _load(
    uows: Callable[[], UnitOfWork],
    path: Path,
    project: Project,
    opts: ImportOptions,
    tally: _Tally,
    progress: Progress | None,
    masker: ItemMasker | None = None,
) -> None:
    offset = 1 if opts.strict else 0  # a strict import already read the file once
    rules = data_rules(project.settings)
    for batch in _batches(path, opts):
        converted = _convert_batch(batch, project, rules, masker)
        tally.rows += len(batch.records) + len(batch.errors)
        tally.errors(converted.errors)
        inserted, skipped = _store(uows(), project.id, converted)
        tally.inserted += inserted
        tally.skipped += skipped
        if progress:
            progress(
                offset * batch.total_bytes + batch.bytes_read, (1 + offset) * batch.total_bytes
            )


def import_file(
    uows: Callable[[], UnitOfWork],
    path: Path,
    *,
    actor: Actor,
    project_id: ProjectId,
    options: ImportOptions = ImportOptions(),
    progress: Progress | None = None,
    keys: PrivacyKeys | None = None,
) -> ImportReport:
    """Import ``path`` into a project; one short transaction per batch.

    Takes a unit-of-work *factory* because a large import is many transactions, so workers
    keep labelling while it runs. When the project has a ``privacy`` policy, rows are masked
    before they are stored and the originals are sealed with ``keys``.

    Raises:
        ImportRejected: ``strict`` and some row is bad; nothing was stored.
        EmptyInput: the file has no rows.
        DataKeyMissing: the project masks fields and ``keys`` has no data key.
    """
    with uows().reading() as uow:
        project = visible_project(uow, actor, project_id)
        require(can_manage_project(actor, project), f"import into project {project_id}")
    masker = masker_for(project, keys or PrivacyKeys.none(), max_payload_bytes=MAX_PAYLOAD_BYTES)
    tally = _Tally(options.rejects_path)
    try:
        if options.strict:
            _validate_all(path, project, options, tally, progress, masker)
            if tally.rejected:
                report = tally.report(stored=False)
                first = report.errors[0]
                raise ImportRejected(
                    f"{tally.rejected} of {tally.rows} rows are invalid; nothing was stored "
                    f"(first: row {first.row}, {first.field}: {first.reason})",
                    details=report.to_dict(),
                )
            tally.rows = 0
        _load(uows, path, project, options, tally, progress, masker)
    except BaseException:
        tally.abort()
        raise
    if tally.rows == 0:
        raise EmptyInput(f"{path.name} has no data rows")
    return tally.report(stored=True)
