"""The LLM labeller against a fake OpenAI-compatible server (httpx.MockTransport): prompts,
answers constrained to the label set, retries with backoff, rate limit, token accounting,
no key in logs or reprs, and its labels stored as a model annotator."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from shoplabel.dataprep.augment import llm_paraphrases
from shoplabel.domain.annotations import AnnotationSource
from shoplabel.domain.users import Role
from shoplabel.errors import LlmAnswerInvalid, LlmUnavailable
from shoplabel.ml.llm import LlmClient, LlmOptions, match_label
from shoplabel.services.llm_labelling import llm_label
from tests.conftest import Database
from tests.factories import add_items, make_actor, make_project

KEY = "sk-secret-123"
URL = "http://llm.internal:8000/v1"


def _answer(content: str, *, prompt_tokens: int = 20) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "choices": [{"message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 1},
        },
    )


class Fake:
    """Answers from a script of handlers; records requests and sleeps."""

    def __init__(self, *script: Callable[[httpx.Request], httpx.Response]) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.now = 0.0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return step(request)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def client(self, **options: float | int) -> LlmClient:
        return LlmClient(
            LlmOptions(base_url=URL, model="qwen", api_key=KEY, **options),  # type: ignore[arg-type]
            transport=httpx.MockTransport(self.handle),
            sleep=self.sleep,
            clock=lambda: self.now,
        )


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


MESSAGES = [{"role": "user", "content": "Sony WH-1000XM4 | Sony WH1000XM4/B"}]


def test_answer_is_matched_to_the_label_set_and_tokens_are_counted() -> None:
    fake = Fake(lambda _r: _answer(' "Same." '))
    client = fake.client()
    assert client.label(MESSAGES, ["same", "different"]) == "same"
    body = json.loads(fake.requests[0].content)
    assert body["model"] == "qwen" and body["messages"] == MESSAGES and body["temperature"] == 0
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert str(fake.requests[0].url) == f"{URL}/chat/completions"
    assert (client.usage.requests, client.usage.prompt_tokens) == (1, 20)
    assert KEY not in repr(client) and URL not in repr(client)
    assert match_label("different products", ["same", "different"]) == "different"
    assert match_label("maybe", ["same", "different"]) is None


def test_timeouts_and_5xx_are_retried_with_backoff_then_reported() -> None:
    fake = Fake(_timeout, lambda _r: httpx.Response(503), lambda _r: _answer("different"))
    client = fake.client(max_retries=3, backoff_seconds=0.5, requests_per_minute=6000)
    assert client.label(MESSAGES, ["same", "different"]) == "different"
    assert fake.sleeps == [0.5, 1.0] and client.usage.retries == 2
    down = Fake(_timeout)
    with pytest.raises(LlmUnavailable, match="timed out") as e:
        down.client(max_retries=2, requests_per_minute=6000).label(MESSAGES, ["same"])
    assert KEY not in e.value.message and "llm.internal" not in e.value.message
    assert len(down.requests) == 3
    refused = Fake(lambda _r: httpx.Response(401))
    with pytest.raises(LlmUnavailable, match="HTTP 401"):
        refused.client().label(MESSAGES, ["same"])
    assert len(refused.requests) == 1  # a refusal is not retried


def test_answers_outside_the_label_set_are_refused_after_retries() -> None:
    fake = Fake(lambda _r: _answer("I think they might be"))
    with pytest.raises(LlmAnswerInvalid, match="not one of"):
        fake.client(max_retries=1).label(MESSAGES, ["same", "different"])
    assert len(fake.requests) == 2


def test_rate_limit_spaces_requests() -> None:
    fake = Fake(lambda _r: _answer("same"))
    client = fake.client(requests_per_minute=30)  # one every 2 s
    client.label(MESSAGES, ["same"])
    client.label(MESSAGES, ["same"])
    fake.now = 3.0
    client.label(MESSAGES, ["same"])
    assert fake.sleeps == [2.0, 1.0]


def test_llm_labels_enter_as_a_model_annotator(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    owner = make_actor(db.uow(), "req", Role.REQUESTER)
    project = make_project(db.uow(), owner, settings={"max_overlap": 2})
    pairs = [
        {"left": {"name": "Sony WH-1000XM4"}, "right": {"name": "Sony WH1000XM4/B"}},
        {"left": {"name": "Bose QC35"}, "right": {"name": "Apple iPad"}},
        {"left": {"name": "Canon EOS R5"}, "right": {"name": "Canon EOS R6"}},
    ]
    add_items(db.uow(), project.id, pairs, gold=["same", None, None])

    def answer(request: httpx.Request) -> httpx.Response:
        messages = json.loads(request.content)["messages"]
        # Instructions and labels in the system prompt, the gold pair as a few-shot example.
        assert "Do the two listings sell exactly the same product?" in messages[0]["content"]
        assert "- same: Both listings sell the identical product" in messages[0]["content"]
        assert messages[1:3] == [
            {"role": "user", "content": "Sony WH-1000XM4 | Sony WH1000XM4/B"},
            {"role": "assistant", "content": "same"},
        ]
        text = messages[-1]["content"]
        return _answer("different" if "Bose" in text else "perhaps")

    fake = Fake(answer)
    with caplog.at_level("DEBUG"):
        report = llm_label(db.uow, fake.client(max_retries=0), actor=owner, project_id=project.id)
    assert KEY not in caplog.text and "llm.internal" not in caplog.text
    # The gold item is not a control here (gold_rate 0), so all three are asked.
    assert (report.n_asked, report.n_invalid) == (3, 2)
    with db.uow().reading() as uow:
        labels = list(uow.annotations.page(project.id, after_id=0, limit=10))
        worker = uow.users.get(labels[0].worker_id)
    assert [(a.value, a.source) for a in labels] == [("different", AnnotationSource.MODEL)]
    assert worker.username == f"model.llm.p{project.id}"


def test_the_client_paraphrases_for_augmentation_and_refuses_an_empty_answer() -> None:
    # The client is the paraphraser of augmented exports (dataprep.augment.TextCompletion).
    fake = Fake(lambda _r: _answer("1. grey sofa bed\n2. sofa bed in grey velvet\n"))
    client = fake.client()
    assert llm_paraphrases(client, "grey velvet sofa bed", n=2) == [
        "grey sofa bed",
        "sofa bed in grey velvet",
    ]
    body = json.loads(fake.requests[0].content)
    assert "grey velvet sofa bed" in body["messages"][0]["content"]
    assert client.usage.requests == 1 and client.usage.prompt_tokens == 20
    empty = Fake(lambda _r: _answer("   ")).client()
    with pytest.raises(LlmAnswerInvalid):
        empty.complete("paraphrase: sofa")
