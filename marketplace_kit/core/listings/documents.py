"""Search documents and safe full-text queries, the same on SQLite and PostgreSQL.

Chinese, Japanese and Korean text has no spaces between words, so runs of CJK
characters are indexed as overlapping bigrams ("二手自行车" -> "二手 手自 自行 行车")
plus the run's last character; a CJK query term becomes a phrase of its
bigrams. Other scripts (Latin, Cyrillic) are indexed as lower-cased words and
matched as prefixes. Queries are built from extracted word characters only, so
quotes, ``%``, ``*``, ``:`` and FTS operators (AND, OR, NOT, NEAR) in user
input are never interpreted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff"  # compatibility ideographs
)
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")
MAX_TERMS = 8
MAX_TERM_LENGTH = 40


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def is_cjk(token: str) -> bool:
    return bool(_CJK_RUN.match(token))


def bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document(parts: Iterable[str | None]) -> str:
    """The indexed text for ``parts`` (title, description, attribute values)."""
    out: list[str] = []
    for part in parts:
        if not part:
            continue
        for token in _TOKEN.findall(_normalize(str(part))):
            if is_cjk(token):
                out.extend(bigrams(token))
                out.append(token[-1])
            else:
                out.append(token)
    return " ".join(out)


def category_token(category_id: int) -> str:
    """The search token that places a listing in a category (and, on a listing, in each of
    the category's ancestors): ``/c/<id>``. Documents are otherwise made of word
    characters only, and so are query terms, so no user input can match or produce one
    (SQLite's tokenizer keeps ``/`` inside tokens, PostgreSQL's parser reads the token as
    a path); a search for keywords in a category matches both in one index lookup."""
    return f"/c/{int(category_id)}"


def with_categories(doc: str, category_ids: Iterable[int]) -> str:
    """``doc`` followed by the category tokens of ``category_ids``."""
    return " ".join([doc, *(category_token(c) for c in category_ids)]).strip()


def query_terms(q: str | None) -> list[list[str]]:
    """User input -> terms; each term is a list of tokens matched as a phrase.

    A Latin/Cyrillic term is one token (matched as a prefix); a CJK term is the
    phrase of its bigrams (a single character matches as a prefix).
    """
    terms: list[list[str]] = []
    for token in _TOKEN.findall(_normalize(q or "")):
        token = token[:MAX_TERM_LENGTH]
        terms.append(bigrams(token) if is_cjk(token) else [token])
        if len(terms) >= MAX_TERMS:
            break
    return terms


def fts5_query(terms: list[list[str]], category_id: int | None = None) -> str:
    """An FTS5 MATCH expression; every token is double-quoted (no operators). With
    ``category_id``, only documents in that category (or below it) match."""
    parts = [f'"{category_token(category_id)}"'] if category_id is not None else []
    for term in terms:
        if len(term) == 1:
            parts.append(f'"{term[0]}"*')
        else:
            parts.append('"' + " ".join(term) + '"')
    return " AND ".join(parts)


def tsquery(terms: list[list[str]], category_id: int | None = None) -> str:
    """A PostgreSQL ``to_tsquery('simple', ...)`` expression over quoted lexemes (with
    ``category_id``: in that category or below it)."""
    parts = [f"'{category_token(category_id)}'"] if category_id is not None else []
    for term in terms:
        if len(term) == 1:
            parts.append(f"'{term[0]}':*")
        else:
            parts.append("(" + " <-> ".join(f"'{t}'" for t in term) + ")")
    return " & ".join(parts)
