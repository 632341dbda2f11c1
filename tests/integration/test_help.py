"""`qbdesk … --help`: every page complete, in the language asked for."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

import pytest

from qbdesk.cli.main import build_parser, main

HAN = re.compile(r"[\u4e00-\u9fff]")


def _pages(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _pages(sub, (*path, name))


def _help(capsys, lang: str, path: tuple[str, ...]) -> str:
    with pytest.raises(SystemExit) as e:
        main(["--lang", lang, *path, "--help"])
    assert e.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_help_page_has_a_description_and_help_on_every_argument(lang, capsys):
    pages = list(_pages(build_parser(lang)))
    assert len(pages) > 15
    for path, parser in pages:
        assert parser.description, f"qbdesk {' '.join(path)} has no description"
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                assert all(a.help for a in action._choices_actions), path
                continue
            assert action.help and action.help != argparse.SUPPRESS, (path, action.dest)
            texts = (action.help, parser.description)
            for text in texts:  # in the language asked for: Chinese has Han characters, English none
                assert bool(HAN.search(text)) == (lang == "zh") or text.startswith(".qbsnap"), (path, text)
        out = _help(capsys, lang, path)
        assert parser.description.split("\n")[0][:20] in out
        if lang == "zh":
            assert "用法：" in out and "usage:" not in out and "show this help" not in out
        else:
            assert "usage:" in out and not HAN.search(out.replace(parser.prog, "")), (path, out)


def test_db_default_is_stated_in_both_languages(capsys):
    assert "默认：用户数据目录下的qbdesk.sqlite" in "".join(_help(capsys, "zh", ("status",)).split())
    assert "default: qbdesk.sqlite in the user data folder" in " ".join(_help(capsys, "en", ("status",)).split())


def test_round_init_offers_no_round_option(capsys):
    out = _help(capsys, "en", ("round", "init"))
    assert "--round" not in out and "--db" in out
    with pytest.raises(SystemExit) as e:
        main(["round", "init", "--db", "x.sqlite", "--name", "n", "--year", "2026", "--round", "3"])
    assert e.value.code == 2
    assert "无法识别的参数：--round 3" in capsys.readouterr().err


def test_argparse_errors_in_the_chosen_language(monkeypatch):
    r = subprocess.run([sys.executable, "-m", "qbdesk.cli.main", "round", "init"], capture_output=True, text=True)
    assert r.returncode == 2 and "用法：" in r.stderr and "缺少必需的参数：--name, --year" in r.stderr
    r = subprocess.run([sys.executable, "-m", "qbdesk.cli.main", "--lang", "en", "round", "init"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "usage:" in r.stderr and "the following arguments are required: --name, --year" in r.stderr
    env = {k: v for k, v in __import__("os").environ.items()} | {"QBDESK_LANG": "en"}
    r = subprocess.run([sys.executable, "-m", "qbdesk.cli.main", "review", "frobnicate"], capture_output=True,
                       text=True, env=env)
    assert r.returncode == 2 and "invalid choice: 'frobnicate'" in r.stderr and not HAN.search(r.stderr)
