"""Every variable the registry names exists in a real header line known to the repo.

The header lines live in tests/fixtures/real_headers/ (one file per source, comment lines
giving the origin, header lines only). Names are compared after the project's own
vintage-free normalisation (``P22_POP`` -> ``P_POP``, ``NAIS1621`` -> ``NAIS_PERIODE`` and its
annual mean). A variable found in no real header is tolerated only on indicators marked
``confirmed: false``, or when abs makes the column itself (listed below, with the reason).
"""

from pathlib import Path

import pytest

from abs_lib.indicators import load_registry
from abs_lib.sources import fd_logement
from abs_lib.sources.variables import civil_periods, split_vintage

HEADERS = Path(__file__).parent / "fixtures" / "real_headers"

#: Columns abs builds itself, which no INSEE/CAF header can hold.
MADE_BY_ABS = {
    "PLACES_LOCAL": "places of the analyst's own file, summed by local_places_by_commune()",
    **{name: "weighted count of the FD_LOGEMT detail file, aggregated by abs_lib.sources.fd_logement"
       for name in fd_logement.variable_names()},
}


def fixture_lines(path: Path) -> tuple[list[str], dict[str, str]]:
    """(columns of every header line, {comment key: value}) of one fixture file."""
    columns, meta = [], {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].strip().partition(":")
            meta.setdefault(key.strip(), value.strip())
        elif line.strip():
            columns += [c for c in line.split(";") if c]
    return columns, meta


def vintage_free(columns) -> set[str]:
    periods = civil_periods(columns)
    names = {split_vintage(c)[0] for c in columns if c not in periods}
    for period in periods.values():
        names |= {period.name, period.per_year_name}
    return names


def all_fixtures() -> list[Path]:
    return sorted(HEADERS.glob("*.txt"))


def known_names() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in all_fixtures():
        for name in vintage_free(fixture_lines(path)[0]):
            out.setdefault(name, []).append(path.name)
    return out


def test_fixtures_say_where_they_come_from_and_hold_no_data():
    assert len(all_fixtures()) >= 10
    for path in all_fixtures():
        columns, meta = fixture_lines(path)
        assert "Origine" in meta, f"{path.name}: comment « # Origine : … » missing"
        assert columns, path.name
        numbers = [c for c in columns if c.replace(",", "").replace(".", "").replace(" ", "").isdigit()]
        assert not numbers, f"{path.name} looks like a data row: {numbers[:3]}"


def test_fixture_copies_match_the_shared_files(shared_data):
    checked = 0
    for path in all_fixtures():
        columns, meta = fixture_lines(path)
        if "shared-data" not in meta:
            continue
        with open(shared_data / meta["shared-data"], encoding="utf-8-sig", newline="") as handle:
            first = handle.readline().rstrip("\r\n")
        assert [c for c in first.split(";") if c] == columns, path.name
        checked += 1
    assert checked >= 8


def test_every_registry_variable_is_in_a_real_header_or_unconfirmed():
    registry = load_registry()
    known = known_names()
    missing = []
    for indicator in registry:
        for variable in indicator.variables:
            if variable in known or variable in MADE_BY_ABS:
                continue
            if indicator.confirmed:
                missing.append(f"{indicator.id}: {variable}")
    assert not missing, "confirmed: true but found in no real header: " + ", ".join(missing)
    for variable in registry.population.variables:
        assert variable in known


def test_unconfirmed_indicators_say_why():
    for indicator in load_registry():
        if not indicator.confirmed:
            assert indicator.notes, f"{indicator.id}: confirmed: false needs notes saying what is not verified"


@pytest.mark.parametrize("variable, source", [
    ("C_FAMMONO", "insee_dossier_complet_light_2022.txt"),
    ("C_COUPAENF", "insee_dossier_complet_light_2022.txt"),
    ("P_POP7589", "insee_dossier_complet_light_2022.txt"),
    ("NAISD", "insee_base_cc_comparateur_2022.txt"),
    ("NAIS_PERIODE_PAR_AN", "insee_base_cc_comparateur_2017.txt"),
    ("P_POP0002", "insee_base_ic_evol_struct_pop_2020.txt"),
    ("C_PMEN", "insee_dossier_complet_2018_extraits.txt"),
])
def test_names_the_registry_relies_on(variable, source):
    assert source in known_names()[variable]


def test_names_corrected_by_the_field_notes_are_not_used():
    """Field notes §E: no P_POP75P in commune bases, C_PMEN (not P_PMEN) in the couples base,
    no tenure-by-age variables in any base (abs aggregates them from FD_LOGEMT instead)."""
    known = known_names()
    registry = load_registry()
    commune_base = vintage_free(fixture_lines(HEADERS / "insee_dossier_complet_2018_extraits.txt")[0])
    assert "P_POP75P" not in commune_base and {"P_POP7589", "P_POP90P"} <= commune_base
    for indicator in registry:
        for term in indicator.terms:
            for alternative in term.alternatives:
                if "P_PMEN" in alternative.variables:
                    assert not {"rp-familles-commune", "rp-familles-iris"} & set(alternative.datasets), indicator.id
    for iid in ("part_proprietaires_25_39", "part_locataires_prives_25_39", "part_locataires_hlm_25_39"):
        indicator = registry[iid]
        assert all(v not in known for v in indicator.variables)   # not INSEE names…
        assert set(indicator.variables) <= set(fd_logement.variable_names())   # …but abs aggregates
        assert "pas des variables INSEE" in registry["part_proprietaires_25_39"].notes
    fd_header = vintage_free(fixture_lines(HEADERS / "insee_fd_logemt_2016_2020.txt")[0])
    assert set(fd_logement.READ_COLUMNS) <= fd_header


def test_no_base_crosses_enrolment_with_employment_for_15_24_year_olds():
    """« Jeunes non insérés » (15-24 ans ni en emploi ni inscrits dans un établissement
    d'enseignement, Observatoire des territoires) cannot be computed from the census bases.

    The « diplômes, formation » block gives the enrolled by age (P_SCOL1517, P_SCOL1824) and no
    employment; the « activité des résidents » block gives the employed 15-24 (P_ACTOCC1524) but
    students and inactive people for 15-64 only. The 15-24 who are both employed and enrolled
    (apprentices, working students) are in no base, so any formula from these columns is a bound,
    not the indicator: the registry must not hold it (docs/indicators.md says which file would).
    """
    dossier = vintage_free(fixture_lines(HEADERS / "insee_dossier_complet_2018_extraits.txt")[0])
    assert {"P_POP1517", "P_POP1824", "P_SCOL1517", "P_SCOL1824", "P_NSCOL15P",
            "P_POP1524", "P_ACTOCC1524", "P_ETUD1564", "P_INACT1564"} <= dossier
    known = known_names()
    for crossing in ("P_ETUD1524", "P_INACT1524", "P_AINACT1524", "P_SCOL1524", "P_NSCOL1524"):
        assert crossing not in known, crossing
    assert not [i.id for i in load_registry() if "non_inser" in i.id]
