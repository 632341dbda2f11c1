"""Fuzz the snapshot readers: damaged or hostile bytes end in a SnapshotError, never anything else."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fuzzing import mutate, mutation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbdesk.formats import sshsig
from qbdesk.formats.snapshot import SnapshotError, SnapshotReader, SnapshotWriter, read_manifest
from qbdesk.formats.snapshot_manifest import canonical_json

PASS = "7KQ2M-XW9DA-4HT0R-GZ5QP"
SIGNER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "small.qbsnap"
    with SnapshotWriter(
        path, signing_key=SIGNER, receiving_recipient=str(pyrage.x25519.Identity.generate().to_public()),
        passphrase=PASS, snapshot_id="fuzz", round_id=1, round_name="r", round_year=2026, expert_id="E01", rounds=1,
    ) as w:  # fmt: skip
        w.add_attachment(io.BytesIO(b"%PDF-1.4\n" + bytes(range(256)) * 4))
        w.add_attachment(io.BytesIO(b"%PDF-1.4\n"))
        w.write_meta({"applications": []})
    return path


def open_fully(path: Path) -> None:
    """Everything a reader does with a file: verify, unlock, decrypt each attachment."""
    try:
        read_manifest(path)
    except SnapshotError:
        pass
    try:
        with SnapshotReader(path, PASS, check_entries=False) as reader:
            for entry in reader.manifest.attachments:
                reader.read_attachment(entry.name)
    except SnapshotError as e:
        assert e.code and e.msg.zh and e.msg.en


@FUZZ
@given(st.lists(mutation, min_size=1, max_size=4))
def test_mutated_snapshot(original, tmp_path, mutations):
    path = tmp_path / "m.qbsnap"
    path.write_bytes(mutate(original.read_bytes(), mutations))
    open_fully(path)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from([b"", b"PK\x03\x04", b"PK\x05\x06"]))
def test_random_bytes(tmp_path, data, prefix):
    path = tmp_path / "r.qbsnap"
    path.write_bytes(prefix + data)
    with pytest.raises(SnapshotError):
        read_manifest(path)
    with pytest.raises(SnapshotError):
        SnapshotReader(path, PASS)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@FUZZ
@given(st.data())
def test_signed_manifest_with_odd_fields(original, tmp_path, data):
    """A correctly signed manifest whose fields are wrong: the shape checks, not the signature, must catch it."""
    path = original
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("qbsnap/manifest.json"))
    paths = [(k,) for k in manifest] + [(k, j) for k, v in manifest.items() if isinstance(v, dict) for j in v]
    paths += [("entries", i, j) for i in range(len(manifest["entries"])) for j in manifest["entries"][i]]
    target = data.draw(st.sampled_from(paths))
    node = manifest
    for key in target[:-1]:
        node = node[key]
    node[target[-1]] = data.draw(json_values)
    raw = canonical_json(manifest)
    bad = tmp_path / "s.qbsnap"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            replaced = {"qbsnap/manifest.json": raw, "qbsnap/manifest.sig": sshsig.sign(SIGNER, raw, sshsig.SNAPSHOT_NAMESPACE).encode()}
            zout.writestr(info, replaced.get(info.filename, zin.read(info)))
    open_fully(bad)
