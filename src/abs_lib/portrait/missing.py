"""« Données manquantes »: each source the study lacks, once, with what it would
measure and where to get it.

Why: themes used to repeat their own « sources absentes » and the end of the report
again, with raw shell commands; a reader needs one list, a link to the producer's page
and the command the analyst would type.
"""

from __future__ import annotations

from dataclasses import dataclass

from abs_lib.errors import DatasetNotFoundError
from abs_lib.portrait import tables
from abs_lib.portrait.build import Portrait
from abs_lib.sources.catalog import load_catalog


@dataclass(frozen=True)
class MissingSource:
    """One missing dataset: its title, the indicators it would give, its producer's page
    ("" for the analyst's own file) and the command that brings it."""

    dataset: str
    title: str
    producer: str
    indicators: tuple[str, ...]
    page_url: str
    command: str
    incomplete: bool = False   # imported, but the file lacks what these indicators need


def missing_data(portrait: Portrait) -> list[MissingSource]:
    """The datasets the study lacks (each once, by title), then those imported as an extract
    that lacks what some indicators need, from the portrait's missing values."""
    catalog = load_catalog()
    registry = portrait.registry
    found = []
    for incomplete in (False, True):
        for dataset, labels in tables.missing_datasets(portrait, incomplete=incomplete).items():
            try:
                entry = catalog.get(dataset)
            except DatasetNotFoundError:   # not in the catalog: a file only the analyst has
                title = registry.datasets[dataset].label if dataset in registry.datasets else dataset
                found.append(MissingSource(dataset, title, "", tuple(labels), "", "abs data import FICHIER",
                                           incomplete))
                continue
            found.append(MissingSource(dataset, entry.title, entry.producer, tuple(labels), entry.page_url or "",
                                       f"abs data fetch {dataset}", incomplete))
    return sorted(found, key=lambda m: (m.incomplete, m.title))
