"""Which way to find complaints with similar descriptions: rapidfuzz against SQLite FTS5 and
PostgreSQL full text, on the labelled set in ``bench/similarity_data.py`` (precision and recall
over pairs) and on generated tables of 10,000 and 100,000 complaints (time per intake).

    python -m bench.similarity [--sizes 10000 100000] [--postgres URL]

Full-text engines rank, they do not measure likeness: their score is made comparable to a
threshold by dividing a pair's rank by the rank of the complaint against itself.
"""

import argparse
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

from rapidfuzz import fuzz, utils

from bench.similarity_data import LABELLED
from workflow.similarity import comparable

Scores = dict[tuple[int, int], float]  # (i, j), i < j: likeness in 0..1
THRESHOLDS = [round(0.30 + 0.05 * k, 2) for k in range(14)]
WINDOW_DAYS = 90
WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return sorted(set(WORD.findall(text.lower())))


def rapidfuzz_scores(
    scorer: Callable[..., float], processor: Callable[[str], str] = utils.default_process
) -> Scores:
    texts = [t for _, t in LABELLED]
    return {
        (i, j): scorer(texts[i], texts[j], processor=processor) / 100
        for i, j in combinations(range(len(texts)), 2)
    }


def fts5_scores() -> Scores:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE doc USING fts5(description, tokenize='porter unicode61')")
    db.executemany("INSERT INTO doc(rowid, description) VALUES (?, ?)", enumerate(LABELLED_TEXTS))
    scores: Scores = {}
    for i, text in enumerate(LABELLED_TEXTS):
        query = " OR ".join(f'"{w}"' for w in _words(text))
        ranks = dict(db.execute("SELECT rowid, bm25(doc) FROM doc WHERE doc MATCH ?", (query,)))
        for j, rank in ranks.items():
            if j != i:
                key = (min(i, j), max(i, j))
                scores[key] = max(scores.get(key, 0.0), rank / ranks[i])
    return scores


def postgres_scores(url: str) -> Scores:
    import psycopg2  # type: ignore[import-untyped]

    with psycopg2.connect(url) as db, db.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE doc (id int, v tsvector)")
        for i, text in enumerate(LABELLED_TEXTS):
            cursor.execute("INSERT INTO doc VALUES (%s, to_tsvector('english', %s))", (i, text))
        scores: Scores = {}
        for i, text in enumerate(LABELLED_TEXTS):
            cursor.execute(_PG_RANKS, (" ".join(_words(text)),))
            ranks = dict(cursor.fetchall())
            for j, rank in ranks.items():
                if j != i and ranks.get(i):
                    key = (min(i, j), max(i, j))
                    scores[key] = max(scores.get(key, 0.0), rank / ranks[i])
        return scores


# Any of the words (OR), ranked by cover density: PostgreSQL's own likeness of two texts.
_PG_RANKS = """
    WITH q AS (SELECT replace(plainto_tsquery('english', %s)::text, '&', '|')::tsquery AS q)
    SELECT id, ts_rank_cd(v, q.q) FROM doc, q WHERE v @@ q.q
"""
LABELLED_TEXTS = [t for _, t in LABELLED]


def quality(scores: Scores, threshold: float) -> tuple[float, float, float]:
    """Precision, recall and F1 over pairs: a pair is related when its labels agree."""
    truth = {
        (i, j) for i, j in combinations(range(len(LABELLED)), 2) if LABELLED[i][0] == LABELLED[j][0]
    }
    found = {pair for pair, score in scores.items() if score >= threshold}
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def _generated(count: int, seed: int = 7) -> list[tuple[int, str, str]]:
    """Complaints over a year: a labelled description with a few words changed or added."""
    rng, start = random.Random(seed), datetime(2026, 1, 1, tzinfo=UTC)
    extra = ["urgent", "again", "customer", "line", "site", "unit", "batch", "order", "model"]
    rows = []
    for n in range(count):
        words = rng.choice(LABELLED_TEXTS).split()
        words.insert(rng.randrange(len(words) + 1), rng.choice(extra) + str(rng.randrange(500)))
        received = start + timedelta(seconds=rng.randrange(365 * 86_400))
        rows.append((n + 1, received.isoformat(), " ".join(words)))
    return rows


Window = tuple[str, str]  # received from, received before: the complaints earlier in the window


def _median_ms(run: Callable[[Window, str], object], queries: list[tuple[Window, str]]) -> float:
    times = []
    for window, text in queries:
        began = time.perf_counter()
        run(window, text)
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 1)


def time_per_intake(count: int, postgres: str | None) -> dict[str, float]:
    from workflow.recurrence import MAX_TEXT_CANDIDATES
    from workflow.similarity import similar_texts

    rows = _generated(count)
    with tempfile.TemporaryDirectory() as folder:
        db = sqlite3.connect(Path(folder) / "bench.db")
        db.execute("CREATE TABLE complaint (id INTEGER PRIMARY KEY, received_at, description)")
        db.execute("CREATE INDEX ix_received ON complaint (received_at)")
        db.executemany("INSERT INTO complaint VALUES (?, ?, ?)", rows)
        db.execute(
            "CREATE VIRTUAL TABLE doc USING fts5(description, content='complaint', "
            "content_rowid='id', tokenize='porter unicode61')"
        )
        db.execute("INSERT INTO doc(doc) VALUES ('rebuild')")
        db.commit()
        # 30 complaints in a row, as the relay meets them, from the middle of the year.
        in_order = sorted(rows, key=lambda r: r[1])
        queries = [(_window(r[1]), r[2]) for r in in_order[len(rows) // 2 :][:30]]

        def with_rapidfuzz(window: Window, text: str) -> object:
            candidates = db.execute(
                "SELECT id, description FROM complaint WHERE received_at >= ? "
                "AND received_at < ? ORDER BY received_at DESC LIMIT ?",
                (*window, MAX_TEXT_CANDIDATES),
            )
            return similar_texts(text, candidates)

        def with_fts5(window: Window, text: str) -> object:
            query = " OR ".join(f'"{w}"' for w in _words(text))
            return db.execute(
                "SELECT c.id, bm25(doc) FROM doc JOIN complaint c ON c.id = doc.rowid "
                "WHERE doc MATCH ? AND c.received_at >= ? AND c.received_at < ? "
                "ORDER BY rank LIMIT 10",
                (query, *window),
            ).fetchall()

        def with_rapidfuzz_whole_window(window: Window, text: str) -> object:
            candidates = db.execute(
                "SELECT id, description FROM complaint WHERE received_at >= ? AND received_at < ?",
                window,
            )
            return similar_texts(text, candidates)

        figures = {
            "rapidfuzz, newest 2,000 of the window (chosen)": _median_ms(with_rapidfuzz, queries),
            "rapidfuzz, whole 90-day window": _median_ms(with_rapidfuzz_whole_window, queries),
            "SQLite FTS5": _median_ms(with_fts5, queries),
        }
        db.close()
    if postgres:
        figures["PostgreSQL full text"] = _postgres_ms(postgres, rows, queries)
    return figures


def _window(received_at: str) -> Window:
    since = datetime.fromisoformat(received_at) - timedelta(days=WINDOW_DAYS)
    return since.isoformat(), received_at


def _postgres_ms(url: str, rows: list[tuple[int, str, str]], queries: list) -> float:
    import psycopg2

    with psycopg2.connect(url) as db, db.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE complaint (id int PRIMARY KEY, received_at timestamptz, "
            "description text, v tsvector)"
        )
        cursor.executemany(
            "INSERT INTO complaint VALUES (%s, %s, %s, to_tsvector('english', %s))",
            [(i, at, text, text) for i, at, text in rows],
        )
        cursor.execute("CREATE INDEX ON complaint USING gin (v)")
        cursor.execute("ANALYZE complaint")

        def run(window: Window, text: str) -> object:
            cursor.execute(
                "WITH q AS (SELECT replace(plainto_tsquery('english', %s)::text, '&', '|')"
                "::tsquery AS q) SELECT id, ts_rank_cd(v, q.q) AS r FROM complaint, q "
                "WHERE v @@ q.q AND received_at >= %s AND received_at < %s "
                "ORDER BY r DESC LIMIT 10",
                (" ".join(_words(text)), *window),
            )
            return cursor.fetchall()

        return _median_ms(run, queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--postgres", help="a PostgreSQL URL (psycopg2 form) to measure too")
    args = parser.parse_args()
    methods: dict[str, Scores] = {
        f"rapidfuzz {s.__name__}": rapidfuzz_scores(s)
        for s in (fuzz.token_set_ratio, fuzz.token_sort_ratio, fuzz.ratio, fuzz.WRatio)
    }
    for scorer in (fuzz.token_set_ratio, fuzz.token_sort_ratio):
        name = f"rapidfuzz {scorer.__name__}, stop words and endings dropped"
        methods[name] = rapidfuzz_scores(scorer, comparable)
    methods["SQLite FTS5 (bm25 / self)"] = fts5_scores()
    if args.postgres:
        methods["PostgreSQL (ts_rank_cd / self)"] = postgres_scores(args.postgres)
    print(f"labelled set: {len(LABELLED)} complaints, {len({k for k, _ in LABELLED})} problems")
    print("| method | best threshold | precision | recall | F1 |\n| --- | --- | --- | --- | --- |")
    for name, scores in methods.items():
        best = max(THRESHOLDS, key=lambda t: quality(scores, t)[2])
        p, r, f = quality(scores, best)
        print(f"| {name} | {best:.2f} | {p:.2f} | {r:.2f} | {f:.2f} |")
    for count in args.sizes:
        figures = time_per_intake(count, args.postgres)
        print(f"{count:,} complaints, median ms per intake: {figures}")


if __name__ == "__main__":
    main()
