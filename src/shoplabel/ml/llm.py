"""LLM labeller: an OpenAI-compatible chat-completions client (vLLM, Ollama, llama.cpp
server, hosted APIs) that answers with one label of the schema.

Prompts are built by ``services.llm_labelling`` (instructions, labels with their
descriptions, few-shot gold examples, the item's text). The answer must be one of the label values
(matched case-insensitively, surrounding quotes and punctuation ignored); otherwise the
request is retried and finally refused with ``llm_answer_invalid``. Timeouts and 429 / 5xx
answers are retried with exponential backoff, requests are spaced by a rate limit, and token
usage is counted. The API key is sent only in the ``Authorization`` header: it is never
logged, never part of an error message and never shown by ``repr``; the URL is not logged
either.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from shoplabel.errors import LlmAnswerInvalid, LlmUnavailable

__all__ = ["LlmClient", "LlmOptions", "LlmUsage", "match_label"]

_RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class LlmOptions:
    """Where and how to ask. ``api_key`` is excluded from ``repr``."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout_seconds: float = 30.0
    max_retries: int = 3
    backoff_seconds: float = 0.5
    requests_per_minute: float = 60.0
    max_tokens: int = 16


@dataclass
class LlmUsage:
    """Running totals of what the endpoint billed."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0


def match_label(answer: str, labels: Sequence[str]) -> str | None:
    """The label ``answer`` names, or ``None``: exact after trimming quotes, punctuation and
    case, else the only label the answer's first line starts with."""
    first = (answer.strip().splitlines() or [""])[0]
    clean = first.strip().strip("\"'`.:;!。 ").lower()
    by_lower = {lab.lower(): lab for lab in labels}
    if clean in by_lower:
        return by_lower[clean]
    starts = [lab for lab in labels if clean.startswith(lab.lower())]
    return starts[0] if len(starts) == 1 else None


class LlmClient:
    """Synchronous, thread-safe chat-completions client with retries and a rate limit.

    Args:
        options: Endpoint, model, key and limits.
        transport: An ``httpx`` transport (tests pass ``httpx.MockTransport``).
        sleep, clock: Injected for tests; default ``time.sleep`` / ``time.monotonic``.
    """

    def __init__(
        self,
        options: LlmOptions,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._options = options
        headers = {"Authorization": f"Bearer {options.api_key}"} if options.api_key else {}
        # The client only builds requests; they go straight to the transport because
        # httpx.Client logs every request's URL at INFO, and the URL must not be logged.
        self._http = httpx.Client(
            base_url=options.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=options.timeout_seconds,
        )
        self._transport = transport or httpx.HTTPTransport()
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self.usage = LlmUsage()

    def __repr__(self) -> str:
        return f"LlmClient(model={self._options.model!r})"

    def close(self) -> None:
        self._transport.close()
        self._http.close()

    def _wait_for_slot(self) -> None:
        interval = 60.0 / self._options.requests_per_minute
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._next_slot - now)
            self._next_slot = max(now, self._next_slot) + interval
        if wait > 0:
            self._sleep(wait)

    def _post(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        body = {
            "model": self._options.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self._options.max_tokens,
        }
        problem = "no answer"
        for attempt in range(self._options.max_retries + 1):
            if attempt:
                self.usage.retries += 1
                self._sleep(self._options.backoff_seconds * 2 ** (attempt - 1))
            self._wait_for_slot()
            request = self._http.build_request("POST", "chat/completions", json=body)
            try:
                response = self._transport.handle_request(request)
                response.read()
            except httpx.TimeoutException:
                problem = f"timed out after {self._options.timeout_seconds:g} s"
                continue
            except httpx.TransportError as e:
                problem = f"connection failed ({type(e).__name__})"
                continue
            if response.status_code in _RETRY_STATUS:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code >= 400:
                raise LlmUnavailable(
                    f"the LLM endpoint refused the request (HTTP {response.status_code})",
                    details={"status": response.status_code},
                )
            payload: dict[str, Any] = response.json()
            return payload
        raise LlmUnavailable(
            f"the LLM endpoint failed {self._options.max_retries + 1} times: {problem}",
            details={"attempts": self._options.max_retries + 1},
        )

    def _answer(self, messages: list[dict[str, str]]) -> str:
        """One request; its usage counted; the answer's text ("" when there is none)."""
        payload = self._post(messages)
        self.usage.requests += 1
        usage = payload.get("usage") or {}
        self.usage.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        self.usage.completion_tokens += int(usage.get("completion_tokens") or 0)
        try:
            return str(payload["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError):
            return ""

    def complete(self, prompt: str) -> str:
        """Free text for ``prompt`` (augmentation's paraphrases: ``dataprep.augment``).

        Raises:
            LlmUnavailable: timeouts or errors on every attempt, or a refused request.
            LlmAnswerInvalid: the endpoint answered with no text.
        """
        text = self._answer([{"role": "user", "content": prompt}]).strip()
        if not text:
            raise LlmAnswerInvalid("the LLM answered with no text", details={})
        return text

    def label(self, messages: list[dict[str, str]], labels: Sequence[str]) -> str:
        """Ask until the answer is one of ``labels`` (up to the retry budget).

        Raises:
            LlmUnavailable: timeouts or errors on every attempt, or a refused request.
            LlmAnswerInvalid: every answer was outside the label set.
        """
        last = ""
        for _ in range(self._options.max_retries + 1):
            last = self._answer(messages)
            value = match_label(last, labels)
            if value is not None:
                return value
            self.usage.retries += 1
        raise LlmAnswerInvalid(
            f"the LLM answered {last[:60]!r}, not one of {list(labels)}",
            details={"labels": list(labels)},
        )
