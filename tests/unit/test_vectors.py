"""The committed test vectors (tests/vectors, TEST ONLY) still open with this code, and with stock tools.

Nothing here regenerates a vector: a failure means the code no longer reads a file it once wrote,
which is a format change (a new format version), not a reason for new vectors. The score-file
vector's own checks are in test_scorefile.py; this file checks the snapshot vector, that the two
share one coordinator, that a score file made from the snapshot vector passes the coordinator's
checks, and runs the commands tests/vectors/README.md and docs/formats.md give auditors.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pyrage
import pytest
from cryptography.hazmat.primitives.serialization import load_ssh_private_key

from qbdesk.domain.rubric import canonical_json, load_rubric_data
from qbdesk.formats import scorefile as sf
from qbdesk.formats import sshsig
from qbdesk.formats.keys import load_public_key
from qbdesk.formats.snapshot import (
    FORMAT_V1,
    IDENTITY_KDF_ROUNDS,
    META_FORMAT,
    SnapshotError,
    SnapshotReader,
    read_manifest,
    unwrap_identity,
)
from qbdesk.services.reviewer import open_snapshot
from qbdesk.services.reviewer.views import declaration_sha256
from qbdesk.services.score_checks import AppContext, check_scores

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
SNAP = VECTORS / "snapshot-vector.qbsnap"
EXPECTED = json.loads((VECTORS / "snapshot-expected.json").read_text(encoding="utf-8"))
SCORE_EXPECTED = json.loads((VECTORS / "score-expected.json").read_text(encoding="utf-8"))
PASSPHRASE = (VECTORS / "snapshot-TEST-ONLY.passphrase").read_text(encoding="utf-8").splitlines()[0]
COORDINATOR = load_public_key((VECTORS / "snapshot-coordinator-signing.pub").read_text(encoding="utf-8"))
RECEIVING_IDENTITY = (VECTORS / "score-coordinator.agekey").read_text(encoding="utf-8")
ATTACHMENT = EXPECTED["entries"][1]["name"]


def refusal(code: str, call, *args, **kwargs) -> SnapshotError:
    with pytest.raises(SnapshotError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value.msg.en
    return info.value


def stored_offset(path: Path, name: str) -> int:
    """Where the bytes of a STORED entry start in the file."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    with open(path, "rb") as f:
        f.seek(info.header_offset + 26)
        n, m = int.from_bytes(f.read(2), "little"), int.from_bytes(f.read(2), "little")
    return info.header_offset + 30 + n + m


def flipped(src: Path, dst: Path, offset: int) -> Path:
    data = bytearray(src.read_bytes())
    data[offset] ^= 0x01
    dst.write_bytes(bytes(data))
    return dst


# --- the snapshot vector, with this code ----------------------------------------------------------


def test_snapshot_vector_verifies_without_the_passphrase():
    m = read_manifest(SNAP, coordinator_key=COORDINATOR)
    assert m.digest == EXPECTED["digest"] == hashlib.sha256(m.raw).hexdigest()
    assert (m.snapshot_id, m.created_at, m.expert_id) == (EXPECTED["snapshot_id"], EXPECTED["created_at"], "E01")
    assert {"id": m.round_id, "name": m.round_name, "year": m.round_year} == EXPECTED["round"]
    assert m.coordinator_fingerprint == EXPECTED["coordinator_fingerprint"] == sshsig.fingerprint(COORDINATOR)
    assert m.identity_public_key == EXPECTED["identity_public_key"]
    assert m.identity_rounds == EXPECTED["identity_kdf_rounds"] == IDENTITY_KDF_ROUNDS
    assert [(e.name, e.kind) for e in m.entries] == [(e["name"], e["kind"]) for e in EXPECTED["entries"]]
    # the magic: a local file header whose name is qbsnap/identity.key; the format string inside
    head = SNAP.read_bytes()[:64]
    assert head[:4] == b"PK\x03\x04" and head[30:49] == b"qbsnap/identity.key"
    assert json.loads(m.raw)["format"] == FORMAT_V1  # the committed vector: an old file that must still read


def test_snapshot_and_score_vectors_share_one_coordinator():
    recipient = str(pyrage.x25519.Identity.from_str(RECEIVING_IDENTITY.strip().splitlines()[-1]).to_public())
    assert read_manifest(SNAP).receiving_recipient == recipient == SCORE_EXPECTED["receiving_recipient"]


@pytest.fixture(scope="module")
def opened():
    """The snapshot vector opened once with its passphrase (bcrypt at the real 64 rounds costs ~0.5 s)."""
    with SnapshotReader(SNAP, PASSPHRASE, coordinator_key=COORDINATOR) as reader:
        plain = {e.name: reader.read_attachment(e.name) for e in reader.manifest.attachments}
        return reader.manifest, reader.meta, plain


def test_snapshot_vector_opens_and_every_entry_decrypts_to_what_is_expected(opened):
    manifest, meta, plain = opened
    assert meta == EXPECTED["meta"] and meta["format"] == META_FORMAT
    meta_entry, attachment = EXPECTED["entries"]
    raw_meta = canonical_json(meta)  # what the writer encrypted: canonical JSON
    assert (len(raw_meta), hashlib.sha256(raw_meta).hexdigest()) == (meta_entry["plaintext_size"],
                                                                      meta_entry["plaintext_sha256"])
    assert list(plain) == [ATTACHMENT]
    committed = (VECTORS / attachment["plaintext_file"]).read_bytes()
    assert plain[ATTACHMENT] == committed and committed.startswith(b"%PDF-")
    assert hashlib.sha256(committed).hexdigest() == attachment["plaintext_sha256"]
    listed = meta["applications"][0]["attachments"][0]
    assert (listed["entry"], listed["size"], listed["sha256"]) == (ATTACHMENT, len(committed), attachment["plaintext_sha256"])
    # every rubric the snapshot carries still loads, and still has the hash it is filed under
    for h, content in meta["rubrics"].items():
        assert load_rubric_data(content, "vector").content_hash == h


def test_this_code_reproduces_the_manifest_bytes_and_the_signature():
    with zipfile.ZipFile(SNAP) as z:
        raw, sig = z.read("qbsnap/manifest.json"), z.read("qbsnap/manifest.sig")
    assert canonical_json(json.loads(raw)) == raw
    key = load_ssh_private_key((VECTORS / "snapshot-TEST-ONLY-coordinator-signing.key").read_bytes(), password=None)
    assert sshsig.public_key_blob(key.public_key()) == sshsig.public_key_blob(COORDINATOR)
    # Ed25519 and SSHSIG are deterministic: the committed key signs to the committed bytes
    assert sshsig.sign(key, raw, sshsig.SNAPSHOT_NAMESPACE).encode("ascii") == sig


def test_the_passphrase_as_typed_opens_it_and_a_wrong_one_does_not():
    clear = unwrap_identity(SNAP, PASSPHRASE.lower().replace("-", " ").replace("0", "o"))
    key = load_ssh_private_key(clear, password=None)
    assert sshsig.public_key_openssh(key.public_key()) == EXPECTED["identity_public_key"]
    refusal("wrong_passphrase", unwrap_identity, SNAP, "TESTV-ECT0R-KQ2MX-W9E")


def test_the_declaration_hash_in_the_docs_is_the_vectors():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    assert declaration_sha256(EXPECTED["meta"]["declaration"]) in docs
    assert EXPECTED["meta"]["applications"][0]["summary"] in docs  # the redaction example


def test_an_altered_copy_of_the_vector_is_refused(tmp_path):
    entry = refusal("tampered", read_manifest, flipped(SNAP, tmp_path / "a.qbsnap", stored_offset(SNAP, ATTACHMENT) + 100))
    assert entry.entry == ATTACHMENT
    # a changed manifest byte is caught by the zip's CRC first; with the CRC made right, by the signature
    refusal("tampered", read_manifest, flipped(SNAP, tmp_path / "m.qbsnap", stored_offset(SNAP, "qbsnap/manifest.json") + 10))
    with zipfile.ZipFile(SNAP) as zin, zipfile.ZipFile(tmp_path / "s.qbsnap", "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data.replace(b'"E01"', b'"E02"') if info.filename == "qbsnap/manifest.json" else data)
    refusal("bad_signature", read_manifest, tmp_path / "s.qbsnap")
    # signed by the key it names, but that is not the coordinator's key here
    other = load_public_key((VECTORS / "score-expert.pub").read_text(encoding="utf-8"))
    refusal("bad_signature", read_manifest, SNAP, coordinator_key=other)


def test_qbdesk_verify_reports_the_vector_intact():
    from qbdesk.services.verify import describe_file

    report = describe_file(SNAP)
    assert report.kind == "snapshot" and report.intact


def test_qbdesk_verify_with_keys_refuses_a_snapshot_another_coordinator_signed(tmp_path, capsys, monkeypatch):
    """On the office PC, a snapshot signed by any key but the office's own is not to be trusted."""
    import qbdesk.services.coordinator_keys as ck
    from qbdesk.cli.main import main
    from qbdesk.services.coordinator_keys import load_or_create_keys

    monkeypatch.delenv(ck.PASSPHRASE_ENV, raising=False)
    ours = tmp_path / "vector-keys"  # the vector's own coordinator, as a key folder
    ours.mkdir()
    (ours / ck.SIGNING_KEY_FILE).write_bytes((VECTORS / "snapshot-TEST-ONLY-coordinator-signing.key").read_bytes())
    (ours / ck.RECEIVING_KEY_FILE).write_text(RECEIVING_IDENTITY, encoding="utf-8")
    for f in ours.iterdir():
        f.chmod(0o600)
    assert main(["--lang", "en", "verify", str(SNAP), "--keys", str(ours)]) == 0
    out = capsys.readouterr().out
    assert "signed by this computer's coordinator key" in out and "=> intact" in out

    other = load_or_create_keys(tmp_path / "other-office", passphrase="office pc passphrase 2026")
    assert main(["--lang", "en", "verify", str(SNAP), "--keys", str(other.directory)]) == 1
    out = capsys.readouterr().out
    assert "NOT intact" in out and other.fingerprint in out


# --- from the snapshot vector to a score file the coordinator accepts -----------------------------


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """The vector opened as an expert's workspace, every value filled in, declared, finalised."""
    from review_snapshot import complete

    root = tmp_path_factory.mktemp("vector-review")
    home = root / "home"
    with open_snapshot(SNAP, home, PASSPHRASE, kdf_rounds=1) as ws:
        assert ws.coordinator_fingerprint == EXPECTED["coordinator_fingerprint"]
        assert ws.snapshot_digest == EXPECTED["digest"]
        complete(ws)
        ws.declare(True)
        result = ws.finalize(root / "E01.qbscore")
        expert_key = ws.expert_public_key
    return root, home, result, expert_key


def test_a_score_file_made_from_the_vector_passes_the_coordinators_checks(reviewed):
    root, _, result, expert_key = reviewed
    score = sf.read_score_file(root / "E01.qbscore", receiving_identity=RECEIVING_IDENTITY)
    data, meta = score.data, EXPECTED["meta"]
    assert score.digest == result.digest and score.fingerprint == result.fingerprint
    assert data["expert_key"] == expert_key
    assert (data["snapshot_id"], data["snapshot_digest"], data["expert_id"]) == (
        EXPECTED["snapshot_id"], EXPECTED["digest"], EXPECTED["expert_id"])
    assert data["round"] == {"id": EXPECTED["round"]["id"], "year": EXPECTED["round"]["year"]}
    assert sf.check_binding(bytes.fromhex(meta["binding_secret"]), data["expert_key"], data["key_binding"])
    assert data["declaration"]["text_sha256"] == declaration_sha256(meta["declaration"])
    # what services/scores.py checks against the snapshot's codes and rubrics
    apps = {a["code"]: AppContext(n, f"APP-{n}", a["rubric"], load_rubric_data(meta["rubrics"][a["rubric"]], "vector"),
                                  tuple(i["id"] for i in a["items"]))
            for n, a in enumerate(meta["applications"], start=1)}
    checked = check_scores(data, apps)
    assert {row[0] for row in checked.scores} == {1, 2} and not checked.recusals


# --- stock tools ----------------------------------------------------------------------------------


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, timeout=60, **kwargs)
    assert done.returncode == 0, (args, done.stderr)
    return done


@pytest.mark.tools
def test_stock_tools_check_and_open_the_snapshot_vector(tmp_path, need_tool):
    """docs/formats.md, "Checking a snapshot with stock tools", with what CI installs (no unzip, no jq)."""
    age, keygen, sha256sum = need_tool("age"), need_tool("ssh-keygen"), need_tool("sha256sum")
    with zipfile.ZipFile(SNAP) as z:
        z.extractall(tmp_path)
    (tmp_path / "qbsnap/identity.key").chmod(0o600)  # unzip restores it; zipfile does not
    signers = tmp_path / "allowed_signers"
    pub = " ".join((VECTORS / "snapshot-coordinator-signing.pub").read_text().split()[:2])
    signers.write_text(f'coordinator namespaces="qbdesk-snapshot@1" {pub}\n')
    manifest = (tmp_path / "qbsnap/manifest.json").read_bytes()
    verify = [keygen, "-Y", "verify", "-f", str(signers), "-I", "coordinator", "-s", str(tmp_path / "qbsnap/manifest.sig")]
    good = run(verify + ["-n", "qbdesk-snapshot@1"], input=manifest)
    assert EXPECTED["coordinator_fingerprint"].encode() in good.stdout
    wrong_namespace = subprocess.run(verify + ["-n", "qbdesk-score@1"], input=manifest, capture_output=True, timeout=60)
    assert wrong_namespace.returncode != 0
    assert run([sha256sum, "qbsnap/manifest.json"], cwd=tmp_path).stdout.split()[0].decode() == EXPECTED["digest"]
    data = json.loads(manifest)
    listing = "".join(f"{e['sha256']}  {e['name']}\n" for e in data["entries"])
    listing += f"{data['identity']['sha256']}  {data['identity']['entry']}\n"
    run([sha256sum, "-c"], input=listing.encode(), cwd=tmp_path)

    public = run([keygen, "-y", "-f", str(tmp_path / "qbsnap/identity.key"), "-P", PASSPHRASE], text=True).stdout
    assert public.split()[:2] == EXPECTED["identity_public_key"].split()
    clear = tmp_path / "id"
    shutil.copy(tmp_path / "qbsnap/identity.key", clear)
    run([keygen, "-p", "-f", str(clear), "-P", PASSPHRASE, "-N", ""])
    pdf = run([age, "-d", "-i", str(clear), str(tmp_path / ATTACHMENT)]).stdout
    assert pdf == (VECTORS / "snapshot-0001.pdf").read_bytes()
    meta = run([age, "-d", "-i", str(clear), str(tmp_path / "qbsnap/meta.json.age")]).stdout
    assert hashlib.sha256(meta).hexdigest() == EXPECTED["entries"][0]["plaintext_sha256"]


@pytest.mark.tools
def test_stock_tools_read_the_workspace_and_the_score_file(reviewed, tmp_path, need_tool):
    """docs/formats.md: the expert key and the state file open with the passphrase and the snapshot
    identity; the score file with the receiving key; its signature verifies with ssh-keygen."""
    age, keygen = need_tool("age"), need_tool("ssh-keygen")
    root, home, result, expert_key = reviewed
    public = run([keygen, "-y", "-f", str(home / "expert.key"), "-P", PASSPHRASE], text=True).stdout
    assert public.split()[:2] == expert_key.split()[:2]
    record = json.loads((home / "workspace.json").read_text(encoding="utf-8"))
    assert record["format"] == "qbdesk.workspace/1" and record["expert_key"].split()[:2] == expert_key.split()[:2]
    clear = tmp_path / "id"
    clear.write_bytes(unwrap_identity(home / "snapshot.qbsnap", PASSPHRASE))
    clear.chmod(0o600)
    state = json.loads(run([age, "-d", "-i", str(clear), str(home / "state.age")]).stdout)
    assert state["format"] == "qbdesk.review-state/2" and state["snapshot_id"] == EXPECTED["snapshot_id"]
    journal = (home / "journal.age-log").read_bytes()  # length-prefixed age files; the last one is the export
    records = []
    while journal:
        n = int.from_bytes(journal[:4], "big")
        records.append(journal[4:4 + n])
        journal = journal[4 + n:]
    (tmp_path / "last.age").write_bytes(records[-1])
    last = json.loads(run([age, "-d", "-i", str(clear), str(tmp_path / "last.age")]).stdout)
    exports = dict((tuple(path), value) for path, value in last["put"])[("exports",)]
    assert exports[0]["digest"] == result.digest and last["epoch"] == state["store"]["epoch"]

    sf.export_for_audit(root / "E01.qbscore", receiving_identity=RECEIVING_IDENTITY, out_dir=tmp_path / "audit")
    with open(tmp_path / "audit/score.json", "rb") as payload:
        ok = subprocess.run([keygen, "-Y", "verify", "-f", "allowed_signers", "-I", "E01", "-n", "qbdesk-score@1",
                             "-s", "score.json.sig"], stdin=payload, cwd=tmp_path / "audit", capture_output=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    fingerprint = run([keygen, "-lf", "-"], input=(tmp_path / "audit/allowed_signers").read_bytes().split(b" ", 2)[2]).stdout
    assert result.fingerprint.encode() in fingerprint
    zipped = run([age, "-d", "-i", str(VECTORS / "score-coordinator.agekey"), str(root / "E01.qbscore")]).stdout
    (tmp_path / "E01.zip").write_bytes(zipped)
    with zipfile.ZipFile(tmp_path / "E01.zip") as z:
        assert z.namelist() == ["score.json", "score.json.sig"]
        assert hashlib.sha256(z.read("score.json")).hexdigest() == result.digest


def readme_blocks() -> list[str]:
    text = (VECTORS / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


@pytest.mark.tools
@pytest.mark.parametrize("block", range(2), ids=["score", "snapshot"])
def test_the_readme_commands_run_as_written(block, tmp_path):
    """Every shell block of tests/vectors/README.md, verbatim, from tests/vectors.

    They use unzip, jq and openssl as well, which CI does not install: skipped where one is missing.
    """
    blocks = readme_blocks()
    assert len(blocks) == 2
    for tool in ("bash", "age", "ssh-keygen", "unzip", "jq", "openssl", "sha256sum", "cmp"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # mktemp -d lands in pytest's folder
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", blocks[block]], cwd=VECTORS, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    if block == 0:
        score = sf.read_score_file(VECTORS / "score-vector.qbscore", receiving_identity=RECEIVING_IDENTITY)
        for shown in (SCORE_EXPECTED["digest"], SCORE_EXPECTED["fingerprint"]):
            assert shown in done.stdout
        assert done.stdout.count(score.data["key_binding"]) == 2  # claimed, and recomputed by openssl
        assert 'Good "qbdesk-score@1" signature for E01' in done.stdout + done.stderr
    else:
        for shown in (EXPECTED["digest"], EXPECTED["identity_public_key"].split()[1],
                      EXPECTED["entries"][0]["plaintext_sha256"], EXPECTED["meta"]["binding_secret"],
                      declaration_sha256(EXPECTED["meta"]["declaration"])):
            assert shown in done.stdout
        assert 'Good "qbdesk-snapshot@1" signature for coordinator' in done.stdout + done.stderr


@pytest.mark.tools
def test_the_package_digest_command_in_the_docs(tmp_path):
    """docs/formats.md, "An application package": the jq pipeline gives the digest check_package gives."""
    from qbdesk.formats.package import RoundRules, check_package

    for tool in ("bash", "jq", "sha256sum"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    docs = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    section = docs.split("### An application package", 1)[1]
    block = re.search(r"^```sh\n(.*?)^```", section, flags=re.S | re.M).group(1)
    package = tmp_path / "2026-P3-0007"
    package.mkdir()
    manifest = {"format": "qbdesk.application/1", "id": "2026-P3-0007", "program": "P3", "year": 2026,
                "applicant": {"name": "深圳市某某科技有限公司", "credit_code": "914403004JURQ283F0", "contact": "张三",
                              "phone": "0755-12345678", "address": "深圳市南山区科技园", "email": None},
                "title": "绿色产品认证", "requested_amount": 150000, "summary": "", "tier": None,
                "items": [{"id": "C1", "kind": "certificate", "title": "绿色产品认证（家具）", "reference": None,
                           "date": "2026-03-01"}],
                "attachments": [{"file": "申报书.pdf", "title": "申报书", "blind": False},
                                {"file": "附件/技术方案（脱敏）.pdf", "title": "技术方案", "blind": True}]}
    (package / "application.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    (package / "申报书.pdf").write_bytes(b"%PDF-1.4\nA\n")
    (package / "附件").mkdir()
    (package / "附件/技术方案（脱敏）.pdf").write_bytes(b"%PDF-1.4\nB\n")
    block = block.replace("/tmp/files.json", str(tmp_path / "files.json"))
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    result = check_package(package, RoundRules(year=2026))
    assert result.package is not None, result.problems
    assert done.stdout.split()[0] == result.package.digest


# --- qbdesk.snapshot/2 (snapshot2-*): the per-code binding ------------------------------------------


def test_snapshot2_vector_binds_each_code_to_its_application():
    from qbdesk.formats.snapshot_manifest import FORMAT, code_binding, content_hash

    expected = json.loads((VECTORS / "snapshot2-expected.json").read_text(encoding="utf-8"))
    path = VECTORS / "snapshot2-vector.qbsnap"
    m = read_manifest(path, coordinator_key=COORDINATOR)
    assert m.format == FORMAT == "qbdesk.snapshot/2" and m.digest == expected["digest"]
    with SnapshotReader(path, PASSPHRASE) as reader:  # the reader re-derives every content hash itself
        meta = reader.meta
    assert meta == expected["meta"]
    secret, key = bytes.fromhex(meta["binding_secret"]), bytes.fromhex(expected["code_key"])
    for app in meta["applications"]:
        bound, owner = m.applications[app["code"]], expected["owners"][app["code"]]
        assert bound.content == content_hash(secret, app) == expected["applications"][app["code"]]["content"]
        assert bound.binding == code_binding(key, app["code"], owner["application"], bound.content, owner["items"])
    assert [i["id"] for i in meta["applications"][0]["items"]] == ["I1"]  # snapshot-local, never the package's
    assert "2026-P3-0001" not in m.raw.decode()
