"""Readers: every INSEE/CAF quirk of issue 2 §5, on faithfully formatted files."""

import math
import re

import numpy as np
import pytest

from abs_lib.errors import MissingColumnError, SourceFileError
from abs_lib.sources.readers import FileFormat, read_header, read_table


def write(tmp_path, name, text, encoding="utf-8", newline="\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


FILO_HEADER = "CODGEO;LIBGEO;NBMEN19;NBPERS19;NBUC19;Q219;D119;RD\n"


def test_codes_stay_strings_with_leading_zeros_corsica_and_siren(tmp_path):
    path = write(tmp_path, "codes.csv",
                 "CODGEO;LIBGEO;EPCI;DEP;REG\n"
                 "01001;L'Abergement-Clémenciat;200069193;01;84\n"
                 "2A004;Ajaccio;242010056;2A;94\n"
                 "2B033;Bastia;242020071;2B;94\n")
    frame = read_table(path)
    assert list(frame["CODGEO"]) == ["01001", "2A004", "2B033"]
    assert list(frame["DEP"]) == ["01", "2A", "2B"]
    assert list(frame["EPCI"]) == ["200069193", "242010056", "242020071"]
    assert frame["EPCI"].map(len).eq(9).all()


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_separator_is_sniffed(tmp_path, sep):
    text = f"CODGEO{sep}P19_POP{sep}P19_POP0002\n21001{sep}428.5{sep}12.25\n21002{sep}259{sep}7\n"
    frame = read_table(write(tmp_path, "sep.csv", text))
    assert frame["P19_POP"].tolist() == [428.5, 259.0]
    assert frame["P19_POP0002"].tolist() == [12.25, 7.0]


def test_decimal_comma_and_space_thousands(tmp_path):
    # CAF 2016 style "2 256" and FiLoSoFi style "42786020,2", "-17,4", narrow no-break space too.
    text = FILO_HEADER + "21231;Dijon;72 512;140 001;99 123,4;21 120;10 950;3,4\n" + \
        "21054;Beaune;10\u202f000;20\u00a0100;15000,5;-17,4;9800;2,9\n"
    frame = read_table(write(tmp_path, "filo.csv", text))
    assert frame["NBMEN19"].tolist() == [72512.0, 10000.0]
    assert frame["NBPERS19"].tolist() == [140001.0, 20100.0]
    assert frame["NBUC19"].tolist() == [99123.4, 15000.5]
    assert frame["Q219"].tolist() == [21120.0, -17.4]
    assert frame["RD"].tolist() == [3.4, 2.9]


def test_bom_and_crlf(tmp_path):
    text = "\ufeffCODGEO;LIBGEO;P16_POP\n21001;Agencourt;455\n21002;Agey;287\n"
    path = write(tmp_path, "bom.csv", text, newline="\r\n")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    frame = read_table(path)
    assert list(frame.columns) == ["CODGEO", "LIBGEO", "P16_POP"]
    assert frame["P16_POP"].tolist() == [455.0, 287.0]
    assert frame["LIBGEO"].tolist() == ["Agencourt", "Agey"]


def test_latin1_file_is_decoded(tmp_path):
    path = write(tmp_path, "latin.csv", "CODGEO;LIBGEO\n21231;Dijon Métropole\n", encoding="cp1252")
    assert read_table(path)["LIBGEO"].tolist() == ["Dijon Métropole"]


@pytest.mark.parametrize("marker", ["s", "nd", "", "ND", " s ", "n.d.", "nc"])
def test_secret_markers_become_missing_never_zero(tmp_path, marker):
    text = f"CODGEO;MED21;TP6021\n21001;27800;{marker}\n21002;{marker};12,5\n"
    frame = read_table(write(tmp_path, "secret.csv", text))
    assert math.isnan(frame.loc[0, "TP6021"])
    assert math.isnan(frame.loc[1, "MED21"])
    assert frame.loc[1, "TP6021"] == 12.5
    assert frame["MED21"].sum(min_count=2) != frame["MED21"].sum(min_count=2)  # NaN: not a 0


def test_weighted_counts_are_not_rounded(tmp_path):
    text = "CODGEO;P22_POP0014;C22_MENPSEUL\n21001;57.0641627676771;37.273534557936\n"
    frame = read_table(write(tmp_path, "rp.csv", text))
    assert frame.loc[0, "P22_POP0014"] == pytest.approx(57.0641627676771, abs=1e-13)
    assert frame.loc[0, "C22_MENPSEUL"] != round(frame.loc[0, "C22_MENPSEUL"])


def test_trailing_empty_columns_are_dropped(tmp_path):
    # The real FiLoSoFi IRIS 2016 file ends each line with ~70 empty ";" fields.
    text = "IRIS;LIBIRIS;COM;DISP_MED16;;;\n210540102;Camp Americain;21054;21600;;;\n"
    frame = read_table(write(tmp_path, "iris.csv", text))
    assert list(frame.columns) == ["IRIS", "LIBIRIS", "COM", "DISP_MED16"]
    assert frame.loc[0, "IRIS"] == "210540102"


def test_light_extract_is_accepted_but_missing_required_column_is_named(tmp_path):
    path = write(tmp_path, "light.csv", "CODGEO;P22_POP\n21001;428\n")
    frame = read_table(path, required=["CODGEO", "P22_POP"])
    assert frame.shape == (1, 2)
    with pytest.raises(MissingColumnError) as info:
        read_table(path, required=["CODGEO", "P22_POP0002"], dataset="rp-evol-struct-pop")
    message = str(info.value)
    assert "P22_POP0002" in message and "light.csv" in message and "rp-evol-struct-pop" in message


def test_ragged_line_is_an_error_not_a_shift(tmp_path):
    path = write(tmp_path, "bad.csv", "CODGEO;P22_POP\n21001;428;12;99\n")
    with pytest.raises(SourceFileError):
        read_table(path)


def test_empty_and_missing_file(tmp_path):
    with pytest.raises(SourceFileError, match="vide"):
        read_table(write(tmp_path, "empty.csv", ""))
    with pytest.raises(SourceFileError, match="introuvable"):
        read_table(tmp_path / "absent.csv")


def _excel_rows():
    titles = [["Base communale - RP 2016"], ["Millésime 2016, géographie au 01/01/2018"], [], [], []]
    header = ["CODGEO", "REG", "DEP", "LIBGEO", "P16_POP", "P16_POP0002"]
    body = [["01001", "84", "01", "L'Abergement-Clémenciat", 779.0, 25.5], ["2A004", "94", "2A", "Ajaccio", 69075.0, "s"]]
    return titles, header, body


def test_xlsx_with_header_rows(tmp_path):
    import openpyxl
    titles, header, body = _excel_rows()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "COM_2016"
    for row in titles + [header] + body:
        sheet.append(row)
    path = tmp_path / "base-cc-evol-struct-pop-2016.xlsx"
    book.save(path)
    fmt = FileFormat(kind="xlsx", skiprows=5, sheet="COM_2016")
    frame = read_table(path, fmt)
    assert frame["CODGEO"].tolist() == ["01001", "2A004"]
    assert frame["DEP"].tolist() == ["01", "2A"]
    assert frame["P16_POP0002"].iloc[0] == 25.5 and np.isnan(frame["P16_POP0002"].iloc[1])
    assert read_header(path, fmt) == header


def test_xls_with_header_rows(tmp_path):
    import xlwt
    titles, header, body = _excel_rows()
    book = xlwt.Workbook()
    sheet = book.add_sheet("COM")
    for r, row in enumerate(titles + [header] + body):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    path = tmp_path / "FILO_DISP_COM.xls"
    book.save(str(path))
    frame = read_table(path, {"kind": "xls", "skiprows": 5, "sheet": "COM"})
    assert frame["CODGEO"].tolist() == ["01001", "2A004"]
    assert frame["P16_POP"].tolist() == [779.0, 69075.0]
    assert np.isnan(frame["P16_POP0002"].iloc[1])
    with pytest.raises(SourceFileError, match="Feuille"):
        read_table(path, {"kind": "xls", "skiprows": 5, "sheet": "EPCI"})


# --- the real extracts ---------------------------------------------------------

def test_real_filosofi_commune_file(shared_data):
    frame = read_table(shared_data / "filosofi" / "FILO2019_DISP_COM_dep21.csv")
    assert len(frame) == 528
    assert frame["CODGEO"].str.len().eq(5).all() and frame["CODGEO"].str.startswith("21").all()
    agencourt = frame.set_index("CODGEO").loc["21001"]
    assert agencourt["NBMEN19"] == 147 and agencourt["Q219"] == 26400
    assert np.isnan(agencourt["D119"])  # secret in the source: missing, not 0
    assert agencourt["NBUC19"] == pytest.approx(240.1)


def test_real_metropole_and_departement_files(shared_data):
    metro = read_table(shared_data / "filosofi" / "FILO2016_DISP_METROPOLE.csv")
    assert metro.loc[0, "CODGEO"] == "1" and metro.loc[0, "Q216"] == 20809
    assert metro.loc[0, "PIMPOT16"] == pytest.approx(-17.4)
    dep = read_table(shared_data / "filosofi" / "FILO2019_DISP_DEP.csv").set_index("CODGEO")
    assert {"01", "2A", "2B", "21"} <= set(dep.index)
    assert dep.loc["01", "Q219"] == 23490


def test_real_caf_files_keep_secrets_missing_and_read_spaced_thousands(shared_data):
    caf16 = read_table(shared_data / "caf" / "data_CAF_2016_IRIS_dep21.csv").set_index("CODGEO")
    raw = (shared_data / "caf" / "data_CAF_2016_IRIS_dep21.csv").read_text(encoding="utf-8-sig")
    spaced = [line for line in raw.splitlines()[1:] if re.search(r"\d[\u00a0\u202f ]\d", line)]
    assert len(spaced) == 52, "the real 2016 CAF file writes thousands with a no-break space"
    assert np.isnan(caf16.loc["210540101", "A"])
    assert caf16.loc["210540102", "A"] == 325
    assert caf16["EPCI"].str.len().eq(9).all()
    # Every numeric cell equals its source text with the spaces removed.
    code, *cells = spaced[0].split(";")
    header = raw.splitlines()[0].split(";")
    for name, cell in zip(header[1:], cells):
        digits = re.sub(r"[\u00a0\u202f ]", "", cell)
        if digits.isdigit() and caf16[name].dtype == "float64":
            assert caf16.loc[code, name] == float(digits)


def test_real_comparateur_secret_s_is_missing(shared_data):
    frame = read_table(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv")
    text = (shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv").read_text()
    secret_tp60 = sum(1 for line in text.splitlines()[1:] if line.split(";")[17] == "s")
    assert secret_tp60 == 674  # as the data README says
    assert frame["TP6021"].isna().sum() == secret_tp60
    assert frame["SUPERF"].iloc[0] == pytest.approx(4.2)


def test_codes_stripped_by_a_spreadsheet_get_their_zero_back(tmp_path):
    path = write(tmp_path, "excel_export.csv", "CODGEO;DEP;P19_POP\n1001;1;779\n21231;21;156920\n")
    frame = read_table(path)
    assert frame["CODGEO"].tolist() == ["01001", "21231"]
    assert frame["DEP"].tolist() == ["01", "21"]


def test_caf_and_local_code_columns_stay_codes(tmp_path):
    text = "numcom;numdep;code_commune;Code_EPCI;places\n00001;00;21001;000000001;15\n"
    frame = read_table(write(tmp_path, "caf_places.csv", text))
    assert frame.loc[0, "numcom"] == "00001" and frame.loc[0, "numdep"] == "00"
    assert frame.loc[0, "code_commune"] == "21001" and frame.loc[0, "Code_EPCI"] == "000000001"
    assert frame.loc[0, "places"] == 15.0


def test_a_column_written_twice_with_the_same_values_is_kept_once_and_said(tmp_path):
    path = write(tmp_path, "double.csv", "IRIS;C19_MEN;C19_FAM;C19_FAM\n210540102;10.5;4.25;4.25\n210540103;8;0.0;0\n")
    notes = []
    frame = read_table(path, notes=notes)
    assert list(frame.columns) == ["IRIS", "C19_MEN", "C19_FAM"]
    assert frame["C19_FAM"].tolist() == [4.25, 0.0]          # "0.0" and "0": the same number
    assert notes == ["1 colonne(s) présente(s) deux fois avec des valeurs identiques, gardée(s) une seule fois : C19_FAM."]


def test_a_column_written_twice_with_different_values_is_refused_naming_it(tmp_path):
    path = write(tmp_path, "double.csv", "IRIS;C19_FAM;C19_MEN;C19_FAM\n210540102;4.25;10;4.25\n210540103;3;8;2\n")
    with pytest.raises(SourceFileError, match="Colonne « C19_FAM » en double") as info:
        read_table(path)
    assert "ligne 3 : « 3 » puis « 2 »" in str(info.value)


def test_a_redistributors_labels_are_read_under_the_producers_names(tmp_path):
    text = "date_reference,num_commune,places_EAJE_PSU\n2017,01001,96\n"
    frame = read_table(write(tmp_path, "places.csv", text),
                       rename={"date_reference": "annee", "num_commune": "numcom", "places_EAJE_PSU": "pl_psu_col_com"},
                       required=["numcom"])
    assert list(frame.columns) == ["annee", "numcom", "pl_psu_col_com"]
    assert frame.loc[0, "numcom"] == "01001"                 # a code under its producer's name: text
    assert frame.loc[0, "pl_psu_col_com"] == 96.0


def test_drees_code_columns_stay_codes(tmp_path):
    text = "Code région;Code département;Département;2022;2023\n84;1;Ain;2\u202f695;2\u202f641\n94;2A;Corse-du-Sud;10;11\n"
    frame = read_table(write(tmp_path, "Tab33.csv", text))
    assert frame["Code département"].tolist() == ["01", "2A"] and frame["Code région"].tolist() == ["84", "94"]
    assert frame["2022"].tolist() == [2695.0, 10.0]
