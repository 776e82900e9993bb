//! Files on local disk, under `<data dir>/files/<app schema>/<stored name>`: the embedded
//! default. An upload is written to a temporary file beside its final place and renamed when
//! complete, so a reader never sees half a file and a failed upload leaves nothing.

use std::io::SeekFrom;
use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{ByteRange, ByteStream, FileError, Storage, Stored};

/// How much a download reads at a time.
const CHUNK: usize = 64 * 1024;

pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    pub fn new(root: impl Into<PathBuf>) -> LocalDisk {
        LocalDisk { root: root.into() }
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
            let temp = dir.join(format!(".upload-{}", crate::apps::keys::random_key(16)));
            let written = async {
                let mut file = tokio::fs::File::create(&temp).await.map_err(|e| FileError::Save(e.to_string()))?;
                let mut size: u64 = 0;
                while let Some(chunk) = body.next().await {
                    let chunk = chunk.map_err(|e| FileError::Save(format!("the upload broke off: {e}")))?;
                    size += chunk.len() as u64;
                    if size > max {
                        return Err(FileError::TooLarge(max));
                    }
                    file.write_all(&chunk).await.map_err(|e| FileError::Save(e.to_string()))?;
                }
                file.sync_all().await.map_err(|e| FileError::Save(e.to_string()))?;
                Ok(size)
            }
            .await;
            match written {
                Ok(size) => match tokio::fs::rename(&temp, &path).await {
                    Ok(()) => Ok(Stored { size }),
                    Err(e) => {
                        let _ = tokio::fs::remove_file(&temp).await;
                        Err(FileError::Save(e.to_string()))
                    }
                },
                Err(e) => {
                    let _ = tokio::fs::remove_file(&temp).await;
                    Err(e)
                }
            }
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
        for key in ["../x", "app_1/../x", "app_1/.x", "a/b/c", "app_1/"] {
            assert!(disk.put(key, "x", body(&[b"1"]), 5).await.is_err(), "{key}");
        }
    }
}
