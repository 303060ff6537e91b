"""Follow-ups that leave words out: "who else?" asks the previous question again, and an elliptical fragment
("and the British one?") is filled into it."""

from __future__ import annotations

import re

_MORE = re.compile(
    r"(?:(?:and|but|so)\s+)?(?:who|what|where|which|anyone|anybody|anything|anywhere|someone|somebody|something)\s+else",
    re.I,
)


def asks_for_more(question: str) -> bool:
    """ "who else?", "and what else?", "anyone else?": the previous question again, for answers not yet shown."""
    return bool(_MORE.fullmatch(" ".join(question.split()).rstrip("?!. ")))


# Elliptical follow-ups: "and the British one?", "what about Kelvar Telecom?", "and in Aleppo?", "and where?"
_CUE = re.compile(r"(?:(?:and|but|so)\s+)?(?:what|how)\s+about\s+(.+)|(?:and|but)\s+(.+)", re.I)
_ONE = re.compile(r"(?:the|a|an)\s+(\S+(?:\s+\S+){0,2}?)\s+ones?", re.I)
WH = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how"}
_AUXILIARIES = set("is are was were will would do does did has have had can could should may might must".split())
_COPULAS = {"is", "are", "was", "were"}
_DO = _AUXILIARIES - _COPULAS  # "did", "will": a verb follows their subject
_JOINERS = {"of", "al", "de", "von", "van", "bin"}  # inside a name: "Bank of England", "Bashar al Assad"
_ARTICLES = {"the", "a", "an", "its", "his", "her", "their", "this", "that", "these", "those"}
_PREPOSITIONS = set(
    """in at near outside inside around across on during before after since until by of for from with without
    about against to into over under above below between among""".split()
)
# a preposition alone ("and against?") stands for its opposite's phrase
_OPPOSITE = dict(pair.split() for pair in ["for against", "before after", "with without", "above below", "over under"])
_OPPOSITE |= {b: a for a, b in _OPPOSITE.items()} | {"inside": "outside", "outside": "inside"}
_SIDES = set("vote votes voted voting argue argues argued campaign campaigned speak spoke is are was were".split())
LINKS = _PREPOSITIONS | _AUXILIARIES | WH | {"and", "or", "but", "than"}
_SAME_KIND = [
    {"in", "at", "near", "outside", "inside", "around", "across"},
    {"on", "during", "before", "after", "since", "until"},
]
_CONTRASTIVE = set(
    """first second third fourth fifth last next previous former current new old other latest earlier later
    final""".split()
)
_HOW = {"many", "much", "long", "far", "old", "often", "big", "large", "high", "soon"}
_PRONOUNS = {"he", "she", "it", "they", "him", "her", "them", "his", "hers", "its", "their", "this", "that", "those"}
_COUNTRY_CODES = {"us", "uk", "eu", "un", "usa", "uae"}
_NATIONALITY_ENDINGS = ("ian", "an", "ese", "ish", "i", "ch")  # Iranian, American, Chinese, British, Iraqi, French
MAX_FRAGMENT = 6  # words; a longer remainder is a question of its own


def _bare(word: str) -> str:
    return word.strip(",;:\"'“”‘’()").lower()


def _proper(word: str) -> bool:
    word = word.strip(',;:"“”‘’()')
    return bool(word) and word[0].isupper()


def _possessive(word: str) -> bool:
    return word.rstrip(",").endswith(("'s", "’s", "s'", "s’"))


def fragment(question: str) -> list[str] | None:
    """The words an elliptical follow-up asks about ("and the British one?" -> the British one), or None when
    `question` is a whole question."""
    text = " ".join(question.split()).rstrip("?!. ")
    m = _CUE.fullmatch(text)
    if m:
        words = (m.group(1) or m.group(2)).split()
    else:  # "the British one?", or a question phrase alone: "where?", "how many aircraft?"
        words = text.split() if _ONE.fullmatch(text) or (text and _question_phrase(text.split())) else []
    if not 0 < len(words) <= MAX_FRAGMENT or any(_bare(w) in _AUXILIARIES for w in words):
        return None  # "and did he say why?" is a question of its own
    if _bare(words[0]) in _PRONOUNS or (_bare(words[0]) in WH and not any(_asked_where(words))):
        return None  # "and him?", "and who won?"
    return words


def _asked_where(words: list[str]) -> tuple[list[str], list[str]]:
    """A fragment that opens with a question phrase, split into it and the phrase after it: "how many in the
    south" -> (how many, in the south); "how many aircraft" -> (how many aircraft, ()). Empty when the words
    after the question phrase are not a prepositional phrase ("who won")."""
    for k in range(1, len(words) + 1):
        if _question_phrase(words[:k]) and (k == len(words) or _bare(words[k]) in _PREPOSITIONS):
            return words[:k], words[k:]
    return [], []


def _question_phrase(words: list[str]) -> bool:
    """A question phrase alone: "where", "how many aircraft", "which team" (not "who won")."""
    first, rest = _bare(words[0]), [_bare(w) for w in words[1:]]
    if first not in WH:
        return False
    if first == "how" and rest and rest[0] in _HOW:
        return len(rest) <= 2
    return not rest or (first in {"which", "what", "whose"} and len(rest) == 1)


def fill_in(question: str, previous: str) -> str | None:
    """The previous question with the part an elliptical follow-up replaces: "and the British one?" after "who
    is the US Secretary of State?" -> "who is the British Secretary of State?"; "what about Kelvar Telecom?"
    after "who is the chief executive of Nordlicht Air?" -> "... of Kelvar Telecom?"; "and near Torvik?", "and
    where?". None when `question` is not such a fragment or there is nothing in `previous` it can replace."""
    x = fragment(question)
    words = " ".join(previous.split()).rstrip("?!. ").split()
    if not x or not words:
        return None
    one = _ONE.fullmatch(" ".join(x))
    if _bare(x[0]) in WH:  # "and where?", "and how many in the south?": the question phrase, then the rest
        wh, rest = _asked_where(x)
        same = [_bare(w) for w in wh] == [_bare(w) for w in words[: len(wh)]]
        out = words if same and rest else _swap_wh(words, wh)
        out = _swap_preposition(out, rest) if out and rest else out
    elif one:
        out = _swap_modifier(words, one.group(1).split())
    elif len(x) == 2 and _bare(x[1]) in _CONTRASTIVE and any(_bare(w) in _CONTRASTIVE for w in words):
        out = _swap_modifier(words, x[1:])  # "and the second?" after "who won the first round?"
    elif _bare(x[0]) in _PREPOSITIONS:
        out = _swap_preposition(words, x)
    else:
        out = _swap_noun_phrase(words, x)
    if not out:
        return None
    text = " ".join(out)
    return text[0].upper() + text[1:] + "?"


def _swap_preposition(words: list[str], x: list[str]) -> list[str] | None:
    """ "and in Aleppo?" replaces a phrase (`_swap_phrase`); a preposition alone, the last of its opposite: "and
    against?" after "how many voted for the budget?" -> "how many voted against the budget?" (None without
    one: "and in?" names nothing)."""
    if len(x) > 1:
        return _swap_phrase(words, x)
    opposite = _OPPOSITE.get(_bare(x[0]))
    at = [i for i, w in enumerate(words) if _bare(w) == opposite and not _inside_name(words, i)]
    if opposite in ("for", "against"):  # only as sides taken: "voted for", not "a name for" or "account for"
        at = [i for i in at if i and _bare(words[i - 1]) in _SIDES]
    return words[: at[-1]] + x + words[at[-1] + 1 :] if at else None


def _swap_wh(words: list[str], x: list[str]) -> list[str] | None:
    """ "and where?" after "when will the final be played?"; "and how many aircraft?" after "how many
    firefighters were ...?": the question phrase before the first auxiliary is replaced."""
    if _bare(words[0]) not in WH or _bare(x[-1]) in _PREPOSITIONS:
        return None
    verb = next((i for i, w in enumerate(words[:5]) if _bare(w) in _AUXILIARIES), None)
    if verb is None or (len(x) == 1 and verb != 1):
        return None  # "how many people died?" + "and where?": no phrase to swap
    if len(x) == 1 and _bare(x[0]) in {"why", "how"} and _bare(words[verb]) in _COPULAS:
        return None  # "who is Peskov?" + "and why?" does not make "why is Peskov?"
    return x + words[verb:]


def _noun_phrases(words: list[str], possessives: bool, nested: bool = True) -> list[tuple[int, int]]:
    """(start, end) of each determiner noun phrase: an article or possessive pronoun (or, with `possessives`,
    a possessive name) and the words up to the next preposition, auxiliary or comma. "of" and a name after it
    are part of it ("the Secretary of State"), and with `nested` also "of" and another such phrase ("the chief
    executive of the museum"). After "did", "will" and the like, a phrase that ends the question ends before
    its last word, the verb ("what did the minister say?")."""
    spans, i = [], 0
    while i < len(words):
        det = _bare(words[i]) in _ARTICLES or (possessives and _possessive(words[i]) and _proper(words[i]))
        if not det or i + 1 >= len(words) or _bare(words[i + 1]) in LINKS:
            i += 1
            continue
        j = i + 1
        while j < len(words):
            w = _bare(words[j])
            after = words[j + 1] if j + 1 < len(words) else ""
            if w == "of" and after and (_proper(after) or (nested and _bare(after) in _ARTICLES)):
                j += 1
                continue
            if w in LINKS:
                break
            j += 1
            if words[j - 1].endswith(","):
                break
        if j == len(words) and j - i > 2 and any(_bare(w) in _DO for w in words[:i]):
            j -= 1
        spans.append((i, j))
        i = j
    return spans


def _swap_modifier(words: list[str], modifier: list[str]) -> list[str] | None:
    """ "the British one": the modifier of a noun phrase of `words` is replaced (or added). A name-like modifier
    (capitalised, or a nationality typed in lower case: "british", "us") replaces the name-like words that open
    the phrase; another one replaces an ordinal or the like ("the former one"), else it is added."""
    proper = _name_like(modifier[0])
    phrases = _noun_phrases(words, possessives=proper, nested=False)
    if proper:
        phrases = [p for p in phrases if _name_like(words[p[0] + 1]) or _possessive(words[p[0]])] or phrases
    if not phrases:
        return None
    start, end = phrases[-1]
    if _possessive(words[start]) and proper:  # "Veloria's trade minister" -> "the Ostrian trade minister"
        return words[:start] + ["the", *modifier] + words[start + 1 :]
    body = start + 1
    run = _head(words, body, end)
    if proper and run > body:
        return words[:body] + modifier + words[run:]
    if not proper and run == body and end - body >= 2 and _bare(words[body]) in _CONTRASTIVE:
        return words[:body] + modifier + words[body + 1 :]
    return words[:body] + modifier + words[body:]


def _head(words: list[str], body: int, end: int) -> int:
    """Where the head of the noun phrase words[body:end] starts, after its name-like modifiers: "US" in "US
    Secretary of State" and "Velorian" in "Velorian trade minister" are modifiers; the last capitalised word is
    the head ("Secretary of State", "the Kremlin")."""
    run = body
    while run < end and _name_like(words[run]):
        run += 1
    if run < end and _bare(words[run]) == "of" or run == end:
        run -= 1
    return run


def _name_like(word: str) -> bool:
    """Capitalised, or a nationality as people type it in lower case ("british", "iranian", "us")."""
    bare = _bare(word)
    return _proper(word) or bare in _COUNTRY_CODES or (len(bare) > 3 and bare.endswith(_NATIONALITY_ENDINGS))


def _swap_phrase(words: list[str], x: list[str]) -> list[str]:
    """ "and in Aleppo?": the last phrase with the same preposition (or one of its kind) is replaced; with
    none, the fragment is added at the end ("who did he meet?" + "and in Moscow?")."""
    prep = _bare(x[0])
    kinds = [prep, *(w for kind in _SAME_KIND if prep in kind for w in kind)]
    for kind in kinds:
        at = [i for i, w in enumerate(words) if _bare(w) == kind and not _inside_name(words, i)]
        if at:
            i = j = at[-1]
            j += 1
            while j < len(words) and not words[j - 1].endswith(","):
                if _bare(words[j]) in LINKS and not _inside_name(words, j):
                    break
                j += 1
            return words[:i] + x + words[j:]
    return words + x


def _inside_name(words: list[str], i: int) -> bool:
    """words[i] joins two capitalised words: "of" in "Bank of England"."""
    return 0 < i < len(words) - 1 and _bare(words[i]) in _JOINERS and _proper(words[i - 1]) and _proper(words[i + 1])


def _swap_noun_phrase(words: list[str], x: list[str]) -> list[str] | None:
    """ "and the opposition leader?" replaces the last noun phrase; "what about Kelvar Telecom?" the last name
    (the first word of the question aside), keeping its "'s"; a one-word name with its article ("the US")."""
    if _bare(x[0]) in _ARTICLES or _possessive(x[0]):
        phrases = _noun_phrases(words, possessives=True)
        if not phrases:
            return None
        start, end = phrases[-1]
        return words[:start] + x + words[end:]
    if not _proper(x[0]):
        return None
    names = [i for i in range(1, len(words)) if _proper(words[i])]
    if not names:
        return None
    start = end = names[-1] + 1
    while start > 1 and (_proper(words[start - 1]) or (start > 2 and _inside_name(words, start - 1))):
        start -= 1
    if _bare(words[start - 1]) in _ARTICLES:
        phrase = next((b for a, b in _noun_phrases(words, possessives=False) if a == start - 1), end)
        head = _head(words, start, max(phrase, end))
        if head > start:  # a title: "the US Secretary of State" + "Iran" -> "Iran's Secretary of State"
            return words[: start - 1] + x[:-1] + [x[-1] + "'s"] + words[head:]
        if end - start > 1:
            return None  # "the Bank of England" is a name, not a place that "Iran" could be
        start -= 1  # "what did the US say?" + "what about Russia?"
    last = words[end - 1].rstrip(",")
    suffix = last[-2:] if last[-2:] in ("'s", "’s") else ""
    return words[:start] + x[:-1] + [x[-1] + suffix] + words[end:]
