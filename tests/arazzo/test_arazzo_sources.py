"""Documents as untrusted input: remote documents and their relative sources, the host allow-list, no
local files from remote documents, --no-file-sources; and TLS with a CA bundle."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

import pytest

import arazzo
from arazzo import RunOptions, SourceError, SourcePolicy
from conftest import HEADER, cli_json, run_cli


def test_remote_document_with_relative_remote_sources(api, api_base: str) -> None:
    result = arazzo.run_sync(
        f"{api.url}/docs/basic.arazzo.yaml", inputs={"name": "remote"}, servers={"testApi": api_base}
    )
    assert result.status == "succeeded" and result.outputs["name"] == "remote"
    fetched = {e["path"] for e in api.state.log if e["path"].startswith("/docs/")}
    assert {"/docs/basic.arazzo.yaml", "/docs/testapi.openapi.yaml", "/docs/schemas.yaml"} <= fetched


def test_host_allow_list(api) -> None:
    with pytest.raises(SourceError, match="not in the allowed hosts"):
        arazzo.load(
            f"{api.url}/docs/basic.arazzo.yaml", policy=SourcePolicy(allowed_hosts=frozenset({"x.test"}))
        )
    assert arazzo.load(
        f"{api.url}/docs/basic.arazzo.yaml", policy=SourcePolicy(allowed_hosts=frozenset({"127.0.0.1"}))
    ).entry.workflows


def test_remote_document_cannot_read_local_files(api, tmp_path: Path, monkeypatch) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("openapi: 3.1.0\ninfo: {title: s, version: '1'}\npaths: {}\n")
    doc = Path(__file__).parent / "fixtures" / "evil.arazzo.yaml"
    doc.write_text(
        HEADER.replace("./testapi.openapi.yaml", secret.as_uri())
        + "workflows:\n  - workflowId: w\n    steps:\n      - {stepId: s, operationId: x}\n"
    )
    try:
        with pytest.raises(arazzo.DocumentError, match="remote document cannot reference the local file"):
            arazzo.load(f"{api.url}/docs/evil.arazzo.yaml")
    finally:
        doc.unlink()


def test_no_file_sources(write_doc) -> None:
    path = write_doc(
        HEADER + "workflows:\n  - workflowId: w\n    steps:\n      - {stepId: s, operationId: listItems}\n"
    )
    with pytest.raises(arazzo.DocumentError, match="local file sources are not allowed"):
        arazzo.load(path, policy=SourcePolicy(allow_files=False))
    proc = run_cli("run", str(path), "--no-file-sources")
    assert proc.returncode == 2 and "local file sources are not allowed" in proc.stderr


@pytest.fixture(scope="module")
def tls_api(tmp_path_factory):
    import arazzo_testapi
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "arazzo test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server, thread = arazzo_testapi.start(tls=context)
    yield server, cert_path
    server.shutdown()
    server.server_close()


def test_tls_with_a_ca_bundle(tls_api, write_doc) -> None:
    server, cert = tls_api
    path = write_doc(
        HEADER + "workflows:\n  - workflowId: w\n    steps:\n      - {stepId: s, operationId: listItems}\n"
    )
    servers = {"testApi": server.url + "/api"}
    trusted = arazzo.run_sync(
        path, servers=servers, options=RunOptions(http=arazzo.HttpOptions(verify=str(cert)))
    )
    assert trusted.status == "succeeded", trusted.error
    untrusted = arazzo.run_sync(path, servers=servers)
    assert untrusted.status == "failed" and "certificate" in untrusted.error.message.lower()
    code, report, stderr = cli_json(
        "run", str(path), "--server", f"testApi={server.url}/api", "--ca-bundle", str(cert)
    )
    assert code == 0, stderr
