"""``abs report``: produce the report of a study for one territory."""

from __future__ import annotations

import time

from abs_lib.cli._parser import positive_int
from abs_lib.cli.data import add_data_dir_option
from abs_lib.errors import UsageError, describe_os_error
from abs_lib.reports.studies import STUDIES, get_study

STUDY_CHOICES = tuple(STUDIES)


def add_study_options(p, *, year_help: str, param_help: str) -> None:
    """Options shared by ``abs report`` and ``abs batch``: which study, which data, which parameters."""
    p.add_argument("--study", "--etude", dest="study", choices=STUDY_CHOICES, default="diagnostic",
                   help="étude à produire (défaut : diagnostic) ; explorer est interactive : elle s'ouvre "
                        "dans JupyterLab avec « abs lab TERRITOIRE », pas en rapport")
    p.add_argument("--notebook", metavar="FICHIER", default=None,
                   help="notebook d'étude personnalisé à exécuter à la place de celui de l'étude")
    p.add_argument("--year", "--annee", dest="year", type=int, default=None, metavar="ANNÉE", help=year_help)
    add_data_dir_option(p)
    p.add_argument("--reports-dir", default="reports", metavar="DOSSIER",
                   help="dossier des rapports (défaut : ./reports)")
    p.add_argument("-p", "--param", dest="params", nargs=2, action="append", default=[],
                   metavar=("NOM", "VALEUR"), help=param_help)
    p.add_argument("-f", "--params-file", default=None, metavar="FICHIER.yaml",
                   help="paramètres du notebook dans un fichier YAML (mettez les codes entre guillemets)")
    p.add_argument("--timeout", type=positive_int, default=600, metavar="SECONDES",
                   help="durée maximale d'exécution d'une cellule (défaut : 600)")


def refuse_interactive(study_name: str, territory: str = "TERRITOIRE") -> None:
    """An interactive study (explorer) has no page to publish: say how to open it, write nothing."""
    if get_study(study_name).interactive:
        raise UsageError(
            f"L'étude {study_name} est interactive : ouvrez-la dans JupyterLab avec « abs lab {territory} » "
            "(ses menus de thème et d'indicateur ne vivent que dans un Jupyter ouvert ; une page HTML ne "
            "les montrerait pas). Pour un rapport à diffuser, choisissez --study diagnostic ou actualisation.")


def study_of(args):
    """The study to run: a registered one, or its custom notebook (``--notebook``)."""
    from dataclasses import replace
    from pathlib import Path

    study = get_study(args.study)
    if not args.notebook:
        refuse_interactive(study.name, getattr(args, "territory", None) or "TERRITOIRE")
    if args.notebook:  # the study's parameters still apply, plus those the notebook declares
        study = replace(study, notebook=Path(args.notebook))
    return study


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="produit le rapport d'une étude pour un territoire (HTML, notebook, tableaux)",
        description=(
            "Exécute le notebook de l'étude pour le territoire, puis écrit dans\n"
            "DOSSIER_RAPPORTS/<territoire>/ :\n"
            "  <étude>.html             page autonome en français, sans code, lisible sur téléphone\n"
            "                           et imprimable, terminée par la provenance des données ;\n"
            "  <étude>.docx, <étude>.pdf  la même page pour Word et en PDF (A4), si --format les\n"
            "                           demande ; le PDF est imprimé par Chromium, Chrome ou Edge\n"
            "                           (chemin à donner dans ABS_CHROMIUM s'il n'est pas trouvé) ;\n"
            "  <étude>.ipynb            le notebook exécuté ;\n"
            "  <étude>.provenance.json  sources (lignes utilisées, sommes de contrôle), paramètres,\n"
            "                           versions d'abs et des bibliothèques, géographie ;\n"
            "  <étude>_indicateurs.csv  indicateurs : chaque valeur (territoire, références, communes,\n"
            "                           millésimes), et pour une valeur manquante partout, la raison ;\n"
            "  <étude>.dictionnaire.csv chaque colonne et chaque indicateur (définition, unité, source,\n"
            "                           variables du numérateur et du dénominateur) ;\n"
            "  <étude>_<thème>.csv      le tableau de chaque thème, comme dans la page ;\n"
            "  <étude>_tableaux.xlsx    feuilles Indicateurs, Dictionnaire, puis une par thème.\n"
            "  Les CSV s'ouvrent dans Excel en français (UTF-8 avec BOM, « ; », virgule décimale).\n"
            "En cas d'échec, rien de neuf n'est publié : l'ancien rapport est renommé\n"
            "<étude>.ancien.html et le notebook en échec est gardé sous <étude>.echec.ipynb.\n\n"
            "L'étude explorer, interactive, ne fait pas de rapport : ouvrez-la avec « abs lab TERRITOIRE ».\n\n"
            "Exemples : abs report 200000925 --study diagnostic --year 2019\n"
            "           abs report 200000925 --format html,docx,pdf"
        ),
    )
    p.add_argument("territory", metavar="TERRITOIRE",
                   help="code INSEE du territoire (commune \"01001\", SIREN d'EPCI, département, région)")
    add_study_options(p, year_help="année de l'étude, transmise au notebook (paramètre year)",
                      param_help="autre paramètre de l'étude (répétable), converti dans le type que "
                                 "l'étude déclare (année : nombre entier ; focus : thèmes séparés par des "
                                 "virgules ; local_data : chemin de fichier)")
    p.add_argument("--format", dest="formats", type=report_formats, default=("html",), metavar="FORMATS",
                   help="formats du rapport, séparés par des virgules : html, docx, pdf (défaut : html ; "
                        "le HTML est toujours écrit)")
    p.set_defaults(func=run)


def report_formats(text: str) -> tuple[str, ...]:
    """argparse type for ``--format``: ``html,docx,pdf``."""
    import argparse

    from abs_lib.errors import ReportError
    from abs_lib.reports.run import parse_formats

    try:
        return parse_formats(text)
    except ReportError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _load_yaml(handle):
    """YAML where numbers written with a leading zero (01001, 01) stay text.

    Plain YAML 1.1 reads ``01001`` as the octal number 513 and ``01`` as 1: for
    INSEE codes that is never what the analyst meant.
    """
    import re

    import yaml

    class _CodesLoader(yaml.SafeLoader):
        pass

    resolvers = {key: list(value) for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    resolvers["0"] = [("tag:yaml.org,2002:str", re.compile(r"^0[0-9]+$"))] + resolvers.get("0", [])
    _CodesLoader.yaml_implicit_resolvers = resolvers
    return yaml.load(handle, Loader=_CodesLoader)  # noqa: S506 - a SafeLoader subclass


def _extra_params(args) -> dict:
    import yaml

    extra: dict = {}
    if args.params_file:
        try:
            with open(args.params_file, encoding="utf-8") as handle:
                loaded = _load_yaml(handle) or {}
        except OSError as error:
            raise UsageError(f"Fichier de paramètres illisible : {describe_os_error(error)}. "
                             "Vérifiez le chemin donné à -f.") from None
        except UnicodeDecodeError:
            raise UsageError(f"Fichier de paramètres {args.params_file} illisible : il n'est pas en UTF-8. "
                             "Enregistrez-le en UTF-8.") from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark is not None else ""
            raise UsageError(
                f"Fichier de paramètres {args.params_file} mal formé (YAML{where}) : corrigez-le, une paire "
                "« nom: valeur » par ligne, les codes entre guillemets (territory: \"01001\").") from None
        if not isinstance(loaded, dict):
            raise UsageError(f"Le fichier de paramètres {args.params_file} doit contenir des paires nom: valeur.")
        extra.update(loaded)
    for name, value in args.params:
        extra[name] = value
    return extra


def run(args) -> int:
    from abs_lib.reports.run import build_report

    study = study_of(args)
    start = time.perf_counter()
    result = build_report(
        args.territory,
        study,
        year=args.year,
        data_dir=args.data_dir,
        reports_dir=args.reports_dir,
        extra_params=_extra_params(args),
        progress=lambda line: print(line, flush=True),
        timeout=args.timeout,
        formats=args.formats,
    )
    seconds = time.perf_counter() - start
    print(f"Rapport prêt ({seconds:.1f} s) : {result.html}")
    print(f"  notebook exécuté : {result.notebook}")
    print(f"  provenance : {result.provenance}")
    for fmt, path in result.documents.items():
        print(f"  version {fmt.upper()} : {path}")
    if result.tables:
        print("  tableaux : " + ", ".join(str(p) for p in result.tables))
    else:
        print("  tableaux : aucun (le notebook n'en a pas écrit)")
    if result.fictional:
        print("  territoire fictif : le titre du rapport le signale.")
    if result.hidden_warnings:
        print(f"  {result.hidden_warnings} avertissement(s) Python masqué(s) dans le HTML ; "
              f"voir le notebook exécuté.")
    if result.format_errors:
        import sys

        for fmt, message in result.format_errors.items():
            print(f"Format {fmt.upper()} non produit (les autres fichiers sont écrits) : {message}",
                  file=sys.stderr)
        return 1
    return 0
