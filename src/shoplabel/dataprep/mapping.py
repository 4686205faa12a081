"""Mapping of source columns to the field names ShopLabel expects.

Syntax, as typed on a command line: comma-separated entries, each ``target=source`` (take
column ``source`` and call it ``target``) or a bare ``name`` (keep column ``name`` as is)::

    external_id=sku,title=product_title,brand

Whitespace around names is ignored. Column names containing ``,`` or ``=`` cannot be written
in this syntax; build a :class:`FieldMapping` directly for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from shoplabel.dataprep.errors import InvalidFieldMapping
from shoplabel.dataprep.readers import RecordBatch
from shoplabel.dataprep.rows import MISSING_FIELD, Record, RowError

__all__ = ["FieldMapping"]


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """Which source column feeds each target field.

    Attributes:
        pairs: ``(target, source)`` pairs in output order. Targets are unique; one source may
            feed several targets.
        keep_unmapped: Also pass through, under their own names, the fields that no pair uses
            as a source and that no target overrides.

    Raises:
        InvalidFieldMapping: A name is empty or a target repeats.
    """

    pairs: tuple[tuple[str, str], ...]
    keep_unmapped: bool = False

    def __post_init__(self) -> None:
        if not self.pairs:
            raise InvalidFieldMapping("a field mapping needs at least one field")
        seen: set[str] = set()
        for target, source in self.pairs:
            if not target or not source:
                raise InvalidFieldMapping(
                    f"empty field name in mapping entry {target!r} <- {source!r}"
                )
            if target in seen:
                raise InvalidFieldMapping(
                    f"target field {target!r} is mapped twice", details={"field": target}
                )
            seen.add(target)

    @classmethod
    def parse(cls, text: str, *, keep_unmapped: bool = False) -> FieldMapping:
        """Parse ``"external_id=sku,title=product_title,brand"``.

        Args:
            text: The mapping, in the syntax of the module docstring.
            keep_unmapped: See the class attribute.

        Returns:
            The mapping.

        Raises:
            InvalidFieldMapping: The text is empty or an entry is malformed.
        """
        if not text.strip():
            raise InvalidFieldMapping("the field mapping is empty; expected e.g. 'id=sku,title'")
        pairs = tuple(
            _parse_entry(entry, position) for position, entry in enumerate(text.split(","), start=1)
        )
        return cls(pairs, keep_unmapped=keep_unmapped)

    @property
    def targets(self) -> tuple[str, ...]:
        """Target field names, in output order."""
        return tuple(target for target, _ in self.pairs)

    @property
    def sources(self) -> tuple[str, ...]:
        """Distinct source column names, in first-use order.

        Pass them as ``columns=`` to :func:`iter_record_batches` to fail fast, before reading
        any row, when a CSV/TSV/Parquet file lacks one.
        """
        return tuple(dict.fromkeys(source for _, source in self.pairs))

    def apply(self, record: Record) -> Record | RowError:
        """Rename and select the fields of one record.

        Args:
            record: A record read from a file.

        Returns:
            The mapped record (same row number), or a ``missing_field`` :class:`RowError`
            naming the first missing source column (the reason lists all of them).
        """
        fields = record.fields
        missing = [source for source in self.sources if source not in fields]
        if missing:
            listed = ", ".join(map(repr, missing))
            return RowError(record.row, missing[0], MISSING_FIELD, f"missing field(s): {listed}")
        mapped = {target: fields[source] for target, source in self.pairs}
        if self.keep_unmapped:
            used = set(self.sources) | mapped.keys()
            rest = {name: value for name, value in fields.items() if name not in used}
            mapped = {**mapped, **rest}
        return Record(record.row, mapped)

    def apply_batch(self, batch: RecordBatch) -> RecordBatch:
        """Apply :meth:`apply` to every record of ``batch``, moving failures to its errors.

        Args:
            batch: A batch from :func:`iter_record_batches`.

        Returns:
            A batch with mapped records and the old plus new errors, ordered by row.
        """
        results = [self.apply(record) for record in batch.records]
        records = tuple(item for item in results if isinstance(item, Record))
        new_errors = [item for item in results if isinstance(item, RowError)]
        errors = tuple(sorted((*batch.errors, *new_errors), key=lambda error: error.row))
        return RecordBatch(records, errors, batch.bytes_read, batch.total_bytes)


def _parse_entry(entry: str, position: int) -> tuple[str, str]:
    target, sep, source = (part.strip() for part in entry.partition("="))
    if not sep:
        source = target
    if not target or not source or "=" in source:
        raise InvalidFieldMapping(
            f"mapping entry {position} ({entry.strip()!r}) is malformed;"
            " expected 'target=source' or 'name'",
            details={"entry": entry, "position": position},
        )
    return target, source
