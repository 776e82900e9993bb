//! TLS to PostgreSQL, through rustls (the binary's one TLS stack), with libpq's `sslmode`s.
//!
//! tokio-postgres knows only `disable`, `prefer` and `require`, and rustls verifies every
//! certificate, where libpq's `require` only encrypts. So Hearth reads `sslmode` and
//! `sslrootcert` out of the connection string itself, hands tokio-postgres the rest, and builds
//! the certificate check each mode asks for:
//!
//! | sslmode | encrypted | certificate checked |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` (default) | when the server offers it | against the CA when one is given, else not |
//! | `require` | always | against the CA when one is given, else not |
//! | `verify-ca` | always | chain against the CA (required), any host name |
//! | `verify-full` | always | chain against the CA (else the system's roots), and the host name |
//!
//! The handshake's signature is checked in every mode (the server holds the key of the
//! certificate it shows), so an unverified connection is still encrypted end to end with
//! whoever answered.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::Socket;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// libpq tries without TLS first, then with it; tokio-postgres cannot retry that way, so
    /// Hearth takes it as `prefer` (TLS when the server offers it).
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => return Err(format!("sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full")),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn tokio_postgres(self) -> tokio_postgres::config::SslMode {
        match self {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => tokio_postgres::config::SslMode::Require,
        }
    }
}

/// Makes the TLS session of each new connection (pooled, LISTEN, cancel requests): cheap to
/// clone, one per connection string. Unused when the mode is `disable` (tokio-postgres then
/// never starts TLS).
#[derive(Clone)]
pub struct Connector(MakeRustlsConnect);

impl Connector {
    /// Encrypts without checking the server's certificate (the handshake's signature only):
    /// `require` and `prefer` without a CA, and the connections whose mode is `disable` (a Unix
    /// socket), where tokio-postgres never starts TLS. Never a fallback for a connection whose
    /// own connector is unknown.
    pub fn unverified() -> Connector {
        Connector::with(Arc::new(Lenient { provider: provider(), chain: None }))
    }

    fn with(verifier: Arc<dyn ServerCertVerifier>) -> Connector {
        let mut config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("the default provider supports the default protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        // PostgreSQL 17 checks it on direct TLS connections (`sslnegotiation=direct`); earlier
        // servers ignore it.
        config.alpn_protocols = vec![b"postgresql".to_vec()];
        Connector(MakeRustlsConnect::new(config))
    }
}

type Inner = MakeRustlsConnect;

impl MakeTlsConnect<Socket> for Connector {
    type Stream = <Inner as MakeTlsConnect<Socket>>::Stream;
    type TlsConnect = <Inner as MakeTlsConnect<Socket>>::TlsConnect;
    type Error = <Inner as MakeTlsConnect<Socket>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Self::TlsConnect, Self::Error> {
        <Inner as MakeTlsConnect<Socket>>::make_tls_connect(&mut self.0, domain)
    }
}

/// A connection string split into what tokio-postgres reads and what Hearth reads itself.
pub(super) struct Parsed {
    pub config: tokio_postgres::Config,
    pub mode: SslMode,
    pub tls: Connector,
    /// Whether the server's certificate is checked against a CA.
    pub verified: bool,
}

/// Where the trusted certificates come from.
enum Roots {
    /// A PEM file (`sslrootcert`, or the CA file setting).
    File(PathBuf),
    /// The system's store (`sslrootcert=system`).
    System,
}

/// Reads `sslmode` and `sslrootcert` from `url` (a `postgres://` URL or libpq's `key=value`
/// form), `ca_file` being the CA when the URL names none. Errors are start-up messages that name
/// the setting at fault and never quote the URL (it may hold a password).
pub(super) fn parse(url: &str, ca_file: Option<&Path>) -> Result<Parsed, String> {
    let (rest, params) = split(url)?;
    let mut config: tokio_postgres::Config = rest.parse().map_err(|e| hide_option(crate::telemetry::error_chain(&e)))?;
    let mut mode = None;
    let mut root = None;
    for (key, value) in params {
        match key.as_str() {
            "sslmode" => mode = Some(SslMode::parse(&value)?),
            "sslrootcert" => root = Some(value),
            other => {
                return Err(format!(
                    "`{other}` is not supported: of the TLS settings, Hearth reads sslmode and sslrootcert (no client certificates, no revocation lists)"
                ));
            }
        }
    }
    let roots = match root.as_deref() {
        Some("system") => Some(Roots::System),
        Some(path) => Some(Roots::File(PathBuf::from(path))),
        None => ca_file.map(|path| Roots::File(path.to_owned())),
    };
    let mode = match (mode, &roots) {
        // As in libpq: the system's roots are only worth anything with the host name checked.
        (None, Some(Roots::System)) => SslMode::VerifyFull,
        (Some(mode), Some(Roots::System)) if mode != SslMode::VerifyFull => {
            return Err(format!("sslmode `{}` cannot be used with sslrootcert=system (use verify-full)", mode.as_str()));
        }
        (mode, _) => mode.unwrap_or(SslMode::Prefer),
    };
    let mode = on_sockets(&config, mode)?;
    if mode == SslMode::VerifyCa && roots.is_none() {
        // As libpq: the system's CAs vouch for a name, so without the name checked any public
        // certificate (for any domain) would pass.
        return Err("sslmode=verify-ca needs a CA: sslrootcert=PATH in the URL or the database CA file (database_ca_file, HEARTH_DATABASE_CA_FILE), or use verify-full".into());
    }
    name_hostaddrs(&mut config, mode)?;
    config.ssl_mode(mode.tokio_postgres());
    let verified = mode != SslMode::Disable && (roots.is_some() || mode == SslMode::VerifyFull);
    let tls = connector(mode, roots, root.is_some())?;
    Ok(Parsed { config, mode, tls, verified })
}

/// As libpq, TLS is never asked for on a Unix socket, whatever the mode (PostgreSQL never offers
/// it there, so `require` and `verify-*` would always fail). tokio-postgres has one mode for all
/// the hosts of a list: a list mixing sockets and TCP hosts is refused under the modes that
/// insist on TLS (the sockets could never be used), and under `allow`/`prefer` the sockets are
/// used in clear, as the server answers that it has no TLS there.
fn on_sockets(config: &tokio_postgres::Config, mode: SslMode) -> Result<SslMode, String> {
    let sockets = config.get_hosts().iter().filter(|h| !matches!(h, tokio_postgres::config::Host::Tcp(_))).count();
    if sockets == 0 {
        return Ok(mode);
    }
    if sockets == config.get_hosts().len() {
        if mode != SslMode::Disable {
            tracing::info!(sslmode = mode.as_str(), "TLS is not used on Unix sockets: connecting without it, as libpq");
        }
        return Ok(SslMode::Disable);
    }
    if matches!(mode, SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull) {
        return Err(format!(
            "sslmode={} cannot be used with a host list mixing Unix sockets and TCP hosts (TLS is never used on a socket): use one URL per kind, or sslmode=prefer",
            mode.as_str()
        ));
    }
    Ok(mode)
}

/// A host given only by its address (`hostaddr=10.0.0.5`, no `host`): tokio-postgres would then
/// start TLS with no server name and fail. As libpq, the address stands for the name, checked
/// against the certificate's IP addresses; except under `verify-full`, which needs the name the
/// certificate is for.
fn name_hostaddrs(config: &mut tokio_postgres::Config, mode: SslMode) -> Result<(), String> {
    if !config.get_hosts().is_empty() || config.get_hostaddrs().is_empty() || mode == SslMode::Disable {
        return Ok(());
    }
    if mode == SslMode::VerifyFull {
        return Err(
            "sslmode=verify-full needs host= to check the server's name: hostaddr alone gives none (add host=NAME next to hostaddr)".into(),
        );
    }
    let addrs: Vec<String> = config.get_hostaddrs().iter().map(ToString::to_string).collect();
    for addr in addrs {
        config.host(&addr);
    }
    Ok(())
}

fn connector(mode: SslMode, roots: Option<Roots>, from_url: bool) -> Result<Connector, String> {
    if mode == SslMode::Disable {
        return Ok(Connector::unverified());
    }
    let roots = match roots {
        Some(Roots::File(path)) => Some(read_roots(&path, from_url)?),
        Some(Roots::System) => Some(system_roots()?),
        // verify-ca without a CA is refused by `parse`.
        None if mode == SslMode::VerifyFull => Some(system_roots()?),
        None => None,
    };
    let Some(roots) = roots else { return Ok(Connector::unverified()) };
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| format!("the CA certificates cannot be used: {e}"))?;
    Ok(match mode {
        SslMode::VerifyFull => Connector::with(webpki),
        // libpq's `require` (and `prefer`) with a root certificate acts as verify-ca.
        _ => Connector::with(Arc::new(Lenient { provider: provider(), chain: Some(webpki) })),
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The certificates of a PEM file: at least one, else it is the wrong file.
fn read_roots(path: &Path, from_url: bool) -> Result<RootCertStore, String> {
    let setting =
        if from_url { "sslrootcert in the database URL" } else { "the database CA file (database_ca_file, HEARTH_DATABASE_CA_FILE)" };
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {setting} {}: {e}", path.display()))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("{setting} {} is not valid PEM: {e}", path.display()))?;
        roots.add(cert).map_err(|e| format!("{setting} {} holds a certificate that cannot be used: {e}", path.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("{setting} {} holds no certificate", path.display()));
    }
    Ok(roots)
}

fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        return Err("no system CA certificate found to verify PostgreSQL's certificate: set the database CA file (database_ca_file, HEARTH_DATABASE_CA_FILE)".into());
    }
    Ok(roots)
}

/// Splits `sslmode`, `sslrootcert` and the client-certificate keys (which tokio-postgres refuses
/// or ignores) out of a connection string; the rest is given back as tokio-postgres reads it.
fn split(url: &str) -> Result<(String, Vec<(String, String)>), String> {
    let ours = |key: &str| key.starts_with("ssl") && !matches!(key, "sslnegotiation");
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // The parameters follow the first `?` after the credentials (a password may hold one).
        let from = url.find('@').map_or(0, |at| at + 1);
        let Some(question) = url[from..].find('?').map(|i| from + i) else { return Ok((url.to_owned(), Vec::new())) };
        let (mut kept, mut taken) = (Vec::new(), Vec::new());
        for pair in url[question + 1..].split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key)?;
            if ours(&key) {
                taken.push((key, decode(value)?));
            } else {
                kept.push(pair);
            }
        }
        let rest = if kept.is_empty() { url[..question].to_owned() } else { format!("{}?{}", &url[..question], kept.join("&")) };
        return Ok((rest, taken));
    }
    let (mut rest, mut taken) = (String::new(), Vec::new());
    for (key, value) in key_values(url)? {
        if ours(&key) {
            taken.push((key, value));
        } else {
            let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
            rest.push_str(&format!("{key}='{quoted}' "));
        }
    }
    Ok((rest, taken))
}

/// tokio-postgres names an unknown option; in the `key=value` form that "option" may be the end
/// of an unquoted password with a space (`password=my secret=x`): only its first two characters
/// are kept.
fn hide_option(message: String) -> String {
    let Some(start) = message.find("unknown option `").map(|i| i + "unknown option `".len()) else { return message };
    let Some(len) = message[start..].find('`') else { return message };
    let shown: String = message[start..start + len].chars().take(2).collect();
    format!("{}{shown}…{} (a value with spaces must be in single quotes)", &message[..start], &message[start + len..])
}

fn decode(text: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| "the database URL is not valid UTF-8 once decoded".to_owned())
}

/// libpq's `key = value ...` form, as tokio-postgres reads it: values bare or in single quotes,
/// a backslash escaping the next character.
fn key_values(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut chars = text.chars().peekable();
    let mut pairs = Vec::new();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        if key.is_empty() {
            return if chars.peek().is_none() { Ok(pairs) } else { Err("invalid connection string: a parameter has no name".into()) };
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            // The key is not quoted: it may be the end of an unquoted password with a space.
            return Err("invalid connection string: a parameter has no `=` (a value with spaces must be in single quotes)".into());
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let quoted = chars.next_if_eq(&'\'').is_some();
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('\'') if quoted => break,
                Some(c) if !quoted && c.is_whitespace() => break,
                Some('\\') => value.extend(chars.next()),
                Some(c) => value.push(c),
                None if quoted => return Err("invalid connection string: a quoted value has no closing quote".into()),
                None => break,
            }
        }
        pairs.push((key, value));
    }
}

/// The checks short of verify-full: a certificate chaining to `chain`'s roots whatever host name
/// it is for (`verify-ca`, and `require` or `prefer` with a CA: webpki checks the name after the
/// chain, so a name error means the chain was good), or, without `chain`, any certificate
/// (`require` and `prefer` without a CA, as libpq). The handshake's signature is checked either
/// way.
#[derive(Debug)]
struct Lenient {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. })) => {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_of(url: &str) -> Result<(SslMode, tokio_postgres::Config), String> {
        parse(url, None).map(|p| (p.mode, p.config))
    }

    #[test]
    fn url_form_keeps_other_parameters_and_takes_sslmode() {
        let (mode, config) =
            mode_of("postgres://u:p%3Fw@db.example:6543/hearth?application_name=a&sslmode=require&connect_timeout=3").unwrap();
        assert_eq!(mode, SslMode::Require);
        assert_eq!(config.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
        assert_eq!(config.get_application_name(), Some("a"));
        assert_eq!(config.get_connect_timeout(), Some(&std::time::Duration::from_secs(3)));
        assert_eq!(config.get_password(), Some(&b"p?w"[..]));
        assert_eq!(config.get_dbname(), Some("hearth"));
    }

    #[test]
    fn key_value_form_keeps_quoted_values() {
        let (mode, config) = mode_of("host=db.example  password='it\\'s' sslmode = disable dbname='a \\'b\\' c' user=u\\ v").unwrap();
        assert_eq!(mode, SslMode::Disable);
        assert_eq!(config.get_ssl_mode(), tokio_postgres::config::SslMode::Disable);
        assert_eq!(config.get_dbname(), Some("a 'b' c"));
        assert_eq!(config.get_password(), Some(&b"it's"[..]));
        assert_eq!(config.get_user(), Some("u v"));
    }

    #[test]
    fn default_is_prefer() {
        assert_eq!(mode_of("postgres://u@localhost/db").unwrap().0, SslMode::Prefer);
        assert_eq!(mode_of("host=localhost user=u").unwrap().0, SslMode::Prefer);
        assert_eq!(mode_of("postgres://u@localhost/db?sslmode=allow").unwrap().1.get_ssl_mode(), tokio_postgres::config::SslMode::Prefer);
        // Never on a Unix socket.
        assert_eq!(mode_of("postgres://u:p@/db?host=/run/postgresql&port=5433").unwrap().0, SslMode::Disable);
    }

    #[test]
    fn bad_values_are_named() {
        let err = mode_of("postgres://u:secret@localhost/db?sslmode=bogus").unwrap_err();
        assert!(err.contains("sslmode `bogus`"), "{err}");
        assert!(!err.contains("secret"), "{err}");
        let err = mode_of("postgres://u@localhost/db?sslcert=/x.pem").unwrap_err();
        assert!(err.contains("`sslcert` is not supported"), "{err}");
        assert!(mode_of("host=localhost sslnegotiation=direct sslmode=require").is_ok());
        let err = mode_of("postgres://u@localhost/db?sslmode=require&sslrootcert=system").unwrap_err();
        assert!(err.contains("sslrootcert=system"), "{err}");
    }

    #[test]
    fn ca_files_must_hold_a_certificate() {
        let err = mode_of("postgres://u@localhost/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem").unwrap_err();
        assert!(err.contains("cannot read sslrootcert in the database URL /nonexistent/ca.pem"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = parse("postgres://u@localhost/db?sslmode=verify-ca", Some(&empty)).err().unwrap();
        assert!(err.contains("HEARTH_DATABASE_CA_FILE") && err.contains("holds no certificate"), "{err}");
        // Not read when TLS is off.
        assert!(parse("postgres://u@localhost/db?sslmode=disable", Some(&empty)).is_ok());
    }

    /// A PEM file holding one self-signed CA certificate.
    fn ca_file(dir: &Path) -> PathBuf {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let path = dir.join("ca.pem");
        std::fs::write(&path, params.self_signed(&key).unwrap().pem()).unwrap();
        path
    }

    #[test]
    fn verify_ca_needs_a_ca_and_verify_full_may_use_the_systems() {
        let err = mode_of("postgres://u@db.example/db?sslmode=verify-ca").unwrap_err();
        assert!(err.contains("sslmode=verify-ca needs a CA") && err.contains("HEARTH_DATABASE_CA_FILE"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let ca = ca_file(dir.path());
        let parsed = parse("postgres://u@db.example/db?sslmode=verify-ca", Some(&ca)).unwrap();
        assert!(parsed.mode == SslMode::VerifyCa && parsed.verified);
        let url = format!("host=db.example sslmode=verify-ca sslrootcert='{}'", ca.display());
        assert!(parse(&url, None).unwrap().verified);
        // verify-full checks the name, so the system's CAs are enough (when this machine has any).
        match parse("postgres://u@db.example/db?sslmode=verify-full", None) {
            Ok(parsed) => assert!(parsed.verified),
            Err(err) => assert!(err.contains("no system CA certificate"), "{err}"),
        }
        // No CA is needed where TLS is not used.
        assert_eq!(mode_of("postgres://u@/db?host=/run/postgresql&sslmode=verify-ca").unwrap().0, SslMode::Disable);
    }

    #[test]
    fn hostaddr_alone_is_the_tls_name() {
        for mode in ["prefer", "require"] {
            let (_, config) = mode_of(&format!("postgres://u:p@/db?hostaddr=10.0.0.5&sslmode={mode}")).unwrap();
            assert_eq!(config.get_hosts(), [tokio_postgres::config::Host::Tcp("10.0.0.5".into())]);
            assert_eq!(config.get_hostaddrs(), ["10.0.0.5".parse::<std::net::IpAddr>().unwrap()]);
        }
        let (_, config) = mode_of("hostaddr=::1,10.0.0.6 user=u").unwrap();
        assert_eq!(config.get_hosts().len(), 2);
        assert_eq!(ServerName::try_from("::1").unwrap(), ServerName::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()));
        // A name given next to the address stays the name.
        let (_, config) = mode_of("postgres://u@db.example/db?hostaddr=10.0.0.5&sslmode=verify-full").unwrap();
        assert_eq!(config.get_hosts(), [tokio_postgres::config::Host::Tcp("db.example".into())]);
        let err = mode_of("postgres://u:p@/db?hostaddr=10.0.0.5&sslmode=verify-full").unwrap_err();
        assert!(err.contains("verify-full needs host="), "{err}");
    }

    #[test]
    fn unix_sockets_never_use_tls() {
        for mode in ["allow", "prefer", "require", "verify-full"] {
            let (got, config) = mode_of(&format!("postgres://u@/db?host=/run/postgresql&sslmode={mode}")).unwrap();
            assert_eq!(got, SslMode::Disable, "{mode}");
            assert_eq!(config.get_ssl_mode(), tokio_postgres::config::SslMode::Disable, "{mode}");
        }
        // A list mixing sockets and TCP hosts: used in clear on the sockets under prefer,
        // refused where TLS is insisted on.
        assert_eq!(mode_of("host=/run/postgresql,db.example user=u").unwrap().0, SslMode::Prefer);
        let err = mode_of("host=/run/postgresql,db.example user=u sslmode=require").unwrap_err();
        assert!(err.contains("mixing Unix sockets and TCP hosts"), "{err}");
    }

    #[test]
    fn password_fragments_are_not_quoted() {
        for url in ["password=my secret host=x", "host=x password=my secret=word", "host=x password=a 'secret"] {
            let err = mode_of(url).unwrap_err();
            assert!(!err.contains("secret") && !err.contains("word"), "{url}: {err}");
        }
        let err = mode_of("host=x password=a secret=word").unwrap_err();
        assert!(err.contains("unknown option `se…`"), "{err}");
    }
}
