"""Query augmentation: perturbations, embedding synonyms, LLM paraphrases (fake client)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from shoplabel.dataprep.augment import (
    EmbeddingNeighbours,
    Perturbation,
    augment_text,
    llm_paraphrases,
    perturb,
)


class FakeLLM:
    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def complete(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answer


def _embed(texts: Sequence[str]) -> NDArray[np.float64]:
    """A toy embedder: sofa and couch point the same way, chair elsewhere."""
    table = {"sofa": [1, 0, 0], "couch": [0.95, 0.1, 0], "chair": [0, 1, 0], "grey": [0, 0, 1]}
    return np.array([table.get(t, [0.3, 0.3, 0.3]) for t in texts], dtype=np.float64)


def test_perturbations_change_the_query_in_the_documented_way() -> None:
    rng = np.random.default_rng(0)
    q = "grey velvet sofa bed"
    for _ in range(20):
        typo = perturb(q, Perturbation.TYPO, rng)
        assert typo is not None and typo != q and abs(len(typo) - len(q)) <= 1
        swap = perturb(q, Perturbation.SWAP, rng)
        assert swap is not None and sorted(swap.split()) == sorted(q.split())
        drop = perturb(q, Perturbation.DROP, rng)
        assert drop is not None and len(drop.split()) == 3
    assert perturb("sofa", Perturbation.SWAP, rng) is None
    assert perturb("grey sofa", Perturbation.DROP, rng) is None
    with pytest.raises(ValueError, match="synonym"):
        perturb(q, Perturbation.SYNONYM, rng)


def test_synonym_swaps_come_from_embedding_neighbours() -> None:
    neighbours = EmbeddingNeighbours(_embed, ["sofa", "couch", "chair", "grey"], min_similarity=0.9)
    assert neighbours("sofa") == ("couch",)
    out = perturb(
        "grey sofa", Perturbation.SYNONYM, np.random.default_rng(1), neighbours=neighbours
    )
    assert out in ("grey couch", None) or out == "grey couch"
    assert (
        perturb("chair", Perturbation.SYNONYM, np.random.default_rng(1), neighbours=neighbours)
        is None
    )


def test_llm_paraphrases_parse_lines_and_drop_copies() -> None:
    llm = FakeLLM('1. grey sofa bed\n2) "sofa bed grey"\n- grey velvet sofa bed\n\nsofa bed grey\n')
    assert llm_paraphrases(llm, "grey velvet sofa bed", n=3) == ["grey sofa bed", "sofa bed grey"]
    assert "grey velvet sofa bed" in llm.prompts[0]


def test_augment_text_is_deterministic_and_distinct() -> None:
    kinds = tuple(Perturbation)
    a = augment_text("扫地机器人 小米 2024", np.random.default_rng(5), kinds=kinds, n=4)
    b = augment_text("扫地机器人 小米 2024", np.random.default_rng(5), kinds=kinds, n=4)
    assert a == b and len({v.text for v in a}) == len(a) >= 3
    assert all(v.kind not in (Perturbation.SYNONYM, Perturbation.PARAPHRASE) for v in a)
    llm = FakeLLM("小米扫地机器人 2024款")
    c = augment_text(
        "扫地机器人 小米 2024", np.random.default_rng(5), kinds=kinds, n=3, paraphraser=llm
    )
    assert c[0].kind is Perturbation.PARAPHRASE and c[0].text == "小米扫地机器人 2024款"
