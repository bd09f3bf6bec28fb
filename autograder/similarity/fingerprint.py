"""Fingerprints of code that survive disguise: Python's own tokens with comments and docstrings
dropped, the student's names and literals made alike (`loss_value` and `l` are one token; numpy's
and Python's names are kept, as renaming never touches them), hashed in k-grams and winnowed
(Schleimer, Wilkerson and Aiken, 2003: the least hash of every window of `WINDOW` k-grams, so any
match of `KGRAM + WINDOW - 1` tokens is found).

Tokens are hashed with CRC-32, never with Python's `hash` of a text (salted per process): the same
code gives the same fingerprints in every run, and so the same report."""

from __future__ import annotations

import builtins
import functools
import io
import keyword
import tokenize
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

KGRAM = 8
WINDOW = 4
# Names kept as written: keywords, Python's built-ins, `self`, and numpy's functions and array
# methods (`np.dot` and `x.sum` mean the same in every submission; a student's `W` does not).
KEPT_NAMES = frozenset({*keyword.kwlist, *dir(builtins), "self", *dir(np), *dir(np.ndarray)})
DROPPED = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER})
STATEMENT_START = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT})


@dataclass(frozen=True)
class Token:
    text: str
    line: int


@dataclass(frozen=True)
class Fingerprint:
    """One winnowed k-gram: its hash and the lines of its first and last token."""

    hash: int
    first: int
    last: int


def tokens(text: str) -> list[Token]:
    """The normalised tokens of a source (empty if Python cannot tokenise it)."""
    try:
        raw = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
               if t.type not in DROPPED]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []
    kept: list[Token] = []
    previous = tokenize.NEWLINE
    for token, following in zip(raw, [*raw[1:], None], strict=True):
        if (token.type == tokenize.STRING and previous in STATEMENT_START
                and following is not None and following.type == tokenize.NEWLINE):
            previous = tokenize.NEWLINE  # a docstring, or a string on a line of its own
            continue
        kept.append(Token(_normalised(token), token.start[0]))
        previous = token.type
    return kept


def _normalised(token: tokenize.TokenInfo) -> str:
    if token.type == tokenize.NAME:
        return token.string if token.string in KEPT_NAMES else "V"
    if token.type == tokenize.NUMBER:
        return "0"
    if token.type == tokenize.STRING:
        return "S"
    if token.type == tokenize.INDENT:
        return "{"
    if token.type == tokenize.DEDENT:
        return "}"
    if token.type == tokenize.NEWLINE:
        return ";"
    return token.string


def winnow(stream: Sequence[Token]) -> list[Fingerprint]:
    """The winnowed fingerprints of a token stream, in order (a stream shorter than one k-gram
    has none: too little code to tell anything)."""
    ids = [_token_hash(t.text) for t in stream]
    # hashing a tuple of ints is not salted: the same in every process
    hashes = [hash(tuple(ids[i:i + KGRAM])) for i in range(len(stream) - KGRAM + 1)]
    chosen: list[int] = []
    for start in range(max(len(hashes) - WINDOW + 1, 1 if hashes else 0)):
        least = start
        for i in range(start + 1, min(start + WINDOW, len(hashes))):
            if hashes[i] <= hashes[least]:  # the rightmost least (robust winnowing)
                least = i
        if not chosen or chosen[-1] != least:
            chosen.append(least)
    return [Fingerprint(hashes[i], stream[i].line, stream[i + KGRAM - 1].line) for i in chosen]


@functools.cache
def _token_hash(text: str) -> int:
    return zlib.crc32(text.encode())
