//! Files on local disk, under `<data dir>/files/<app schema>/<stored name>`: the embedded
//! default. An upload is written to an unnamed file (`O_TMPFILE`) in its folder and linked
//! under its name when complete, so a reader never sees half a file, and an upload that fails,
//! is abandoned (its request dropped) or outlived by its process leaves nothing behind. Where
//! the file system has no unnamed files, a named `.upload-*` file is used instead, removed when
//! the upload fails or is dropped (only a crash can leave one).

use std::io::SeekFrom;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{ByteRange, ByteStream, FileError, Storage, Stored};

/// How much a download reads at a time.
const CHUNK: usize = 64 * 1024;

pub struct LocalDisk {
    root: PathBuf,
    /// Whether unnamed files can be made and linked here (checked once, at start).
    unnamed: bool,
}

impl LocalDisk {
    pub fn new(root: impl Into<PathBuf>) -> LocalDisk {
        let root = root.into();
        let unnamed = unnamed_files_work(&root);
        if !unnamed {
            tracing::info!(root = %root.display(), "the file system has no unnamed temporary files; uploads use named ones");
        }
        LocalDisk { root, unnamed }
    }

    /// The path of a key (checked by `split_key`).
    fn path(&self, key: &str) -> Result<PathBuf, FileError> {
        let (dir, name) = super::split_key(key)?;
        Ok(self.root.join(dir).join(name))
    }
}

impl Storage for LocalDisk {
    fn put<'a>(&'a self, key: &'a str, _content_type: &'a str, mut body: ByteStream, max: u64) -> BoxFuture<'a, Result<Stored, FileError>> {
        Box::pin(async move {
            let path = self.path(key)?;
            let dir = path.parent().expect("a key has a folder");
            tokio::fs::create_dir_all(dir).await.map_err(|e| FileError::Save(e.to_string()))?;
            // Dropped with this future (a failed or abandoned upload): an unnamed file goes
            // with its descriptor, a named one is removed by `Partial`'s drop.
            let mut partial = Partial::create(dir, self.unnamed).await.map_err(|e| FileError::Save(e.to_string()))?;
            let mut size: u64 = 0;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| FileError::Save(format!("the upload broke off: {e}")))?;
                size += chunk.len() as u64;
                if size > max {
                    return Err(FileError::TooLarge(max));
                }
                partial.file.write_all(&chunk).await.map_err(|e| FileError::Save(e.to_string()))?;
            }
            partial.file.sync_all().await.map_err(|e| FileError::Save(e.to_string()))?;
            partial.persist(&path).map_err(|e| FileError::Save(e.to_string()))?;
            Ok(Stored { size })
        })
    }

    fn get<'a>(&'a self, key: &'a str, range: Option<ByteRange>) -> BoxFuture<'a, Result<Option<ByteStream>, FileError>> {
        Box::pin(async move {
            let path = self.path(key)?;
            let mut file = match tokio::fs::File::open(&path).await {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(FileError::Read(e.to_string())),
            };
            let remaining = match range {
                Some(r) => {
                    file.seek(SeekFrom::Start(r.start)).await.map_err(|e| FileError::Read(e.to_string()))?;
                    r.len()
                }
                None => u64::MAX,
            };
            let stream = futures_util::stream::unfold((file, remaining), |(mut file, remaining)| async move {
                if remaining == 0 {
                    return None;
                }
                let want = remaining.min(CHUNK as u64) as usize;
                let mut buf = BytesMut::zeroed(want);
                match file.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok::<Bytes, std::io::Error>(buf.freeze()), (file, remaining - n as u64)))
                    }
                    Err(e) => Some((Err(e), (file, 0))),
                }
            });
            Ok(Some(Box::pin(stream) as ByteStream))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, FileError>> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(key)?).await {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(FileError::Delete(e.to_string())),
            }
        })
    }

    fn presigned_get<'a>(&'a self, _key: &'a str, _ttl: u64) -> BoxFuture<'a, Result<Option<String>, FileError>> {
        Box::pin(async { Ok(None) })
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}

/// A file being written.
struct Partial {
    file: tokio::fs::File,
    /// The name of a named temporary file; `None` for an unnamed one.
    named: Option<PathBuf>,
}

impl Partial {
    async fn create(dir: &Path, unnamed: bool) -> std::io::Result<Partial> {
        if unnamed {
            let file = std::fs::OpenOptions::new().write(true).custom_flags(libc::O_TMPFILE).mode(0o644).open(dir)?;
            return Ok(Partial { file: tokio::fs::File::from_std(file), named: None });
        }
        let temp = dir.join(format!(".upload-{}", crate::crypto::random_key(16)));
        let file = tokio::fs::File::create(&temp).await?;
        Ok(Partial { file, named: Some(temp) })
    }

    /// Gives the complete file its name.
    fn persist(mut self, path: &Path) -> std::io::Result<()> {
        match self.named.take() {
            Some(temp) => std::fs::rename(&temp, path).inspect_err(|_| {
                let _ = std::fs::remove_file(&temp);
            }),
            None => link(&self.file, path),
        }
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(temp) = &self.named {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Links an unnamed file under `path` (through `/proc/self/fd`, which needs no privilege).
fn link(file: &impl AsRawFd, path: &Path) -> std::io::Result<()> {
    let from = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).expect("no NUL");
    let to = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: both paths are NUL-terminated C strings that outlive the call.
    let done = unsafe { libc::linkat(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::AT_SYMLINK_FOLLOW) };
    if done == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

/// Whether an unnamed file can be made in `root` and linked under a name.
fn unnamed_files_work(root: &Path) -> bool {
    let probe = root.join(format!(".probe-{}", crate::crypto::random_key(16)));
    let works = std::fs::create_dir_all(root)
        .and_then(|()| std::fs::OpenOptions::new().write(true).custom_flags(libc::O_TMPFILE).mode(0o644).open(root))
        .and_then(|file| link(&file, &probe))
        .is_ok();
    let _ = std::fs::remove_file(&probe);
    works
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[&'static [u8]]) -> ByteStream {
        Box::pin(futures_util::stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>()))
    }

    async fn read_all(s: ByteStream) -> Vec<u8> {
        s.fold(Vec::new(), |mut acc, c| async move {
            acc.extend_from_slice(&c.unwrap());
            acc
        })
        .await
    }

    #[tokio::test]
    async fn writes_reads_ranges_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let disk = LocalDisk::new(dir.path());
        let stored = disk.put("app_1/x_a.txt", "text/plain", body(&[b"hello ", b"world"]), 100).await.unwrap();
        assert_eq!(stored.size, 11);
        assert_eq!(read_all(disk.get("app_1/x_a.txt", None).await.unwrap().unwrap()).await, b"hello world");
        let part = disk.get("app_1/x_a.txt", Some(ByteRange { start: 6, end: 9 })).await.unwrap().unwrap();
        assert_eq!(read_all(part).await, b"worl");
        assert!(disk.get("app_1/none", None).await.unwrap().is_none());
        assert!(disk.delete("app_1/x_a.txt").await.unwrap());
        assert!(!disk.delete("app_1/x_a.txt").await.unwrap());
    }

    #[tokio::test]
    async fn too_large_or_odd_keys_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let disk = LocalDisk::new(dir.path());
        assert!(matches!(disk.put("app_1/big", "x", body(&[b"12345", b"6"]), 5).await, Err(FileError::TooLarge(5))));
        assert_eq!(std::fs::read_dir(dir.path().join("app_1")).unwrap().count(), 0, "no temporary file is left");
        assert!(disk.unnamed, "this file system has unnamed files");
        for key in ["../x", "app_1/../x", "app_1/.x", "a/b/c", "app_1/"] {
            assert!(disk.put(key, "x", body(&[b"1"]), 5).await.is_err(), "{key}");
        }
    }

    #[tokio::test]
    async fn an_abandoned_upload_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for unnamed in [true, false] {
            let disk = LocalDisk { root: dir.path().to_path_buf(), unnamed };
            // A body that sends a piece, then never ends: the upload is dropped while it waits.
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let mut tx = Some(tx);
            let waiting = futures_util::stream::poll_fn(move |_| {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(());
                }
                std::task::Poll::<Option<Result<Bytes, std::io::Error>>>::Pending
            });
            let stalled: ByteStream = Box::pin(futures_util::stream::iter([Ok(Bytes::from_static(b"part"))]).chain(waiting));
            let upload = Box::pin(disk.put("app_1/x_stalled.bin", "x", stalled, 100));
            let futures_util::future::Either::Right((_, upload)) = futures_util::future::select(upload, rx).await else {
                panic!("the upload waits for more")
            };
            let during = std::fs::read_dir(dir.path().join("app_1")).unwrap().count();
            assert_eq!(during, usize::from(!unnamed), "a named temporary file is seen while writing (unnamed: {unnamed})");
            drop(upload);
            assert_eq!(std::fs::read_dir(dir.path().join("app_1")).unwrap().count(), 0, "nothing left (unnamed: {unnamed})");
        }
    }
}
