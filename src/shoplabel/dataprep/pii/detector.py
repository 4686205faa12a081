"""``detect``: run the recognisers of the requested kinds and keep non-overlapping spans."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Iterator
from types import MappingProxyType
from typing import Final

from shoplabel.dataprep.pii.contact import find_emails, find_phones
from shoplabel.dataprep.pii.context import fold
from shoplabel.dataprep.pii.identifiers import find_bank_cards, find_cn_ids
from shoplabel.dataprep.pii.names import find_person_names
from shoplabel.dataprep.pii.network import find_ips, find_url_tokens
from shoplabel.dataprep.pii.places import find_addresses
from shoplabel.dataprep.pii.spans import PiiKind, PiiSpan

__all__ = ["RECOGNISERS", "detect"]

Recogniser = Callable[[str], Iterator[PiiSpan]]

#: One recogniser per kind, in order of specificity: on spans of equal length the earlier
#: kind wins (an 18-digit number that is both a valid ID and Luhn-valid is an ID).
RECOGNISERS: Final[MappingProxyType[PiiKind, Recogniser]] = MappingProxyType(
    {
        PiiKind.CN_ID: find_cn_ids,
        PiiKind.BANK_CARD: find_bank_cards,
        PiiKind.URL_TOKEN: find_url_tokens,
        PiiKind.EMAIL: find_emails,
        PiiKind.PHONE: find_phones,
        PiiKind.IP: find_ips,
        PiiKind.ADDRESS: find_addresses,
        PiiKind.PERSON_NAME: find_person_names,
    }
)
_RANK: Final = MappingProxyType({kind: i for i, kind in enumerate(RECOGNISERS)})


def detect(text: str, *, kinds: Collection[PiiKind] | None = None) -> tuple[PiiSpan, ...]:
    """Find personal data in ``text``.

    Overlapping candidates are resolved greedily: the longest span wins, then the most
    specific kind (the order of :data:`RECOGNISERS`), then the leftmost.

    Args:
        text: Any text; full-width digits and letters are recognised like ASCII ones.
        kinds: Look only for these kinds (default: all).

    Returns:
        Non-overlapping spans sorted by ``start``; each span's ``text`` is the original
        ``text[start:end]``.
    """
    folded = fold(text)
    wanted = RECOGNISERS.keys() if kinds is None else {PiiKind(k) for k in kinds}
    candidates = [
        span for kind, find in RECOGNISERS.items() if kind in wanted for span in find(folded)
    ]
    candidates.sort(key=lambda s: (s.start - s.end, _RANK[s.kind], s.start))
    starts: list[int] = []  # kept spans, sorted by start; they never overlap each other
    kept: list[PiiSpan] = []
    for span in candidates:
        i = bisect.bisect_left(starts, span.start)
        if (i > 0 and kept[i - 1].end > span.start) or (i < len(kept) and kept[i].start < span.end):
            continue
        starts.insert(i, span.start)
        kept.insert(i, PiiSpan(span.kind, span.start, span.end, text[span.start : span.end]))
    return tuple(kept)
