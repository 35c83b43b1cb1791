"""Name keys for look-up: case, accents, punctuation and EPCI legal forms do not count.

Two keys per name: the *full* key (``"CC de la Plaine Dijonnaise"`` ->
``"cc de la plaine dijonnaise"``) and the *core* key, without EPCI legal-form
words and articles (-> ``"plaine dijonnaise"``), so that "Plaine Dijonnaise",
"Communauté de communes de la Plaine Dijonnaise" and "CC Plaine dijonnaise" meet.
"""

from __future__ import annotations

import re
import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}

# Words naming an EPCI's legal form (CC, CA, CU, métropole…), after normalisation.
EPCI_FORM_WORDS = frozenset(
    {
        "cc",
        "ca",
        "cu",
        "communaute",
        "communautes",
        "communes",
        "agglomeration",
        "agglo",
        "urbaine",
        "metropole",
        "eurometropole",
    }
)
_ARTICLES = frozenset({"de", "du", "des", "la", "le", "les", "l", "d"})
_DROPPED = EPCI_FORM_WORDS | _ARTICLES


def name_key(text: str) -> str:
    """Lower-case, accent-free, punctuation-free form of a name (``St`` -> ``saint``)."""
    text = str(text).translate(_LIGATURES)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = _NOT_ALNUM.sub(" ", text).split()
    return " ".join([_ABBREVIATIONS.get(word, word) for word in words])


def core_key(key: str) -> str:
    """The full key without EPCI legal-form words and articles."""
    return " ".join([w for w in key.split() if w not in _DROPPED])


def names_an_epci(key: str) -> bool:
    """Whether a query key contains an EPCI legal-form word ("cc", "métropole"…)."""
    return any(word in EPCI_FORM_WORDS for word in key.split())
