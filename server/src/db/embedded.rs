//! The embedded default: a private PostgreSQL cluster under the data folder, started from the
//! system's PostgreSQL binaries.
//!
//! The cluster listens only on a Unix socket in a folder that only its owner can enter, and its
//! superuser `hearth` has a generated password kept in `<data_dir>/postgres.password` (mode 0600).
//! PostgreSQL refuses to run as root, so when Hearth runs as root the server binaries run as the
//! `postgres` system user, which then owns the cluster folder. That user must be able to enter
//! every folder on the way to the cluster; when it cannot enter the data folder (a clone in
//! root's home, a `mktemp -d` folder: both 0700), the cluster and its socket are kept under
//! `/var/lib/hearth/<name>/` instead, and `<data_dir>/postgres` is a symbolic link to it, which
//! records where the cluster is.
//!
//! Invariant: a cluster is stopped by the process that started it or, when other Hearth processes
//! still use it then, by the last of them. Each holds a shared lock on `<data_dir>/postgres.users`
//! while it uses the cluster, so a CLI command run while `hearth serve` is up leaves the cluster
//! running, and so does a server stopping while a newer one (a restart) already uses it; the
//! starter then leaves `<data_dir>/postgres.handed-over` for the last one. A cluster started by
//! hand is left running. Starts and stops hold `<data_dir>/postgres.lock`, so a start waits for a
//! stop in progress to end.

use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::config::Secret;

/// The superuser and database names inside the embedded cluster.
pub const USER: &str = "hearth";
pub const DATABASE: &str = "hearth";

/// Where clusters live whose data folder the `postgres` user cannot enter.
pub const RELOCATED_ROOT: &str = "/var/lib/hearth";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin.\n\
         Install them (Debian/Ubuntu: apt-get install postgresql), point Hearth at them with \
         HEARTH_POSTGRES_BIN_DIR, or use an existing server with HEARTH_DATABASE_URL=postgres://..."
    )]
    NoBinaries,
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "Hearth runs as root and PostgreSQL refuses to; it needs the `postgres` system user to run the \
         embedded cluster (Debian: apt-get install postgresql creates it), or set HEARTH_DATABASE_URL"
    )]
    NoPostgresUser,
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error(
        "PostgreSQL runs as the `postgres` user (Hearth runs as root), which cannot enter {blocked}: \
         allow it with `chmod o+x {blocked}`, or move the data folder where it can ({pgdata} holds the cluster)"
    )]
    Unreachable { blocked: PathBuf, pgdata: PathBuf },
    #[error(
        "PostgreSQL runs as the `postgres` user (Hearth runs as root), which cannot enter {blocked}, and the \
         cluster cannot be kept in /var/lib/hearth instead ({reason}): choose a data folder that user can enter \
         (--data-dir or HEARTH_DATA_DIR, e.g. /var/lib/hearth/data) or set HEARTH_DATABASE_URL"
    )]
    NoPlace { blocked: PathBuf, reason: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EmbeddedError + '_ {
    move |source| EmbeddedError::Io { path: path.to_path_buf(), source }
}

/// A running embedded cluster.
#[derive(Debug)]
pub struct Cluster {
    bin_dir: PathBuf,
    lock_path: PathBuf,
    /// `<data_dir>/postgres.users`, on which this process holds a shared lock.
    users: fs::File,
    /// `<data_dir>/postgres.handed-over`: present while the cluster's stop is left to the last
    /// process using it.
    handed_over: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    password: Secret,
    owner: Option<(u32, u32)>,
    started_here: bool,
}

impl Cluster {
    /// Initialises the cluster on first use, starts it unless it already runs, and returns it.
    /// Blocking: call from `spawn_blocking`.
    pub fn ensure_running(data_dir: &Path, bin_dir: Option<&Path>) -> Result<Cluster, EmbeddedError> {
        let bin_dir = find_binaries(bin_dir)?;
        fs::create_dir_all(data_dir).map_err(io(data_dir))?;
        let data_dir = data_dir.canonicalize().map_err(io(data_dir))?;
        let owner = if unsafe { libc::geteuid() } == 0 { Some(postgres_user()?) } else { None };

        // One process at a time initialises, starts or stops the cluster.
        let lock_path = data_dir.join("postgres.lock");
        let lock = flock(&lock_path)?;
        let users_path = data_dir.join("postgres.users");
        let users = fs::OpenOptions::new().create(true).truncate(false).write(true).open(&users_path).map_err(io(&users_path))?;
        // No process stops the cluster while this one holds the lock above.
        lock_file(&users, libc::LOCK_SH).map_err(io(&users_path))?;

        let (pgdata, socket_dir) = locate(&data_dir, owner)?;
        let password_path = data_dir.join("postgres.password");
        if !pgdata.join("PG_VERSION").exists() {
            init(&bin_dir, &pgdata, &password_path, owner)?;
        }
        let password = Secret::new(fs::read_to_string(&password_path).map_err(io(&password_path))?.trim().to_string());

        let mut cluster = Cluster {
            bin_dir,
            lock_path,
            users,
            handed_over: data_dir.join("postgres.handed-over"),
            pgdata,
            socket_dir: PathBuf::new(),
            port: 5432,
            password,
            owner,
            started_here: false,
        };
        // The running server says where its socket is (line 5 of postmaster.pid) and its port. A
        // server found running may end its shutdown (begun by a process that died) just after
        // the check: it is started again.
        let pid_file = cluster.pgdata.join("postmaster.pid");
        let pid_text = loop {
            if !cluster.is_running() {
                cluster.start(&socket_dir)?;
            }
            match fs::read_to_string(&pid_file) {
                Ok(text) => break text,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound && !cluster.started_here => continue,
                Err(err) => return Err(io(&pid_file)(err)),
            }
        };
        let lines: Vec<&str> = pid_text.lines().collect();
        cluster.port = lines.get(3).and_then(|p| p.trim().parse().ok()).unwrap_or(5432);
        cluster.socket_dir = PathBuf::from(lines.get(4).map_or("", |s| s.trim()));
        drop(lock);
        Ok(cluster)
    }

    /// Starts the server (the caller holds the lock).
    fn start(&mut self, socket_dir: &Path) -> Result<(), EmbeddedError> {
        fs::create_dir_all(socket_dir).map_err(io(socket_dir))?;
        fs::set_permissions(socket_dir, fs::Permissions::from_mode(0o700)).map_err(io(socket_dir))?;
        chown(socket_dir, self.owner)?;
        let memory = MemoryPlan::for_machine();
        let conf = format!(
            "# Written by Hearth at each start of the embedded cluster.\n\
             listen_addresses = ''\n\
             port = 5432\n\
             unix_socket_directories = '{}'\n\
             unix_socket_permissions = 0700\n\
             {}",
            socket_dir.display().to_string().replace('\'', "''"),
            memory.settings()
        );
        let conf_path = self.pgdata.join("hearth.conf");
        fs::write(&conf_path, conf).map_err(io(&conf_path))?;
        chown(&conf_path, self.owner)?;
        let log = self.pgdata.join("server.log");
        let mut start = self.command("pg_ctl");
        // Never above what the process may set (a limit it inherited: `ulimit -v`, systemd).
        let mut inherited = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes the struct it is given.
        let hard = if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut inherited) } == 0 { inherited.rlim_max } else { libc::RLIM_INFINITY };
        let limit = memory.address_space_limit().min(hard);
        // SAFETY: setrlimit is async-signal-safe; it runs in the child between fork and exec and
        // touches nothing else. The server it starts, and every backend, inherit the limit.
        unsafe {
            start.pre_exec(move || {
                let rlimit = libc::rlimit { rlim_cur: limit, rlim_max: limit };
                if libc::setrlimit(libc::RLIMIT_AS, &rlimit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = start
            .arg("-D")
            .arg(&self.pgdata)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "120", "-s", "start"])
            .output()
            .map_err(io(&self.bin_dir))?;
        if !out.status.success() {
            let tail = fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(8).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(EmbeddedError::Command {
                what: "starting the embedded PostgreSQL".into(),
                detail: format!("{}\n{}", output_text(&out), tail.join("\n")),
            });
        }
        self.started_here = true;
        let _ = fs::remove_file(&self.handed_over);
        tracing::info!(pgdata = %self.pgdata.display(), "started embedded PostgreSQL");
        Ok(())
    }

    /// Connection settings for a database of this cluster.
    pub fn pg_config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host_path(&self.socket_dir)
            .port(self.port)
            .user(USER)
            .password(self.password.expose())
            .dbname(dbname)
            .application_name("hearth");
        config
    }

    /// A `postgres://` URL for this cluster (socket path in the `host` parameter), for tools.
    pub fn url(&self, dbname: &str) -> String {
        format!("postgres://{USER}:{}@/{dbname}?host={}&port={}", self.password.expose(), self.socket_dir.display(), self.port)
    }

    /// Whether this process started the cluster.
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// Stops the cluster unless another Hearth process uses it, holding the lock so that a start
    /// waits for the end of the stop rather than find a server that refuses connections.
    /// Blocking.
    pub fn stop(&self) -> Result<(), EmbeddedError> {
        let _lock = flock(&self.lock_path)?;
        // Turning this process's shared lock into an exclusive one succeeds only when no other
        // process holds one.
        let last = lock_file(&self.users, libc::LOCK_EX | libc::LOCK_NB).is_ok();
        let ours = self.started_here || self.handed_over.exists();
        if !last && ours {
            fs::write(&self.handed_over, b"").map_err(io(&self.handed_over))?;
            tracing::info!(pgdata = %self.pgdata.display(), "other Hearth processes use the embedded PostgreSQL: the last of them stops it");
        }
        if !last || !ours || !self.is_running() {
            return Ok(());
        }
        let _ = fs::remove_file(&self.handed_over);
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-m", "fast", "-w", "-t", "60", "-s", "stop"])
            .output()
            .map_err(io(&self.bin_dir))?;
        if !out.status.success() {
            return Err(EmbeddedError::Command { what: "stopping the embedded PostgreSQL".into(), detail: output_text(&out) });
        }
        tracing::info!(pgdata = %self.pgdata.display(), "stopped embedded PostgreSQL");
        Ok(())
    }

    fn is_running(&self) -> bool {
        self.command("pg_ctl").arg("-D").arg(&self.pgdata).arg("status").output().is_ok_and(|o| o.status.success())
    }

    fn command(&self, program: &str) -> Command {
        command(&self.bin_dir, program, self.owner)
    }
}

/// How much memory the embedded cluster may use, from the machine's: shared buffers, memory per
/// sort or hash, and a ceiling on each process's address space, so that no query (however its
/// planner or executor behave) can take the machine: a backend past its ceiling gets
/// PostgreSQL's "out of memory" error and the others go on, instead of the kernel's OOM killer
/// restarting the cluster under every app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryPlan {
    pub machine: u64,
    pub shared_buffers: u64,
    pub work_mem: u64,
    pub maintenance_work_mem: u64,
    /// The most one backend may allocate beyond the shared buffers.
    pub backend: u64,
}

/// Connections the embedded cluster accepts.
const MAX_CONNECTIONS: u64 = 200;

impl MemoryPlan {
    pub fn for_machine() -> MemoryPlan {
        // SAFETY: sysconf has no preconditions.
        let (pages, page) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
        let machine = if pages > 0 && page > 0 { pages as u64 * page as u64 } else { 2 << 30 };
        MemoryPlan::for_memory(machine)
    }

    pub fn for_memory(machine: u64) -> MemoryPlan {
        const MIB: u64 = 1 << 20;
        let shared_buffers = (machine / 16).clamp(128 * MIB, 1024 * MIB);
        // A quarter of the machine for sorts and hashes, if every connection ran two at once.
        let work_mem = (machine / 4 / (MAX_CONNECTIONS * 2)).clamp(4 * MIB, 64 * MIB);
        let maintenance_work_mem = (machine / 16).clamp(64 * MIB, 512 * MIB);
        let backend = (machine / 8).clamp(512 * MIB, 4096 * MIB);
        // Whole MiB, as PostgreSQL shows them back.
        let [shared_buffers, work_mem, maintenance_work_mem, backend] =
            [shared_buffers, work_mem, maintenance_work_mem, backend].map(|b| b / MIB * MIB);
        MemoryPlan { machine, shared_buffers, work_mem, maintenance_work_mem, backend }
    }

    /// The lines of `hearth.conf` that set it.
    fn settings(&self) -> String {
        let kb = |bytes: u64| bytes / 1024;
        format!(
            "max_connections = {MAX_CONNECTIONS}\n\
             shared_buffers = '{}kB'\n\
             work_mem = '{}kB'\n\
             hash_mem_multiplier = 1.0\n\
             maintenance_work_mem = '{}kB'\n\
             temp_file_limit = '{}kB'\n\
             jit = off\n",
            kb(self.shared_buffers),
            kb(self.work_mem),
            kb(self.maintenance_work_mem),
            kb(4 << 30),
        )
    }

    /// The address-space ceiling of each of the cluster's processes: the shared buffers they all
    /// map, what one backend may allocate, and room for the server's code and libraries.
    pub fn address_space_limit(&self) -> u64 {
        self.shared_buffers + self.backend + (512 << 20)
    }
}

fn command(bin_dir: &Path, program: &str, owner: Option<(u32, u32)>) -> Command {
    let mut cmd = Command::new(bin_dir.join(program));
    // The server must not inherit a working directory it cannot enter, nor a locale it lacks.
    cmd.current_dir("/").env("LC_ALL", "C").env_remove("PGDATA");
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

fn init(bin_dir: &Path, pgdata: &Path, password_path: &Path, owner: Option<(u32, u32)>) -> Result<(), EmbeddedError> {
    // A leftover from an interrupted first start holds no data: start over.
    if pgdata.exists() {
        fs::remove_dir_all(pgdata).map_err(io(pgdata))?;
    }
    fs::create_dir_all(pgdata).map_err(io(pgdata))?;
    fs::set_permissions(pgdata, fs::Permissions::from_mode(0o700)).map_err(io(pgdata))?;
    chown(pgdata, owner)?;

    let password = crate::crypto::random_key(32);
    let mut file =
        fs::OpenOptions::new().create(true).truncate(true).write(true).mode(0o600).open(password_path).map_err(io(password_path))?;
    file.write_all(password.as_bytes()).map_err(io(password_path))?;
    // initdb reads the password from a file it can open as the server's user, outside the
    // folder it initialises (which must be empty).
    let pwfile = pgdata.with_extension("initdb.pw");
    fs::write(&pwfile, &password).map_err(io(&pwfile))?;
    chown(&pwfile, owner)?;

    tracing::info!(pgdata = %pgdata.display(), "initialising embedded PostgreSQL (first start)");
    let out = command(bin_dir, "initdb", owner)
        .arg("-D")
        .arg(pgdata)
        .args(["-U", USER, "-A", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-instructions"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .output();
    let _ = fs::remove_file(&pwfile);
    let out = out.map_err(io(bin_dir))?;
    if !out.status.success() {
        let _ = fs::remove_dir_all(pgdata);
        return Err(EmbeddedError::Command { what: "initdb".into(), detail: output_text(&out) });
    }
    let conf_path = pgdata.join("postgresql.conf");
    let mut conf = fs::OpenOptions::new().append(true).open(&conf_path).map_err(io(&conf_path))?;
    conf.write_all(b"\n# Hearth's settings for the embedded cluster.\ninclude_if_exists = 'hearth.conf'\n").map_err(io(&conf_path))?;
    Ok(())
}

/// Where the cluster's folder and its socket folder are: `<data_dir>/postgres` and
/// [`socket_dir_for`], or under [`RELOCATED_ROOT`] when the `postgres` user (`owner`, when Hearth
/// runs as root) cannot enter the data folder. A relocated cluster is found again through the
/// link `<data_dir>/postgres`.
fn locate(data_dir: &Path, owner: Option<(u32, u32)>) -> Result<(PathBuf, PathBuf), EmbeddedError> {
    let here = data_dir.join("postgres");
    if let Ok(target) = fs::read_link(&here) {
        let target = if target.is_absolute() { target } else { data_dir.join(target) };
        let home = target.parent().unwrap_or(Path::new("/"));
        return Ok((target.clone(), home.join("run")));
    }
    let Some(owner) = owner else { return Ok((here, socket_dir_for(data_dir))) };
    let Some(blocked) = blocked_folder(data_dir, owner) else { return Ok((here, socket_dir_for(data_dir))) };
    if here.join("PG_VERSION").exists() {
        // A cluster made here when the folder was reachable: moving it is the owner's call.
        return Err(EmbeddedError::Unreachable { blocked, pgdata: here });
    }
    let no_place = |reason: String| EmbeddedError::NoPlace { blocked: blocked.clone(), reason };
    let root = Path::new(RELOCATED_ROOT);
    let made_root = !root.exists();
    fs::create_dir_all(root).map_err(|e| no_place(e.to_string()))?;
    if made_root {
        fs::set_permissions(root, fs::Permissions::from_mode(0o755)).map_err(|e| no_place(e.to_string()))?;
    }
    // The data folder's name, for people looking in /var/lib/hearth, and a random part, so that a
    // new data folder at the same path never meets an old cluster whose password it lacks.
    let name: String = data_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect();
    let home = root.join(format!("{}-{}", name.trim_start_matches('.'), crate::crypto::random_key(8).to_lowercase()));
    fs::create_dir(&home).map_err(|e| no_place(format!("{}: {e}", home.display())))?;
    fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).map_err(io(&home))?;
    if blocked_folder(&home, owner).is_some() {
        let _ = fs::remove_dir(&home);
        return Err(no_place(format!("the postgres user cannot enter {}", home.display())));
    }
    let record = home.join("data-folder");
    fs::write(&record, format!("{}\n", data_dir.display())).map_err(io(&record))?;
    // A leftover of an interrupted first start holds no data.
    if here.exists() {
        fs::remove_dir_all(&here).map_err(io(&here))?;
    }
    let pgdata = home.join("postgres");
    std::os::unix::fs::symlink(&pgdata, &here).map_err(io(&here))?;
    tracing::info!(data_dir = %data_dir.display(), cluster = %pgdata.display(), "the postgres user cannot enter the data folder: keeping the embedded PostgreSQL under /var/lib/hearth");
    Ok((pgdata, home.join("run")))
}

/// The first folder on the way to `dir` (itself included) that `owner` cannot enter, if any.
fn blocked_folder(dir: &Path, owner: (u32, u32)) -> Option<PathBuf> {
    let can_enter = |folder: &Path| {
        let mut test = Command::new("test");
        test.arg("-x").arg(folder).current_dir("/").uid(owner.0).gid(owner.1);
        test.status().is_ok_and(|s| s.success())
    };
    if can_enter(dir) {
        return None;
    }
    let mut ancestors: Vec<&Path> = dir.ancestors().collect();
    ancestors.reverse();
    ancestors.into_iter().find(|folder| !can_enter(folder)).map(Path::to_path_buf).or_else(|| Some(dir.to_path_buf()))
}

/// The socket folder: `<data_dir>/run`, or a private folder under /tmp when that path would be
/// too long for a Unix socket address (107 bytes on Linux).
fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let dir = data_dir.join("run");
    if dir.as_os_str().len() + "/.s.PGSQL.5432".len() < 100 {
        return dir;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data_dir.as_os_str().as_encoded_bytes() {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    PathBuf::from(format!("/tmp/hearth-pg-{hash:016x}"))
}

pub fn find_binaries(configured: Option<&Path>) -> Result<PathBuf, EmbeddedError> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = configured {
        return if has_both(dir) { Ok(dir.to_path_buf()) } else { Err(EmbeddedError::NoBinaries) };
    }
    // On PATH (resolving links, so that pg_ctl finds the postgres binary beside the real file).
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if let Ok(real) = dir.join("initdb").canonicalize()
                && let Some(real_dir) = real.parent()
                && has_both(real_dir)
            {
                return Ok(real_dir.to_path_buf());
            }
        }
    }
    // Debian and Ubuntu keep them per major version.
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| has_both(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or(EmbeddedError::NoBinaries)
}

fn postgres_user() -> Result<(u32, u32), EmbeddedError> {
    let name = CString::new("postgres").expect("no NUL");
    // SAFETY: getpwnam returns a pointer into static storage or null; it is read at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return Err(EmbeddedError::NoPostgresUser);
    }
    // SAFETY: non-null, points to a valid passwd entry.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok((uid, gid))
}

fn chown(path: &Path, owner: Option<(u32, u32)>) -> Result<(), EmbeddedError> {
    match owner {
        Some((uid, gid)) => std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(io(path)),
        None => Ok(()),
    }
}

/// Takes the exclusive lock on `path` (waiting for it); released when the file is dropped.
fn flock(path: &Path) -> Result<fs::File, EmbeddedError> {
    let file = fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(io(path))?;
    lock_file(&file, libc::LOCK_EX).map_err(io(path))?;
    Ok(file)
}

/// `flock(2)` with `operation`; a lock is released when its file is closed.
fn lock_file(file: &fs::File, operation: i32) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open file descriptor.
    if unsafe { libc::flock(file.as_raw_fd(), operation) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn output_text(out: &Output) -> String {
    let mut text = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.trim().is_empty() {
        text.push('\n');
        text.push_str(stdout.trim());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_follows_the_machine_within_bounds() {
        const GIB: u64 = 1 << 30;
        let small = MemoryPlan::for_memory(2 * GIB);
        assert_eq!((small.shared_buffers, small.work_mem, small.backend), (128 << 20, 4 << 20, 512 << 20));
        let ours = MemoryPlan::for_memory(24 * GIB);
        assert_eq!(ours.shared_buffers, GIB);
        assert_eq!(ours.work_mem, 15 << 20);
        assert_eq!(ours.backend, 3 * GIB);
        let big = MemoryPlan::for_memory(512 * GIB);
        assert_eq!((big.shared_buffers, big.work_mem, big.backend), (GIB, 64 << 20, 4 * GIB));
        for plan in [ours, big] {
            // Every connection sorting twice at once stays within a quarter of the machine (on
            // a small one PostgreSQL's own 4 MiB default is the floor).
            assert!(MAX_CONNECTIONS * 2 * plan.work_mem <= plan.machine / 4, "{plan:?}");
        }
        for plan in [small, ours, big] {
            assert!(plan.address_space_limit() < plan.machine.max(4 * GIB), "{plan:?}");
        }
    }

    #[test]
    fn long_data_folders_get_a_short_socket_folder() {
        assert_eq!(socket_dir_for(Path::new("/srv/hearth")), PathBuf::from("/srv/hearth/run"));
        let long = PathBuf::from(format!("/srv/{}", "x".repeat(120)));
        let dir = socket_dir_for(&long);
        assert!(dir.to_str().unwrap().starts_with("/tmp/hearth-pg-"), "{dir:?}");
        assert_eq!(dir, socket_dir_for(&long), "stable for one data folder");
    }

    #[test]
    fn a_configured_folder_without_binaries_is_a_clear_error() {
        let err = find_binaries(Some(Path::new("/nonexistent"))).unwrap_err();
        assert!(err.to_string().contains("apt-get install postgresql"), "{err}");
        assert!(err.to_string().contains("HEARTH_DATABASE_URL"), "{err}");
    }
}
