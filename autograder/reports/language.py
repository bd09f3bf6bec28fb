"""The language of what students read: the catalog (autograder/locale/<lang>/LC_MESSAGES/messages.po,
read at run time with Babel, so a pip-installed kit needs no build step) applied when a result is
reported.

Why translate stored English, not message ids: a result (result.json) holds each failure as the
English text its check wrote, numbers already formatted. The reports match that text against the
catalog's templates (`{what}: expected shape {tuple_shape}, got shape {shape}`), put each captured
piece, itself translated when it is a message of the catalog, into the translation, and leave
every number and everything the student wrote exactly as it was stored. So a language is chosen
when reporting, never when grading: results graded before a catalog existed read in Russian too,
changing the language re-grades nothing, and the resume key never sees it. Text no template
matches (a student's own exception message) stays as it is.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# The catalog's note on a message results store (marked N_, autograder.authoring.messages): only
# those are read back from stored English text, never a report's own words such as `{got} / {of}`.
STORED = "stored"
# What is left in English after a translation, roughly: its Latin letters.
LATIN = re.compile(r"[A-Za-z]")
# Where a check's message ends and its hint begins (the two are two messages of the catalog).
HINT_MARK = re.compile(r"\n\s*Hint: ")


def catalog_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> tuple[str, ...]:
    """The languages the reports speak: English, the source, and every language with a catalog."""
    return (SOURCE_LANGUAGE, *sorted(p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


@cache
def catalog(lang: str) -> tuple[dict[str, str], frozenset[str]]:
    """The catalog's translated messages (none for English), and which of them results store
    (marked `stored` by the extractor: autograder.authoring.messages). An untranslated or fuzzy
    entry is left out, so its English shows (tests/test_language.py fails for any)."""
    if lang == SOURCE_LANGUAGE:
        return {}, frozenset()
    with catalog_path(lang).open("rb") as po:
        messages = [m for m in read_po(po) if m.id and isinstance(m.id, str) and m.string
                    and not m.fuzzy]
    return ({m.id: m.string for m in messages},
            frozenset(m.id for m in messages if STORED in m.auto_comments))


@dataclass(frozen=True)
class Template:
    """A catalog message with placeholders, as a pattern that reads its English back."""

    msgid: str
    msgstr: str
    pattern: re.Pattern[str]
    # the longest piece of literal text: a message without it cannot match (a cheap first test)
    anchor: str
    # how much literal text it has: the more, the more specific
    literal: int


# A value on one line with its brackets balanced (two levels deep): what a placeholder of a
# message that reads the same in every language (code: `Linear({in_features}, bias={bias})`) may
# hold, so that its last placeholder cannot swallow the words after the code (`True) in train
# mode: ...`).
_INNER = r"(?:[^()\[\]\n]|\([^()\n]*\)|\[[^\[\]\n]*\])*"
BALANCED = rf"(?:[^()\[\]\n]|\({_INNER}\)|\[{_INNER}\])*?"


def compile_template(msgid: str, msgstr: str) -> Template | None:
    """The template of `msgid`, or None for a message without placeholders or with nothing between
    them (`{hint}`); `{name} {why}` joins two messages with a space."""
    value = BALANCED if msgstr == msgid else ".*?"
    pieces, regex, names = [], [], set()
    for literal, field, _spec, _conversion in string.Formatter().parse(msgid):
        pieces.append(literal)
        regex.append(re.escape(literal))
        if field is None:
            continue
        if not field.isidentifier():
            return None
        regex.append(f"(?P={field})" if field in names else f"(?P<{field}>{value})")
        names.add(field)
    anchor = max(pieces, key=lambda piece: len(piece.strip()) or len(piece) / 100)
    if not names or not anchor:
        return None
    # a message of one line matches one line; one of several lines may span lines
    return Template(msgid, msgstr, re.compile("".join(regex), re.DOTALL if "\n" in msgid else 0),
                    anchor, sum(map(len, pieces)))


@cache
def templates(lang: str) -> tuple[Template, ...]:
    """The templates of the messages results store (a report's own words, such as `{got} / {of}`,
    never match stored text): those a language words differently first, each group the most
    specific (the most literal text) first."""
    translated, stored = catalog(lang)
    found = (compile_template(msgid, translated[msgid]) for msgid in stored)
    return tuple(sorted((t for t in found if t),
                        key=lambda t: (t.msgstr == t.msgid, -t.literal, t.msgid)))


class Language:
    """One language's words: `_(msgid, **params)` for a report's own, `message(text)` for a stored
    English message, `points(got, of)` for a score."""

    def __init__(self, lang: str = SOURCE_LANGUAGE) -> None:
        if lang not in languages():
            raise ValueError(f"no catalog for the language {lang!r} (there are: {', '.join(languages())})")
        self.lang = lang
        self._translations, self._stored = catalog(lang)
        self._templates = templates(lang)
        self._known: dict[str, str] = {}

    def __call__(self, msgid: str, **params: object) -> str:
        text = self._translations.get(msgid, msgid)
        return text.format(**params) if params else text

    def points(self, got: float, of: float) -> str:
        """A score, its numbers as Python writes them in either language: "7.5 / 10", "7.5 из 10"."""
        _ = self
        return _("{got} / {of}", got=f"{got:g}", of=f"{of:g}")

    def message(self, text: str) -> str:
        """`text`, a stored English message, in this language: its hint apart, then as a whole if
        the catalog has it, else line by line; what no message of the catalog matches stays as it
        is."""
        if not self._translations or not text.strip():
            return text
        hint = HINT_MARK.search(text)
        if hint:
            indent = text[hint.start():hint.end()].removesuffix("Hint: ")
            return (self.message(text[:hint.start()]) + indent
                    + self("Hint: {hint}", hint=self.message(text[hint.end():])))
        if text not in self._known:
            whole = self._translate(text)
            self._known[text] = whole if whole is not None else "\n".join(
                self._line(line) for line in text.split("\n"))
        return self._known[text]

    def _line(self, line: str) -> str:
        """One line of a message: as a whole (a message may be indented), else without its
        indentation."""
        core = line.strip()
        if not core:
            return line
        translated = self._translate(line)
        if translated is not None:
            return translated
        translated = self._translate(core)
        if translated is None:
            return line
        start = line.index(core)
        return line[:start] + translated + line[start + len(core):]

    def _translate(self, text: str) -> str | None:
        """`text` as a whole in this language, or None when no message of the catalog is it.

        The first template that words it differently wins; a template that reads the same (code,
        such as `{name}.{attr} {when}`) only translates its pieces, so of those the one that
        leaves the least English wins."""
        if text in self._stored:
            return self._translations[text]
        same: list[str] = []
        for template in self._templates:
            if template.anchor not in text:
                continue
            match = template.pattern.fullmatch(text)
            if match:
                found = template.msgstr.format(**{name: self.message(value)
                                                  for name, value in match.groupdict().items()})
                if template.msgstr != template.msgid:
                    return found
                same.append(found)
        return min(same, key=lambda found: len(LATIN.findall(found))) if same else None


@cache
def language(lang: str = SOURCE_LANGUAGE) -> Language:
    """The shared `Language` of `lang` (its templates are compiled once per process)."""
    return Language(lang)
