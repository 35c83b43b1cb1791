"""Issue 10: a damaged or mislabelled file never turns into a published figure.

Each case seen on real extracts is reproduced here (isolated data folder, real files of
../shared/data imported first): every one ends in a French refusal that leaves the store
byte for byte as it was, or in a correct table. Expected values are read from the raw text.
"""

import gzip
import hashlib
import shutil
import zipfile

import pandas as pd
import pytest

from abs_lib.cli import main
from abs_lib.sources.importing import import_files
from abs_lib.sources.numbers import parse_numbers
from abs_lib.sources.store import Store

COMPARATEUR = "insee_dossier_complet/base_cc_comparateur_dep21.csv"
FILO_EPCI = "filosofi/FILO2019_DISP_EPCI.csv"
GENLIS = "21292"


def snapshot(root) -> dict:
    """Every file of a data folder and its checksum: the store "byte-identical" means this is equal."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()} if root.exists() else {}


def raw_lines(shared_data) -> list[str]:
    return (shared_data / COMPARATEUR).read_text(encoding="utf-8").splitlines(keepends=True)


def write(path, text: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(text, bytes) else lambda t: path.write_text(t, encoding="utf-8"))(text)
    return path


@pytest.fixture
def stored(shared_data, tmp_path):
    """A data folder holding the real comparateur and FiLoSoFi EPCI tables, as an analyst has it."""
    root = tmp_path / "data"
    results = import_files([shared_data / COMPARATEUR, shared_data / FILO_EPCI], Store(root))
    assert all(r.ok for r in results)
    return root


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def refused(root, path, capsys, *words):
    """Import ``path`` with the CLI: refused (exit 1), French message with ``words``, store untouched."""
    before = snapshot(root)
    code, out, err = run(["data", "import", str(path), "--data-dir", str(root)], capsys)
    assert code == 1, out + err
    assert f"refusé   {path.name} : " in err and "Traceback" not in err
    for word in words:
        assert word in err, (word, err)
    assert snapshot(root) == before
    return err


def genlis_population(root) -> float:
    table = Store(root).load("insee-comparateur", 2022, "commune").set_index("CODGEO")
    return table.loc[GENLIS, "P22_POP"]


# ------------------------------------------------------------------ 1. truncated CSV

def test_case1_comparateur_cut_in_the_genlis_row_is_refused(stored, shared_data, tmp_path, capsys):
    data = (shared_data / COMPARATEUR).read_bytes()
    cut = data.index(f"\n{GENLIS};".encode()) + 9          # "21292;51": the row stops in P22_POP
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", data[:cut])
    refused(stored, path, capsys, "Dernière ligne (287)", "incomplète", "« 21292;51 »", "tronqué", "retéléchargez")
    assert genlis_population(stored) == 5125


def test_a_file_cut_inside_the_last_value_is_refused_too(stored, shared_data, tmp_path, capsys):
    data = (shared_data / COMPARATEUR).read_bytes()
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", data[:-2])   # "…;47\n" -> "…;4"
    refused(stored, path, capsys, "ne se termine pas par une fin de ligne", "tronqué")


def test_a_file_cut_inside_a_character_is_refused(stored, shared_data, tmp_path, capsys):
    data = (shared_data / "filosofi" / "FILO2019_DISP_COM_dep21.csv").read_bytes()
    accent = data.index("é".encode())
    path = write(tmp_path / "in" / "FILO2019_DISP_COM_dep21.csv", data[:accent + 1])
    refused(stored, path, capsys, "au milieu d'un caractère", "tronqué")


# ------------------------------------------------------------------ 2. replacing what is stored

def test_case2_header_only_file_is_refused(stored, shared_data, tmp_path, capsys):
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", raw_lines(shared_data)[0])
    refused(stored, path, capsys, "aucune ligne de données")
    assert Store(stored).entry("insee-comparateur", 2022, "commune").rows == 698


def test_case2_two_halves_are_merged_into_the_whole_table(shared_data, tmp_path, capsys):
    lines = raw_lines(shared_data)
    first = write(tmp_path / "a" / "base_cc_comparateur_dep21.csv", "".join(lines[:350]))
    second = write(tmp_path / "b" / "base_cc_comparateur_dep21.csv", "".join(lines[:1] + lines[350:]))
    root = tmp_path / "data"
    code, out, err = run(["data", "import", str(first), str(second), "--data-dir", str(root)], capsys)
    assert code == 0, err
    assert "fusionné base_cc_comparateur_dep21.csv" in out and "349 code(s) ajouté(s), 698 ligne(s) en tout" in out
    assert "Après fusion, couverture : toutes les communes de 1 département(s) (21 : 698 sur 698)" in out
    whole = tmp_path / "whole"
    import_files([shared_data / COMPARATEUR], Store(whole))
    pd.testing.assert_frame_equal(Store(root).load("insee-comparateur", 2022, "commune"),
                                  Store(whole).load("insee-comparateur", 2022, "commune"))
    assert [e.version for e in Store(root).history("insee-comparateur", 2022, "commune")] == [1, 2]


def test_case2_the_second_half_never_replaces_the_whole_table(stored, shared_data, tmp_path, capsys):
    lines = raw_lines(shared_data)
    half = write(tmp_path / "b" / "base_cc_comparateur_dep21.csv", "".join(lines[:1] + lines[350:]))
    before = snapshot(stored)
    code, out, err = run(["data", "import", str(half), "--data-dir", str(stored)], capsys)
    assert code == 0 and "inchangé base_cc_comparateur_dep21.csv" in out
    assert "Rien de nouveau : ses 349 ligne(s) sont déjà dans la table en place" in out
    assert snapshot(stored) == before


def test_case2_epci_file_renamed_as_communes_is_refused_naming_both_levels(stored, shared_data, tmp_path, capsys):
    path = tmp_path / "in" / "FILO2019_DISP_COM.csv"
    path.parent.mkdir()
    shutil.copy(shared_data / FILO_EPCI, path)
    refused(stored, path, capsys, "son nom (FILO2019_DISP_COM.csv) le range au niveau commune",
            "sont de niveau epci (SIREN d'EPCI à 9 chiffres)", "200000172")
    assert not Store(stored).has("filosofi-disp", 2019, "commune")


def test_a_smaller_file_that_contradicts_the_table_is_refused_then_replaces_it_with_remplacer(
        stored, shared_data, tmp_path, capsys):
    lines = raw_lines(shared_data)
    genlis = next(i for i, line in enumerate(lines) if line.startswith(GENLIS + ";"))
    changed = lines[genlis].replace(f"{GENLIS};5125;", f"{GENLIS};5126;")
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", "".join([lines[0], changed]))
    refused(stored, path, capsys, "il contredit la table en place", "version 1, 698 ligne(s)",
            "21292 P22_POP : 5\u202f125 en place, 5\u202f126 dans le fichier", "--remplacer")
    code, out, err = run(["data", "import", str(path), "--remplacer", "--data-dir", str(stored)], capsys)
    assert code == 0 and "remplacé base_cc_comparateur_dep21.csv" in out and "--version 1" in out
    assert Store(stored).entry("insee-comparateur", 2022, "commune").rows == 1 and genlis_population(stored) == 5126
    code, out, err = run(["data", "list", "--historique", "--data-dir", str(stored)], capsys)
    assert code == 0 and "remplace la version 1 (--remplacer)" in out
    assert "3 version(s) de 2 table(s)" in out
    code, out, err = run(["data", "restore", "insee-comparateur", "2022", "commune", "--data-dir", str(stored)], capsys)
    assert code == 0 and "version 1 remise en place (698 lignes" in out
    assert genlis_population(stored) == 5125
    code, out, err = run(["data", "restore", "insee-comparateur", "2022", "commune", "--version", "7",
                          "--data-dir", str(stored)], capsys)
    assert code == 1 and "pas de version 7 (versions gardées : 1, 2)" in err


# ------------------------------------------------------------------ 3. duplicate rows

def test_case3_conflicting_duplicate_rows_are_refused_naming_the_code(stored, shared_data, tmp_path, capsys):
    lines = raw_lines(shared_data)
    genlis = next(line for line in lines if line.startswith(GENLIS + ";"))
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv",
                 "".join(lines) + genlis.replace(f"{GENLIS};5125;", f"{GENLIS};6000;"))
    refused(stored, path, capsys, "code 21292 en double avec des valeurs différentes", "P22_POP : 5\u202f125 puis 6\u202f000")


def test_identical_duplicate_rows_are_kept_once_and_said(shared_data, tmp_path):
    lines = raw_lines(shared_data)
    genlis = next(line for line in lines if line.startswith(GENLIS + ";"))
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", "".join(lines) + genlis)
    (result,) = import_files([path], Store(tmp_path / "data"))
    assert result.ok and result.entry.rows == 698
    assert "1 ligne(s) en double à l'identique, gardée(s) une seule fois (codes 21292)." in result.notes
    assert genlis_population(tmp_path / "data") == 5125


# ------------------------------------------------------------------ 4. comma as thousands separator

def test_case4_comma_among_integers_is_refused_as_ambiguous(stored, shared_data, tmp_path, capsys):
    text = (shared_data / COMPARATEUR).read_text(encoding="utf-8").replace(f"\n{GENLIS};5125;", f'\n{GENLIS};"5,125";')
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", text)
    refused(stored, path, capsys, "colonne « P22_POP »", "« 5,125 » se lit de deux façons (5 125 ou 5,125)")
    assert genlis_population(stored) == 5125


@pytest.mark.parametrize("cells, expected", [
    (["1,5", "5,125"], [1.5, 5.125]),                       # the column writes decimals with a comma
    (["1.5", "5,125"], [1.5, 5125.0]),                      # decimals with a point: the comma groups thousands
    (["1 234,5", "5\u202f125", "5\u00a0125"], [1234.5, 5125.0, 5125.0]),
    (["1.234.567", "5.125"], [1234567.0, 5125.0]),          # points grouping thousands
    (["1,234,567", "12"], [1234567.0, 12.0]),
    (["s", "", "nd", "7"], [None, None, None, 7.0]),        # secret cells are missing, never 0
    (["0,125", "3"], [0.125, 3.0]),                         # a leading zero is no thousands group
])
def test_number_conventions_decided_per_column(cells, expected):
    parsed = parse_numbers(pd.Series(cells))
    assert parsed.problem is None
    assert [None if pd.isna(v) else v for v in parsed.values] == expected


@pytest.mark.parametrize("cells, kind", [
    (["1", "2", "5,125"], "ambiguous"), (["3,540", "4,100"], "ambiguous"), (["1.5", "2,5"], "mixed"),
    (["1,5", "1,234,567"], "mixed"), (["12 34", "5"], "text"), (["5125 hab", "3"], "text"),
])
def test_number_conventions_that_cannot_be_decided_are_refused(cells, kind):
    assert parse_numbers(pd.Series(cells)).problem.kind == kind


def test_ambiguous_ratios_are_read_with_the_convention_of_the_rest_of_the_file(shared_data, tmp_path):
    """FiLoSoFi's S80/S20 ratios all look like 3,540: the other columns' decimal commas decide."""
    (result,) = import_files([shared_data / "filosofi" / "FILO2019_DISP_EPCI.csv"], Store(tmp_path))
    table = Store(tmp_path).load("filosofi-disp", 2019, "epci")
    assert table["S80S2019"].between(2, 11).all()


# ------------------------------------------------------------------ 5. text in a numeric cell

def test_case5_text_in_a_numeric_cell_is_refused_and_indicators_still_run(stored, shared_data, tmp_path, capsys):
    text = (shared_data / COMPARATEUR).read_text(encoding="utf-8").replace(f"\n{GENLIS};5125;", f"\n{GENLIS};5125 hab;")
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", text)
    refused(stored, path, capsys, "colonne « P22_POP » : 1 cellule(s) qui ne sont pas des nombres",
            "ligne 287 : « 5125 hab »")
    code, out, err = run(["indicators", GENLIS, "--format", "csv", "--data-dir", str(stored)], capsys)
    assert code == 0, err
    assert "marques de secret" not in err


# ------------------------------------------------------------------ the other cases of the issue

def test_comparateur_without_p22_pop_is_not_filed_under_2016(stored, shared_data, tmp_path, capsys):
    lines = [";".join(line.rstrip("\n").split(";")[:1] + line.rstrip("\n").split(";")[2:]) + "\n"
             for line in raw_lines(shared_data)]
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", "".join(lines))
    refused(stored, path, capsys, "colonnes du recensement 2022 (P22_MEN", "mais pas P22_POP",
            "rangé au millésime 2016")
    assert Store(stored).vintages("insee-comparateur") == [2022]


def test_a_zip_saved_without_its_extension_is_imported_as_an_archive(shared_data, tmp_path, capsys):
    archive = tmp_path / "in" / "base_cc_comparateur_csv"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(shared_data / COMPARATEUR, "base_cc_comparateur.csv")
    gz = tmp_path / "in" / "FILO2019_DISP_EPCI.csv.gz"
    gz.write_bytes(gzip.compress((shared_data / FILO_EPCI).read_bytes()))
    root = tmp_path / "data"
    code, out, err = run(["data", "import", str(archive), str(gz), "--data-dir", str(root)], capsys)
    assert code == 0, err
    assert "importé  base_cc_comparateur.csv : insee-comparateur, millésime 2022" in out
    assert genlis_population(root) == 5125 and Store(root).has("filosofi-disp", 2019, "epci")


def test_a_broken_zip_is_refused_in_french(stored, tmp_path, capsys):
    path = write(tmp_path / "in" / "base_cc_comparateur_csv.zip", b"PK\x03\x04 tronque")
    refused(stored, path, capsys, "Archive illisible", "Retéléchargez-la")


def test_utf16_file_is_decoded_not_garbled(shared_data, tmp_path, capsys):
    text = (shared_data / COMPARATEUR).read_text(encoding="utf-8")
    path = write(tmp_path / "in" / "comparateur_unicode.csv", text.encode("utf-16"))
    root = tmp_path / "data"
    code, out, err = run(["data", "import", str(path), "--data-dir", str(root)], capsys)
    assert code == 0, err
    assert genlis_population(root) == 5125


def test_a_binary_file_named_csv_is_named_as_such(stored, shared_data, tmp_path, capsys):
    path = write(tmp_path / "in" / "base_cc_comparateur.csv", gzip.compress(b"x")[:2] + b"\x00" * 50)
    err = refused(stored, path, capsys, "Archive gzip illisible", "Retéléchargez-la")
    assert "ÿþ" not in err


def test_truncated_parquet_in_the_store_gives_a_french_error_not_a_traceback(stored, tmp_path, capsys):
    entry = Store(stored).entry("insee-comparateur", 2022, "commune")
    parquet = stored / entry.parquet
    parquet.write_bytes(parquet.read_bytes()[:3000])
    code, out, err = run(["indicators", GENLIS, "--format", "csv", "--data-dir", str(stored)], capsys)
    assert code == 1 and "Traceback" not in err
    assert "Table endommagée" in err and "a été modifié depuis son enregistrement" in err
    assert "abs data import FICHIER --remplacer" in err and "raw/insee-comparateur/2022/base_cc_comparateur_dep21.csv" in err


def test_a_damaged_table_is_replaced_by_a_good_import(stored, shared_data, capsys):
    entry = Store(stored).entry("insee-comparateur", 2022, "commune")
    (stored / entry.parquet).write_bytes(b"PAR1 tronque")
    code, out, err = run(["data", "import", str(shared_data / COMPARATEUR), "--data-dir", str(stored)], capsys)
    assert code == 0 and "remplacé" in out and "était endommagée" in out
    assert genlis_population(stored) == 5125


# ------------------------------------------------------------------ the declared rules

def test_a_total_that_does_not_add_up_is_refused(stored, shared_data, tmp_path, capsys):
    lines = raw_lines(shared_data)
    header = lines[0].rstrip("\n").split(";")
    genlis = next(i for i, line in enumerate(lines) if line.startswith(GENLIS + ";"))
    fields = lines[genlis].rstrip("\n").split(";")
    fields[header.index("P22_LOG")] = "3537.6664989872"          # one thousand dwellings too many
    lines[genlis] = ";".join(fields) + "\n"
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", "".join(lines))
    refused(stored, path, capsys, "valeurs impossibles", "21292 : P22_LOG (3\u202f537,67) ≠ P22_RP + P22_RSECOCC + P22_LOGVAC")


def test_unemployed_above_active_and_negative_counts_are_refused(stored, shared_data, tmp_path, capsys):
    lines = raw_lines(shared_data)
    header = lines[0].rstrip("\n").split(";")
    genlis = next(i for i, line in enumerate(lines) if line.startswith(GENLIS + ";"))
    fields = lines[genlis].rstrip("\n").split(";")
    fields[header.index("P22_CHOM1564")] = "9999"
    fields[header.index("NAIS1621")] = "-286"
    lines[genlis] = ";".join(fields) + "\n"
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", "".join(lines))
    refused(stored, path, capsys, "NAIS1621 négatif", "il faut P22_CHOM1564 (9\u202f999) ≤ P22_ACT1564")


def test_a_code_that_is_no_commune_is_refused(stored, shared_data, tmp_path, capsys):
    text = (shared_data / COMPARATEUR).read_text(encoding="utf-8").replace(f"\n{GENLIS};", "\n21999;")
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", text)
    refused(stored, path, capsys, "1 code(s) qui ne sont une commune d'aucune géographie depuis 1999 (21999)")


def test_a_malformed_code_is_refused(stored, shared_data, tmp_path, capsys):
    text = (shared_data / COMPARATEUR).read_text(encoding="utf-8").replace(f"\n{GENLIS};", "\n2129X;")
    path = write(tmp_path / "in" / "base_cc_comparateur_dep21.csv", text)
    refused(stored, path, capsys, "1 code(s) CODGEO qui ne sont pas au format du niveau commune", "2129X")


def test_a_partial_file_says_its_coverage(shared_data, tmp_path):
    (result,) = import_files([shared_data / "rp_iris" / "logement_21.csv"], Store(tmp_path))
    assert any(n.startswith("Couverture") and "21 : 700 sur 700" in n for n in result.notes), result.notes
