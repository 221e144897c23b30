"""Handbook storage and search: SQLite FTS5 (BM25) or PostgreSQL full-text, over folded terms.

Vietnamese words are mostly two syllables ("sổ đỏ", "chứng thực"), so the index holds each
folded syllable and each pair of neighbouring syllables joined ("so", "do", "sodo"). Folding
drops diacritics, and Telex keystrokes the keyboard did not convert ("ddaats" for "đất") are
folded the same way, so every way a cadre types reaches the same terms.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from storage.folding import fold
from storage.models import HandbookEntry, HandbookTerm, HandbookUse

# Folded function words that say nothing about the topic of a question.
# Folding merges words ("cán"/"cần" → "can", "tư"/"từ" → "tu"), so only words that are
# function words in every reading are listed.
_STOPWORDS = (
    "a ai anh biet cac cach cho cua den em gi giup hay khi khong la luc muon mot nao nay neu "
    "nhe nho nhung o oi ong phai phuong qua ra roi se sau toi tren va ve voi xa xin duoc"
)
STOPWORDS = frozenset(_STOPWORDS.split())
_TELEX_TONE = re.compile(r"(?<=[a-z])[sfrxj]$")
_WORD = re.compile(r"[a-z0-9]+")


def _untelex(word: str) -> str:
    """'ddaats' → 'dat', 'chuwngs' → 'chung': Telex that was typed but not converted.

    A Vietnamese syllable never ends in s, f, r, x or j, so a final one is a tone key.
    """
    if len(word) > 2:
        word = _TELEX_TONE.sub("", word)
    word = word.replace("dd", "d")
    for double in ("aa", "ee", "oo"):
        word = word.replace(double, double[0])
    return word.replace("uw", "u").replace("ow", "o").replace("aw", "a")


def terms(text_: str) -> list[str]:
    """The searchable terms of a text: content syllables and joined neighbouring pairs."""
    words = [_untelex(w) for w in _WORD.findall(fold(text_))]
    out = [w for w in words if w not in STOPWORDS and len(w) > 1]
    out += [a + b for a, b in zip(words, words[1:], strict=False)
            if not (a in STOPWORDS and b in STOPWORDS)]
    return out


def search_text(question: str, answer: str) -> str:
    # the question counts twice: it is what a later cadre's question looks like
    return " ".join(terms(question) * 2 + terms(answer))


QUERY_TERMS = 6
ENTRIES = "#entries"  # a pseudo-term in every current entry (terms are [a-z0-9_]): their number
EMPTY = "handbook_empty"  # session.info: this transaction found no current entry (and changed none)


@dataclass(frozen=True)
class Hit:
    entry: HandbookEntry
    score: float  # what the shared terms are worth (rarer and longer count more); larger is better
    coverage: float  # that worth over the whole question's


async def ensure_index(conn: AsyncConnection) -> None:
    """Create the full-text index next to the tables (idempotent)."""
    if conn.dialect.name == "sqlite":
        await conn.execute(text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS handbook_fts USING fts5(body, tokenize='unicode61')"
        ))
    # the number of current entries is kept with the term counts from the start, so that a
    # search knows an empty handbook from its first query
    await conn.execute(text(
        "INSERT INTO handbookterm (term, df) SELECT :t, count(*) FROM handbookentry WHERE current "
        "ON CONFLICT DO NOTHING"
    ), {"t": ENTRIES})
    if conn.dialect.name == "postgresql":
        # a stored tsvector: ranking thousands of matches must not re-parse every text
        await conn.execute(text(
            "ALTER TABLE handbookentry ADD COLUMN IF NOT EXISTS search_tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
        ))
        await conn.execute(text(
            "CREATE INDEX IF NOT EXISTS ix_handbook_tsv ON handbookentry USING gin (search_tsv)"
        ))


async def _reindex(session: AsyncSession, entry: HandbookEntry) -> None:
    if session.get_bind().dialect.name != "sqlite":  # PostgreSQL indexes the column itself
        return
    await session.execute(text("DELETE FROM handbook_fts WHERE rowid = :id"), {"id": entry.id})
    if entry.current:
        await session.execute(text("INSERT INTO handbook_fts(rowid, body) VALUES (:id, :body)"),
                              {"id": entry.id, "body": entry.search_text})


def counted_terms(search_text_: str) -> set[str]:
    """The terms an entry counts in `handbookterm`: its own, and ENTRIES, which every current
    entry has, so that the number of current entries comes with the term counts."""
    return {*search_text_.split(), ENTRIES}


async def save(session: AsyncSession, entry: HandbookEntry) -> HandbookEntry:
    """Insert or update an entry, its index row and the term counts, in the caller's transaction."""
    before: set[str] = set()
    if entry.id is not None:  # the stored row says what was counted before this change
        with session.no_autoflush:  # (autoflush would write the change first: retire counted nothing)
            stored = (await session.execute(
                select(col(HandbookEntry.search_text), col(HandbookEntry.current))
                .where(col(HandbookEntry.id) == entry.id)
            )).first()
        before = counted_terms(stored[0]) if stored is not None and stored[1] else set()
    entry.search_text = search_text(entry.question, entry.answer)
    after = counted_terms(entry.search_text) if entry.current else set()
    session.add(entry)
    await session.flush()
    await _count_terms(session, after - before, +1)
    await _count_terms(session, before - after, -1)
    await _reindex(session, entry)
    return entry


async def _count_terms(session: AsyncSession, changed: set[str], step: int) -> None:
    if not changed:
        return
    session.info.pop(EMPTY, None)
    rows = {
        r.term: r for r in (await session.execute(
            select(HandbookTerm).where(col(HandbookTerm.term).in_(sorted(changed)))
        )).scalars()
    }
    for term in changed:
        row = rows.get(term)
        if row is None:
            session.add(HandbookTerm(term=term, df=max(0, step)))
        else:
            row.df = max(0, row.df + step)


async def add(
    session: AsyncSession, area: str, question: str, answer: str, *, source: str, by: str,
    now: datetime, ticket_id: int | None = None,
) -> HandbookEntry:
    entry = HandbookEntry(area_code=area, question=question.strip(), answer=answer.strip(),
                          source=source, ticket_id=ticket_id, published_by=by, published_at=now)
    return await save(session, entry)


async def retire(session: AsyncSession, entry: HandbookEntry) -> None:
    entry.current = False
    await save(session, entry)


async def current_entries(session: AsyncSession) -> Sequence[HandbookEntry]:
    q = select(HandbookEntry).where(col(HandbookEntry.current).is_(True)).order_by(col(HandbookEntry.id))
    return (await session.execute(q)).scalars().all()


async def get_entry(session: AsyncSession, entry_id: int) -> HandbookEntry | None:
    return await session.get(HandbookEntry, entry_id)


async def entries(session: AsyncSession, ids: Collection[int]) -> Sequence[HandbookEntry]:
    """The entries of these ids (current or not), in no particular order."""
    q = select(HandbookEntry).where(col(HandbookEntry.id).in_(ids))
    return (await session.execute(q)).scalars().all()


async def current_entry_of_ticket(session: AsyncSession, ticket_id: int) -> HandbookEntry | None:
    """The current entry published from a ticket, if any."""
    q = select(HandbookEntry).where(
        col(HandbookEntry.ticket_id) == ticket_id, col(HandbookEntry.current).is_(True)
    )
    return (await session.execute(q)).scalars().first()


async def record_suggestion(
    session: AsyncSession, identity: str, entry_ids: Sequence[int | None], now: datetime
) -> HandbookUse:
    """A cadre was shown these entries (outcome "shown"); flushed, so that it has its id."""
    use = HandbookUse(identity=identity, entry_ids=" ".join(map(str, entry_ids)), at=now)
    session.add(use)
    await session.flush()
    return use


async def set_outcome(session: AsyncSession, use_id: int, outcome: str) -> None:
    """What the cadre did after a suggestion: "resolved" or "asked"."""
    use = await session.get(HandbookUse, use_id)
    if use is not None:
        use.outcome = outcome


async def clear(session: AsyncSession) -> None:
    session.info.pop(EMPTY, None)
    await session.execute(delete(HandbookEntry))
    await session.execute(delete(HandbookTerm))
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("DELETE FROM handbook_fts"))


async def search(
    session: AsyncSession, question: str, *, area: str | None = None, limit: int = 3,
    candidates: int = 10,
) -> list[Hit]:
    """Best current entries for a question, ranked by BM25 (ts_rank on PostgreSQL) with the
    question's likely area as a signal; each hit says how much of the question it covers.
    An empty handbook is looked up once per transaction (a batch of questions asks once)."""
    if session.info.get(EMPTY):
        return []
    words = terms(question)
    if not words:
        return []
    unique = list(dict.fromkeys(words))
    df = {
        r.term: r.df for r in (await session.execute(
            select(HandbookTerm).where(col(HandbookTerm.term).in_([*unique, ENTRIES]))
        )).scalars()
    }
    total_entries = df.pop(ENTRIES, None)
    if total_entries == 0:  # an empty handbook costs a transaction this one query
        session.info[EMPTY] = True
        return []
    df = {t: n for t, n in df.items() if n > 0}
    if total_entries is None:  # counts kept before ENTRIES existed: count once, slowly
        total_entries = (await session.execute(
            select(func.count()).select_from(HandbookEntry).where(col(HandbookEntry.current).is_(True))
        )).scalar_one()
    # Candidates come from the rarest terms the handbook knows: they decide a match, and a
    # query of common terms over tens of thousands of entries would be slow for nothing.
    query_terms = sorted(df, key=lambda t: df[t])[:QUERY_TERMS]
    if not query_terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        match = " OR ".join(f'"{t}"' for t in query_terms)
        rows = (await session.execute(
            text("SELECT rowid, bm25(handbook_fts) FROM handbook_fts WHERE handbook_fts MATCH :q "
                 "ORDER BY bm25(handbook_fts) LIMIT :n"),
            {"q": match, "n": candidates},
        )).all()
        ranked = [(int(r[0]), -float(r[1])) for r in rows]
    else:
        query = " | ".join(query_terms)
        rows = (await session.execute(
            text("SELECT id, ts_rank(search_tsv, to_tsquery('simple', :q)) AS r FROM handbookentry "
                 "WHERE current AND search_tsv @@ to_tsquery('simple', :q) ORDER BY r DESC LIMIT :n"),
            {"q": query, "n": candidates},
        )).all()
        ranked = [(int(r[0]), float(r[1])) for r in rows]
    if not ranked:
        return []
    entries = {
        e.id: e for e in (await session.execute(
            select(HandbookEntry).where(col(HandbookEntry.id).in_([i for i, _ in ranked]))
        )).scalars()
    }
    # What a match is worth: each shared term weighs by its rarity among the entries (IDF,
    # scaled to 0..1) and double for a joined pair (a two-syllable word). `coverage` is that
    # worth over the question's whole worth, where terms no entry has count in full.
    syllables = _syllables(question)
    scale = math.log(total_entries + 1) or 1.0

    def rarity(term: str) -> float:
        n = df.get(term, 0)
        return math.log((total_entries + 1) / (n + 0.5)) / scale if n else 0.0

    weight = {t: 1.0 if t in syllables else 2.0 for t in unique}
    whole = sum(w * (rarity(t) if df.get(t) else 1.0) for t, w in weight.items()) or 1.0
    hits = []
    for entry_id, _rank in ranked:
        entry = entries.get(entry_id)
        if entry is None or not entry.current:
            continue
        have = set(entry.search_text.split())
        worth = sum(w * rarity(t) for t, w in weight.items() if t in have)
        bonus = 0.5 if area and entry.area_code == area else 0.0
        hits.append(Hit(entry, worth + bonus, worth / whole))
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]


def _syllables(question: str) -> set[str]:
    return {_untelex(w) for w in _WORD.findall(fold(question))}


# --- import and export ------------------------------------------------------------------------


def _parse_markdown(body: str) -> list[tuple[str, str, str]]:
    """`## question` headings, an `area: code` line, then the answer's paragraphs."""
    entries: list[tuple[str, str, str]] = []
    question: str | None = None
    area = "khac"
    answer: list[str] = []
    for line in [*body.splitlines(), "## "]:
        if line.startswith("## "):
            if question and "\n".join(answer).strip():
                entries.append((area, question, "\n".join(answer).strip()))
            question, area, answer = line[3:].strip(), "khac", []
        elif question is not None and not answer and line.lower().startswith("area:"):
            area = line.split(":", 1)[1].strip()
        elif question is not None:
            answer.append(line)
    return entries


async def import_file(
    session: AsyncSession, path: Path, *, by: str, now: datetime, areas: Collection[str] | None = None
) -> int:
    """Load a CSV (area,question,answer) or Markdown file of entries; returns how many were
    added. Entries already current (same question and answer) are skipped, so importing a file
    twice adds nothing; an area code not in `areas` is a ValueError and nothing is added."""
    body = path.read_text("utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows = [(r["area"].strip(), r["question"], r["answer"]) for r in csv.DictReader(io.StringIO(body))]
    else:
        rows = _parse_markdown(body)
    if areas is not None:
        for i, (area, question, _) in enumerate(rows, start=1):
            if area not in areas:
                raise ValueError(
                    f"entry {i} ({question.strip()[:40]!r}): unknown area code {area!r}; "
                    f"codes: {', '.join(sorted(areas))}"
                )
    have = {(e.question.strip(), e.answer.strip()) for e in await current_entries(session)}
    added = 0
    for area, question, answer in rows:
        if (question.strip(), answer.strip()) in have:
            continue
        have.add((question.strip(), answer.strip()))
        await add(session, area, question, answer, source="import", by=by, now=now)
        added += 1
    return added


async def export_file(session: AsyncSession, path: Path) -> int:
    """Write the current entries as CSV or Markdown (by the file's suffix); returns how many."""
    entries = await current_entries(session)
    if path.suffix.lower() == ".csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["area", "question", "answer"])
        for e in entries:
            writer.writerow([e.area_code, e.question, e.answer])
        path.write_text(out.getvalue(), "utf-8")
    else:
        path.write_text(
            "".join(f"## {e.question}\narea: {e.area_code}\n\n{e.answer}\n\n" for e in entries), "utf-8"
        )
    return len(entries)
