"""Import clean-up: NFKC, HTML, whitespace, and the checks that reject binary junk."""

from __future__ import annotations

import pytest

from shoplabel.dataprep.fieldrules import (
    DataRules,
    FieldProblem,
    RulesInvalid,
    apply_rules,
    parse_rules,
)
from shoplabel.dataprep.textclean import TextProblem, clean_payload, clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Sony  WH-1000XM4 ", "Sony WH-1000XM4"),
        ("ｉＰｈｏｎｅ１５ Ｐｒｏ　２５６ＧＢ", "iPhone15 Pro 256GB"),
        ("<p>Nice&amp;cheap</p><br/>ok", "Nice&cheap ok"),
        ("华为\u200bMate 60\u3000手机\n\t很好 ", "华为Mate 60 手机 很好"),
        ("ﬁlter ①", "filter 1"),
        ("already clean", "already clean"),
        ("Größe 42 – Schwarz", "Größe 42 – Schwarz"),
    ],
)
def test_clean_text_normalises(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_returns_clean_ascii_unchanged() -> None:
    text = "Apple iPad Air 64GB"
    assert clean_text(text) is text


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("abc\x00def", "binary_data"),
        ("\x89PNG\x1a\x0b", "binary_data"),
        ("Caf\u00c3\u00a9 au lait", "mojibake"),  # "Café" as UTF-8 read as Latin-1
        ("\u00e6\u0089\u008b\u00e6\u009c\u00ba", "mojibake"),  # "手机" read as Latin-1
    ],
)
def test_clean_text_rejects_junk(raw: str, code: str) -> None:
    with pytest.raises(TextProblem) as info:
        clean_text(raw)
    assert info.value.code == code
    assert raw not in info.value.reason  # reasons never echo the text (it may hold PII)


def test_clean_payload_keeps_track_of_changes_and_paths() -> None:
    raw = {"left": {"name": "ＡＢＣ  phone"}, "tags": ["<b>new</b>"], "price": 3}
    out = clean_payload(raw, max_chars=100)
    assert out.changed
    assert out.payload == {"left": {"name": "ABC phone"}, "tags": ["new"], "price": 3}
    assert raw["left"] == {"name": "ＡＢＣ  phone"}  # the input is never changed
    assert not clean_payload({"a": "ok"}, max_chars=100).changed
    with pytest.raises(TextProblem) as info:
        clean_payload({"left": {"name": "x" * 101}}, max_chars=100)
    assert (info.value.code, info.value.field) == ("field_too_long", "left.name")


def test_field_rules_policies_and_types() -> None:
    rules = parse_rules(
        {
            "fields": {
                "title": {"type": "text", "missing": "reject", "max_length": 10},
                "brand": {"missing": "default", "default": "unknown"},
                "price": {"type": "number", "missing": "flag"},
                "stock": {"type": "integer"},
                "new": {"type": "boolean"},
            }
        }
    )
    payload = {"title": "Kettle", "stock": "12", "new": "yes"}
    flags, changed = apply_rules(payload, rules)
    assert changed
    assert payload == {"title": "Kettle", "stock": 12, "new": True, "brand": "unknown"}
    assert [(f.field, f.code) for f in flags] == [("price", "missing_value")]
    for bad, code in [
        ({"brand": "x"}, "missing_value"),
        ({"title": "A very long title"}, "too_long"),
        ({"title": "ok", "price": "cheap"}, "wrong_type"),
        ({"title": "ok", "stock": "1.5"}, "wrong_type"),
        ({"title": "ok", "price": "nan"}, "wrong_type"),
    ]:
        with pytest.raises(FieldProblem) as info:
            apply_rules(dict(bad), rules)
        assert info.value.code == code
    assert apply_rules({"title": "ok", "price": "1,299.50"}, rules)[1]


@pytest.mark.parametrize(
    "raw",
    [
        {"fields": {"a": {"missing": "sometimes"}}},
        {"fields": {"a": {"missing": "default"}}},
        {"fields": {"a": {"type": "date"}}},
        {"fields": {"a": {"max_length": -1}}},
        {"fields": {"a": {"colour": "red"}}},
        {"fields": []},
        {"max_field_chars": 0},
        {"clean_text": "yes"},
        {"unknown": 1},
    ],
)
def test_parse_rules_rejects_malformed_settings(raw: dict[str, object]) -> None:
    with pytest.raises(RulesInvalid):
        parse_rules(raw)


def test_default_rules_only_clean() -> None:
    assert parse_rules(None) == DataRules()
