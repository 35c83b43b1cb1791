"""The `abs` command speaks French: every subcommand is described, no argparse English leaks."""

import argparse

import pytest

from abs_lib.cli import build_parser, main

ENGLISH = ("usage:", "show this help", "positional arguments", "optional arguments", "error:", "the following arguments")


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, helps.get(name), sub


def _walk(parser, path=()):
    for name, help_text, sub in _subparsers(parser):
        yield path + (name,), help_text, sub
        yield from _walk(sub, path + (name,))


def test_every_subcommand_has_a_french_help():
    commands = list(_walk(build_parser()))
    names = {" ".join(path) for path, _, _ in commands}
    assert {"data", "data import", "data list", "data fetch", "territory"} <= names
    for path, help_text, sub in commands:
        assert help_text and help_text.strip(), f"abs {' '.join(path)} has no help"
        text = sub.format_help()
        assert "utilisation :" in text
        for word in ENGLISH:
            assert word not in text.lower(), f"English '{word}' in `abs {' '.join(path)} --help`"


@pytest.mark.parametrize("argv", [["--help"], ["data", "--help"], ["data", "import", "--help"]])
def test_help_is_printed_in_french(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("utilisation : abs") and "affiche cette aide et quitte" in out


def test_bad_usage_is_explained_in_french(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "import"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "erreur" in err and "arguments obligatoires manquants" in err


def test_unknown_command_lists_the_choices(capsys):
    with pytest.raises(SystemExit):
        main(["donnees"])
    err = capsys.readouterr().err
    assert "choix invalide" in err and "'data'" in err
