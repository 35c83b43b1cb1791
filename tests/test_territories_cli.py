"""``abs territory show|search|years`` through abs_lib.cli.main."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from abs_lib.cli import main
from abs_lib.territories import find_territory


def _member_lines(out: str) -> list[tuple[str, str]]:
    return re.findall(r"^  (\w{5})  (.+)$", out, flags=re.MULTILINE)


def test_show_epci_lists_its_22_communes(capsys):
    assert main(["territory", "show", "200000925"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "CC de la Plaine Dijonnaise"
    assert "Niveau : EPCI (CC) — code 200000925 — géographie 2026" in out
    assert "Département : Côte-d'Or (21)" in out
    assert "Région : Bourgogne-Franche-Comté (27)" in out
    members = _member_lines(out)
    assert [code for code, _ in members] == list(find_territory("200000925").communes)
    assert len(members) == 22 and members == sorted(members)
    assert ("21183", "Collonges-et-Premières") in members
    assert out.rstrip().endswith("22 communes")


def test_show_epci_in_2019_lists_23(capsys):
    assert main(["territory", "show", "200000925", "--year", "2019"]) == 0
    out = capsys.readouterr().out
    members = _member_lines(out)
    assert len(members) == 23
    assert ("21507", "Premières") in members
    assert "géographie 2019" in out and out.rstrip().endswith("23 communes")


def test_show_with_a_typo_proposes_the_epci(capsys):
    assert main(["territory", "show", "plaine dijonaise"]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("Erreur : Territoire introuvable : « plaine dijonaise ».")
    assert "Vouliez-vous dire : CC de la Plaine Dijonnaise (EPCI 200000925)" in captured.err


def test_show_epci_over_two_departements(capsys):
    assert main(["territory", "show", "200006682"]) == 0
    out = capsys.readouterr().out
    assert ("Départements : Côte-d'Or (21) : 48 communes ; Saône-et-Loire (71) : 5 communes") in out
    assert out.rstrip().endswith("53 communes")


def test_show_commune(capsys):
    assert main(["territory", "show", "21292"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:3] == [
        "Genlis",
        "Niveau : commune — code 21292 — géographie 2026",
        "EPCI : CC de la Plaine Dijonnaise (200000925)",
    ]


def test_show_region_with_level(capsys):
    assert main(["territory", "show", "27", "--level", "region"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Bourgogne-Franche-Comté"
    assert "Départements (8) :" in out and "  21  Côte-d'Or : 698 communes" in out


def test_show_csv_keeps_codes_as_text(capsys):
    assert main(["territory", "show", "200000925", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    table = pd.read_csv(io.StringIO(out), sep=";", dtype=str)
    assert list(table.columns) == ["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"]
    assert len(table) == 22 and set(table["EPCI"]) == {"200000925"}
    assert table["CODGEO"].tolist() == sorted(table["CODGEO"])


def test_show_homonym_is_ambiguous(capsys):
    assert main(["territory", "show", "Sainte-Colombe"]) == 1
    err = capsys.readouterr().err
    assert (
        "Plusieurs territoires" in err and "Sainte-Colombe (commune 35262, Ille-et-Vilaine)" in err
    )


def test_search(capsys):
    assert main(["territory", "search", "dijon", "--limite", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Territoires proches de « dijon » (géographie 2026) :"
    assert lines[1:3] == [
        "  Dijon (commune 21231, Côte-d'Or)",
        "  Dijon Métropole (EPCI 242100410)",
    ]
    assert len(lines) == 4


def test_years(capsys):
    assert main(["territory", "years"]) == 0
    out = capsys.readouterr().out
    assert [int(y) for y in re.findall(r"^  (\d{4})$", out, flags=re.MULTILINE)] == list(
        range(2019, 2027)
    )
    assert "Par défaut : 2026" in out


def test_unknown_year_and_bad_level(capsys):
    assert main(["territory", "show", "21", "--year", "2010"]) == 1
    assert "Géographie 2010 non disponible" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["territory", "show", "21", "--level", "canton"])
    assert info.value.code == 2
    assert "choix invalide" in capsys.readouterr().err
