"""How alike two complaints' words are: pure functions, no database.

The scorer, the way texts are made comparable and the threshold were chosen by measuring
them on a labelled set of complaints against SQLite FTS5 and PostgreSQL full text
(``python -m bench.similarity``; figures in docs/architecture.md, "Related complaints").
"""

import re
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import fuzz, process

# token_sort_ratio on comparable words at 0.60: the best F1 and precision of the methods
# measured (bench/similarity.py); word order does not matter, word choice does.
TEXT_THRESHOLD = 0.60
MAX_TEXT_MATCHES = 10
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_WORD = re.compile(r"[0-9a-z]+")
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "at",
        "in",
        "on",
        "to",
        "is",
        "are",
        "was",
        "were",
        "it",
        "its",
        "and",
        "or",
        "but",
        "after",
        "before",
        "when",
        "with",
        "without",
        "from",
        "for",
        "by",
        "be",
        "been",
        "this",
        "that",
        "there",
        "not",
        "no",
    ]
)
_ENDINGS = ("ing", "ed", "es", "s")


def normalised(text: str | None) -> str:
    """Lower case, runs of anything but letters and digits as one space: "Pump P-200 " and
    "pump p 200" are one product."""
    return _NOT_WORD.sub(" ", (text or "").lower()).strip()


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if len(word) > 4 and word.endswith(ending):
            return word[: -len(ending)]
    return word


# Each intake compares against the same recent complaints: their comparable words are kept,
# so a new complaint costs one conversion, not 2,000 (bench/similarity.py).
@lru_cache(maxsize=8_192)
def comparable(text: str) -> str:
    """The words that carry meaning, their endings cut: "Seal leaking after two hours" and
    "the seal leaks after 2 hours" share "seal leak hour"."""
    return " ".join(_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP_WORDS)


def similar_texts(
    text: str, candidates: Iterable[tuple[int, str]], *, threshold: float = TEXT_THRESHOLD
) -> list[tuple[int, float]]:
    """The candidates (id, text) whose text is at least ``threshold`` alike, best first, as
    (id, similarity in 0..1), at most ``MAX_TEXT_MATCHES``."""
    query = comparable(text)
    choices = {key: comparable(other) for key, other in candidates}
    if not choices or not query:
        return []
    found = process.extract(
        query,
        choices,
        scorer=fuzz.token_sort_ratio,
        processor=None,
        score_cutoff=threshold * 100,
        limit=MAX_TEXT_MATCHES,
    )
    return [(key, round(score / 100, 3)) for _, score, key in found]
