//! A test certificate authority: the CA and one certificate it signed for `localhost`,
//! `127.0.0.1` and the sites `live.test`, `shop.test` and `evil.test`, as PEM files, for the TLS a production deployment speaks (the reverse proxy,
//! Redis). Clients are told to trust the CA (`redis_ca_file`, `--ca-file`, `SSL_CERT_FILE`);
//! Chromium is told the certificate's key ([`TestCa::spki_sha256`]).

use std::path::PathBuf;

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, PublicKeyData};
use sha2::{Digest, Sha256};

use crate::temp::TempDir;

pub struct TestCa {
    /// The CA's certificate (PEM): what clients trust.
    pub ca: PathBuf,
    /// The server's certificate (PEM), signed by the CA.
    pub cert: PathBuf,
    /// The server's private key (PEM).
    pub key: PathBuf,
    /// The server's public key as Chromium's `--ignore-certificate-errors-spki-list` takes it:
    /// base64 of the SHA-256 of its SubjectPublicKeyInfo.
    pub spki_sha256: String,
    _dir: TempDir,
}

impl TestCa {
    pub fn new() -> anyhow::Result<Self> {
        let dir = TempDir::new("test-ca")?;
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "ivs e2e test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let key = KeyPair::generate()?;
        // Loopback by name and address, and the `.test` names tests map to loopback in Chromium
        // (`--host-resolver-rules`) to play several sites on one machine.
        let names = ["localhost", "127.0.0.1", "live.test", "shop.test", "evil.test"];
        let mut params = CertificateParams::new(names.map(str::to_owned).to_vec())?;
        params.distinguished_name.push(DnType::CommonName, "localhost");
        let cert = params.signed_by(&key, &issuer)?;
        let spki_sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(key.subject_public_key_info()));

        let (ca, cert_file, key_file) = (dir.0.join("ca.pem"), dir.0.join("server.pem"), dir.0.join("server.key"));
        std::fs::write(&ca, ca_cert.pem())?;
        // The chain a server presents: its own certificate, then the CA's.
        std::fs::write(&cert_file, cert.pem() + &ca_cert.pem())?;
        std::fs::write(&key_file, key.serialize_pem())?;
        Ok(Self { ca, cert: cert_file, key: key_file, spki_sha256, _dir: dir })
    }
}
