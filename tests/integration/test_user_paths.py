"""Every path the user names must be a regular file: a FIFO must not hang a command, /dev/zero
must not be read for ever, a folder must not be taken for a file. Each command is refused at once
with a message naming the path and what it is (issue 7, item 7).

Each command runs through ``main()`` in a thread with a timeout, so a regression shows as a
failure saying the command hung, not as a suite that never ends.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from qbdesk.cli.main import main
from qbdesk.services.coordinator_keys import load_or_create_keys
from tests.unit.review_snapshot import PASSPHRASE, coordinator, make_snapshot

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
                                reason="needs FIFOs and /dev/zero (POSIX)")
TIMEOUT = 30.0


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    """A round database, a coordinator key folder and an opened review workspace."""
    root = tmp_path_factory.mktemp("paths")
    url = f"sqlite:///{root / 'round.sqlite'}"
    assert main(["round", "init", "--db", url, "--name", "2026年第一批", "--year", "2026"]) == 0
    keys = load_or_create_keys(root / "keys", kdf_rounds=1)
    make_snapshot(root / "E01.qbsnap", coordinator())
    pfile = root / "passphrase.txt"
    pfile.write_text(PASSPHRASE + "\n", encoding="utf-8")
    home = root / "home"
    assert main(["review", "open", str(root / "E01.qbsnap"), "--home", str(home), "--passphrase-file", str(pfile)]) == 0
    return {"root": root, "url": url, "keys": keys.directory, "home": home, "pfile": pfile}


def commands(s: dict, path: Path, tmp: Path) -> dict[str, list[str]]:
    return {
        "verify": ["verify", str(path)],
        "scores import": ["scores", "import", "--db", s["url"], "--keys", str(s["keys"]), str(path)],
        "review open": ["review", "open", str(path), "--home", str(tmp / "home2"), "--passphrase-file", str(s["pfile"])],
        "applications import": ["applications", "import", "--db", s["url"], str(path)],
        "experts import": ["experts", "import", "--db", s["url"], str(path)],
        "review sheet import": ["review", "sheet", "import", "--home", str(s["home"]), "--passphrase-file",
                                str(s["pfile"]), str(path)],
        "round init --config": ["round", "init", "--db", f"sqlite:///{tmp / 'other.sqlite'}", "--name", "x",
                                "--year", "2026", "--config", str(path)],
        "passphrase file": ["review", "status", "--home", str(s["home"]), "--passphrase-file", str(path)],
        "applications check --from": ["applications", "check", "--db", s["url"], "--from", str(path)],
    }


SUFFIX = {"verify": ".qbscore", "scores import": ".qbscore", "review open": ".qbsnap", "applications import": ".zip",
          "experts import": ".xlsx", "review sheet import": ".xlsx", "round init --config": ".toml",
          "passphrase file": ".txt", "applications check --from": ".xlsx"}


def run_bounded(argv: list[str], capsys, unblock: Path | None) -> tuple[int, str]:
    result: dict[str, int] = {}

    def target() -> None:
        try:
            result["code"] = main(["--lang", "en", *argv])
        except SystemExit as e:
            result["code"] = int(e.code or 0)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    hung = thread.is_alive()
    if hung and unblock is not None:  # let the blocked reader go: a writer opens the FIFO and leaves
        fd = os.open(unblock, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(TIMEOUT)
    out, err = capsys.readouterr()
    assert not hung, f"{argv[0]} hung on {argv[-1]}"
    return result["code"], out + err


@pytest.mark.parametrize("command", list(SUFFIX))
def test_a_fifo_is_refused_at_once(setting, tmp_path, capsys, command):
    fifo = tmp_path / f"pipe{SUFFIX[command]}"
    os.mkfifo(fifo)
    code, text = run_bounded(commands(setting, fifo, tmp_path)[command], capsys, fifo)
    assert code == 1, text
    assert "named pipe (FIFO), not a regular file" in text and str(fifo) in text, text
    assert "Traceback" not in text


@pytest.mark.parametrize("command", list(SUFFIX))
def test_dev_zero_is_refused_at_once(setting, tmp_path, capsys, command):
    # named as the command expects (a link), so that it is the device itself that is refused
    zero = tmp_path / f"zero{SUFFIX[command]}"
    zero.symlink_to("/dev/zero")
    code, text = run_bounded(commands(setting, zero, tmp_path)[command], capsys, None)
    assert code == 1, text
    assert "is a device, not a regular file" in text and str(zero) in text, text


def test_a_folder_is_refused_with_its_name(setting, tmp_path, capsys):
    folder = tmp_path / "folder.qbsnap"
    folder.mkdir()
    code, text = run_bounded(commands(setting, folder, tmp_path)["review open"], capsys, None)
    assert code == 1 and "is a folder, not a regular file" in text, text
    code, text = run_bounded(commands(setting, folder, tmp_path)["passphrase file"], capsys, None)
    assert code == 1 and "is a folder, not a regular file" in text, text


def test_the_message_is_chinese_by_default(setting, tmp_path, capsys):
    fifo = tmp_path / "pipe.qbsnap"
    os.mkfifo(fifo)
    argv = commands(setting, fifo, tmp_path)["review open"]
    code, text = run_bounded(argv, capsys, fifo)  # --lang en: checked above
    result: dict[str, int] = {}
    thread = threading.Thread(target=lambda: result.setdefault("code", main(argv)), daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    err = capsys.readouterr().err
    assert result["code"] == 1 and "是命名管道（FIFO），不是普通文件" in err, err


def test_a_fifo_in_the_key_folder_is_refused_at_once(setting, tmp_path, capsys):
    import shutil

    keys = tmp_path / "keys"
    shutil.copytree(setting["keys"], keys)
    (keys / "receiving.agekey").unlink()
    os.mkfifo(keys / "receiving.agekey")
    argv = ["scores", "import", "--db", setting["url"], "--keys", str(keys), str(tmp_path)]
    code, text = run_bounded(argv, capsys, keys / "receiving.agekey")
    assert code == 1 and "named pipe (FIFO), not a regular file" in text, text
