"""Throw-away PKI for TLS tests: a CA, a server certificate for 127.0.0.1 and a client certificate."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key) -> str:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    path.chmod(0o600)
    return str(path)


def _write_cert(path: Path, cert) -> str:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def make_pki(directory: Path, name: str = "ca", ips: tuple[str, ...] = ("127.0.0.1",)) -> dict[str, str]:
    """CA, server certificate (for ``ips`` and localhost) and client certificate, as PEM files."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"netops-test-{name}")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))

    def leaf(cn: str, usage, san=None):
        key = _key()
        b = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
             .add_extension(x509.ExtendedKeyUsage(usage), critical=False))
        if san:
            b = b.add_extension(san, critical=False)
        return key, b.sign(ca_key, hashes.SHA256())

    # etcd's JSON gateway dials etcd's own gRPC port with the server certificate, so with
    # --client-cert-auth that certificate must allow client auth too (as in etcd's own docs).
    skey, scert = leaf("etcd", [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
                       x509.SubjectAlternativeName([*(x509.IPAddress(ipaddress.ip_address(i)) for i in ips),
                                                    x509.DNSName("localhost")]))
    ckey, ccert = leaf("calico", [ExtendedKeyUsageOID.CLIENT_AUTH])
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "ca": _write_cert(directory / f"{name}.pem", ca),
        "cert": _write_cert(directory / f"{name}-server.pem", scert),
        "key": _write_key(directory / f"{name}-server-key.pem", skey),
        "client_cert": _write_cert(directory / f"{name}-client.pem", ccert),
        "client_key": _write_key(directory / f"{name}-client-key.pem", ckey),
    }
