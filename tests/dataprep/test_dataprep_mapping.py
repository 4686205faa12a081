import pytest

from shoplabel.dataprep import FieldMapping, InvalidFieldMapping, Record, RecordBatch, RowError


def test_field_mapping_parse_renames_and_selects() -> None:
    mapping = FieldMapping.parse(" external_id = sku ,title=product_title,brand")
    assert mapping.pairs == (
        ("external_id", "sku"),
        ("title", "product_title"),
        ("brand", "brand"),
    )
    record = Record(4, {"sku": "A1", "product_title": "Chair", "brand": "Ikea", "x": 1})
    assert mapping.apply(record) == Record(
        4, {"external_id": "A1", "title": "Chair", "brand": "Ikea"}
    )


def test_field_mapping_keep_unmapped_passes_other_fields_through() -> None:
    mapping = FieldMapping.parse("external_id=sku", keep_unmapped=True)
    record = Record(1, {"sku": "A1", "title": "Chair"})
    assert mapping.apply(record) == Record(1, {"external_id": "A1", "title": "Chair"})


def test_field_mapping_one_source_may_feed_two_targets() -> None:
    mapping = FieldMapping.parse("external_id=sku,title=sku")
    assert mapping.sources == ("sku",)
    assert mapping.targets == ("external_id", "title")


def test_field_mapping_missing_source_is_a_row_error() -> None:
    mapping = FieldMapping.parse("external_id=sku,title=name,brand")
    error = mapping.apply(Record(7, {"brand": "b"}))
    assert error == RowError(7, "sku", "missing_field", "missing field(s): 'sku', 'name'")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a=b,,c", "entry 2"),
        ("a=", "entry 1"),
        ("=b", "entry 1"),
        ("a=b=c", "entry 1"),
        ("a=b,", "entry 2"),
        ("a=x,a=y", "mapped twice"),
    ],
)
def test_field_mapping_parse_rejects_malformed_text(text: str, message: str) -> None:
    with pytest.raises(InvalidFieldMapping, match=message) as info:
        FieldMapping.parse(text)
    assert info.value.code == "invalid_field_mapping"


def test_field_mapping_apply_batch_moves_failures_to_errors_in_row_order() -> None:
    batch = RecordBatch(
        records=(Record(1, {"sku": "A"}), Record(3, {"other": "B"}), Record(4, {"sku": "C"})),
        errors=(RowError(2, None, "bad_json", "invalid JSON"),),
        bytes_read=10,
        total_bytes=20,
    )
    mapped = FieldMapping.parse("external_id=sku").apply_batch(batch)
    assert mapped.records == (Record(1, {"external_id": "A"}), Record(4, {"external_id": "C"}))
    assert [(e.row, e.code) for e in mapped.errors] == [(2, "bad_json"), (3, "missing_field")]
    assert (mapped.bytes_read, mapped.total_bytes) == (10, 20)
