"""The coordinator's signing key at rest (issue 7, item 12).

Always encrypted (prompted on a terminal, or QBDESK_COORDINATOR_PASSPHRASE for scripts; neither is
a clear error, never a silent unencrypted key); a chosen passphrase is used exactly as typed and
must be strong; the same 64 bcrypt rounds as the expert's key; a folder or key file others can
reach is fixed to 0700/0600, and the user is told. An unencrypted key from before still works.
"""

from __future__ import annotations

import getpass
import os
import stat
import sys

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

import qbdesk.services.coordinator_keys as ck
from qbdesk.cli.main import main
from qbdesk.formats import keys as keyfiles
from qbdesk.services.coordinator_keys import CoordinatorKeyError, load_keys, load_or_create_keys

STRONG = "Kq2mXw9dA4hT7z"  # strong, and made only of the generator's alphabet: the canonicalisation trap


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(ck.PASSPHRASE_ENV, raising=False)


@pytest.fixture
def round_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'round.sqlite'}"
    assert main(["round", "init", "--db", url, "--name", "2026年第一批", "--year", "2026"]) == 0
    return url


def build(capsys, url, keys_dir, out):
    code = main(["--lang", "en", "snapshots", "build", "--db", url, "--keys", str(keys_dir), "--out", str(out)])
    o, e = capsys.readouterr()
    return code, o + e


def test_no_terminal_and_no_passphrase_is_a_clear_error_and_no_key(no_env, round_db, tmp_path, capsys):
    code, text = build(capsys, round_db, tmp_path / "keys", tmp_path / "usb")
    assert code == 1 and ck.PASSPHRASE_ENV in text and "never stored unencrypted" in text, text
    assert not (tmp_path / "keys" / ck.SIGNING_KEY_FILE).exists()


def test_on_a_terminal_the_passphrase_is_asked_twice(no_env, round_db, tmp_path, capsys, monkeypatch):
    typed = iter([STRONG, STRONG])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))
    build(capsys, round_db, tmp_path / "keys", tmp_path / "usb")
    keys = load_keys(tmp_path / "keys", passphrase=STRONG)
    assert keys.encrypted and keys.signing_key is not None


@pytest.mark.parametrize("weak", ["password", "Password", "PASSW0RD", "short1!", "aaaaaaaaaaaaaaaa",
                                  "123456789012", "password2026!", "qwerty123456"])
def test_a_weak_passphrase_is_refused_with_the_rule(no_env, tmp_path, weak):
    with pytest.raises(CoordinatorKeyError) as e:
        load_or_create_keys(tmp_path / "keys", passphrase=weak)
    assert e.value.reason == "weak_passphrase"
    assert "at least 12 characters" in e.value.msg.en and "至少 12 个字符" in e.value.msg.zh
    assert not (tmp_path / "keys" / ck.SIGNING_KEY_FILE).exists()


def test_a_chosen_passphrase_is_never_canonicalised(no_env, tmp_path):
    load_or_create_keys(tmp_path / "keys", passphrase=STRONG)
    for near in (STRONG.lower(), STRONG.upper(), "KQ2MX-W9DA4-HT7Z", f" {STRONG} "):
        with pytest.raises(CoordinatorKeyError) as e:
            load_keys(tmp_path / "keys", passphrase=near)
        assert e.value.reason == "passphrase", near
    assert load_keys(tmp_path / "keys", passphrase=STRONG).signing_key is not None


def test_the_signing_key_has_the_expert_keys_rounds(no_env, tmp_path):
    from qbdesk.formats.snapshot_manifest import IDENTITY_KDF_ROUNDS

    load_or_create_keys(tmp_path / "keys", passphrase=STRONG)
    header = keyfiles._read_header((tmp_path / "keys" / ck.SIGNING_KEY_FILE).read_bytes())
    assert header.rounds == IDENTITY_KDF_ROUNDS == 64


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_an_open_folder_is_fixed_to_0700_and_the_user_told(round_db, tmp_path, capsys):
    folder = tmp_path / "keys"
    folder.mkdir()
    folder.chmod(0o777)  # made by someone else before the first build
    code, text = build(capsys, round_db, folder, tmp_path / "usb")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert "had mode 777" in text and "changed it to 700" in text, text
    # later: the folder and the signing key opened up again, e.g. copied back from a stick
    folder.chmod(0o755)
    (folder / ck.SIGNING_KEY_FILE).chmod(0o644)
    code, text = build(capsys, round_db, folder, tmp_path / "usb")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / ck.SIGNING_KEY_FILE).stat().st_mode) == 0o600
    assert "had mode 755" in text and "had mode 644" in text and "changed it to 600" in text, text


def test_an_unencrypted_key_from_before_still_works_with_a_warning(no_env, tmp_path, round_db, capsys):
    made = load_or_create_keys(tmp_path / "keys", passphrase=STRONG)
    plain = made.signing_key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    (tmp_path / "keys" / ck.SIGNING_KEY_FILE).write_bytes(plain)  # as qbdesk wrote it by default before
    keys = load_keys(tmp_path / "keys")
    assert keys.signing_key is not None and not keys.encrypted and keys.fingerprint == made.fingerprint
    assert any("stored unencrypted" in n.en and "ssh-keygen -p" in n.en for n in keys.notes)
    code, text = build(capsys, round_db, tmp_path / "keys", tmp_path / "usb")
    assert "warning: the signing key" in text and "stored unencrypted" in text, text
