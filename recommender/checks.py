"""Checks of search input that need neither the catalog nor a model (``cantus search`` and
``cantus similar`` run them before anything loads; ``Engine`` runs them again for other callers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from cantus.errors import BadInput
from cantus.precheck import fold as _fold  # noqa: F401 (one fold for checks and filters)

MAX_K = 1000  # more results than anyone reads; guards against k=10**9 allocating the catalog
FILTER_FIELDS = (
    "meter", "mode", "key", "collection", "origin", "form", "genre", "region", "lyrics"
)  # fmt: skip
LIST_FIELDS = frozenset({"genre", "region"})  # ", "-joined values: a filter matches any part
# filtered by whether the piece has any (lyrics=yes: the sources' sung words), not by the text
PRESENCE_FIELDS = frozenset({"lyrics"})
PRESENCE_VALUES = ("yes", "no")


def check_k(k: Any) -> int:
    """``k`` as an int in 1..MAX_K, else BadInput naming it."""
    try:
        value = int(k)
    except (TypeError, ValueError):
        value = None
    if value is None or value != k or not 1 <= value <= MAX_K:
        msg = f"k must be a whole number from 1 to {MAX_K} (received {k!r})"
        raise BadInput(msg)
    return value


MAX_QUERY_CHARS = 1000  # MiniLM reads 64 word pieces; longer text is a paste accident


def check_query(query: Any) -> str:
    if not isinstance(query, str) or not query.strip():
        msg = f"the search query is empty (received {query!r}); describe music, e.g. 'sad waltz'"
        raise BadInput(msg)
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes from stdin arrive as lone surrogates
        raise BadInput("the search query is not valid UTF-8 text") from None
    if len(query) > MAX_QUERY_CHARS:
        msg = f"the search query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}"
        raise BadInput(msg)
    return " ".join(query.split())


def parse_filters(filters: Mapping[str, Any] | Iterable[str] | None) -> dict[str, list[str]]:
    """``{"meter": "3/4"}`` or ``["meter=3/4", "mode=minor"]`` → ``{field: [values]}``.

    The same field given twice means either value (``meter=3/4 meter=6/8``); fields are ANDed.
    """
    if not filters:
        return {}
    pairs = filters.items() if isinstance(filters, Mapping) else (_split_filter(f) for f in filters)
    parsed: dict[str, list[str]] = {}
    for name, value in pairs:
        name = str(name).strip().lower()
        if name not in FILTER_FIELDS:
            msg = f"unknown filter field {name!r}; valid fields: {', '.join(FILTER_FIELDS)}"
            raise BadInput(msg)
        values = [value] if isinstance(value, str) else list(value)
        cleaned = [str(v).strip() for v in values]
        if name in PRESENCE_FIELDS:
            cleaned = [_presence(name, v) for v in cleaned]
        parsed.setdefault(name, []).extend(map(catalog_key, cleaned) if name == "key" else cleaned)
    return parsed


def _presence(name: str, value: str) -> str:
    """``yes`` or ``no`` (any case), else BadInput naming the value received."""
    if value.casefold() not in PRESENCE_VALUES:
        msg = f"filter {name} takes yes or no (received {value!r}), e.g. {name}=yes"
        raise BadInput(msg)
    return value.casefold()


_KEY = re.compile(r"^([A-Ga-g])(-flat|-sharp| flat| sharp|♭|♯|b|#|-)?\s+(\S.*)$")
_ACCIDENTALS = {"-flat": "-", " flat": "-", "♭": "-", "b": "-", "-": "-"}
_ACCIDENTALS |= {"-sharp": "#", " sharp": "#", "♯": "#", "#": "#"}


def catalog_key(text: str) -> str:
    """A key as the catalog spells it (music21: "E- major") from the way tables print it
    ("E-flat major") or people write it ("Eb major", "E♭ major"); other text unchanged."""
    match = _KEY.match(text)
    if not match:
        return text
    letter, accidental, mode = match.groups()
    return f"{letter.upper()}{_ACCIDENTALS.get(accidental or '', '')} {mode}"


def _split_filter(text: str) -> tuple[str, str]:
    name, sep, value = str(text).partition("=")
    if not sep or not name.strip() or not value.strip():
        fields = ", ".join(FILTER_FIELDS)
        msg = f"a filter is FIELD=VALUE, e.g. meter=3/4 (received {text!r}); fields: {fields}"
        raise BadInput(msg)
    return name, value
