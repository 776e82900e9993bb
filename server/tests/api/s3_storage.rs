//! The S3 backend against a real S3 server (SeaweedFS): streaming puts (one request, or
//! multipart), ranges, limits that leave nothing behind, deletes, presigned URLs.

use bytes::Bytes;
use futures_util::StreamExt;
use hearth::files::s3::{PART_SIZE, S3Storage};
use hearth::files::{ByteRange, ByteStream, FileError, Storage};

use crate::seaweed;

const MIB: usize = 1024 * 1024;

/// `data` as an upload arriving in 64 KiB chunks.
fn body(data: &Bytes) -> ByteStream {
    let chunks: Vec<_> = data.chunks(64 * 1024).map(|c| Ok(data.slice_ref(c))).collect();
    Box::pin(futures_util::stream::iter(chunks))
}

/// Bytes that differ everywhere, so that a misplaced part shows.
fn pattern(len: usize) -> Bytes {
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

async fn read_all(stream: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stream = stream;
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

async fn storage() -> (S3Storage, String) {
    let settings = seaweed::s3_settings();
    let prefix = settings.prefix.clone();
    (S3Storage::connect(&settings).await.unwrap(), prefix)
}

/// The objects and unfinished multipart uploads under a prefix.
async fn left_under(prefix: &str) -> (Vec<String>, Vec<String>) {
    let client = seaweed::client();
    let objects = client.list_objects_v2().bucket(seaweed::BUCKET).prefix(prefix).send().await.unwrap();
    let uploads = client.list_multipart_uploads().bucket(seaweed::BUCKET).prefix(prefix).send().await.unwrap();
    (
        objects.contents().iter().filter_map(|o| o.key().map(String::from)).collect(),
        uploads.uploads().iter().filter_map(|u| u.key().map(String::from)).collect(),
    )
}

#[tokio::test]
async fn small_files_are_stored_read_ranged_and_deleted() {
    let (s3, prefix) = storage().await;
    assert_eq!(s3.kind(), "s3");
    let data = Bytes::from_static(b"hello world");
    let stored = s3.put("app_1/abc_hello.txt", "text/plain", body(&data), 100).await.unwrap();
    assert_eq!(stored.size, 11);
    assert_eq!(left_under(&prefix).await.0, [format!("{prefix}app_1/abc_hello.txt")], "stored under the prefix");

    assert_eq!(read_all(s3.get("app_1/abc_hello.txt", None).await.unwrap().unwrap()).await, b"hello world");
    let part = s3.get("app_1/abc_hello.txt", Some(ByteRange { start: 6, end: 9 })).await.unwrap().unwrap();
    assert_eq!(read_all(part).await, b"worl");
    let last = s3.get("app_1/abc_hello.txt", Some(ByteRange { start: 10, end: 10 })).await.unwrap().unwrap();
    assert_eq!(read_all(last).await, b"d");

    let head = seaweed::client().head_object().bucket(seaweed::BUCKET).key(format!("{prefix}app_1/abc_hello.txt")).send().await.unwrap();
    assert_eq!(head.content_type(), Some("text/plain"));

    assert!(s3.get("app_1/missing", None).await.unwrap().is_none());
    assert!(s3.get("app_1/missing", Some(ByteRange { start: 0, end: 1 })).await.unwrap().is_none());

    assert!(s3.delete("app_1/abc_hello.txt").await.unwrap());
    assert!(!s3.delete("app_1/abc_hello.txt").await.unwrap());
    assert!(s3.get("app_1/abc_hello.txt", None).await.unwrap().is_none());
    assert_eq!(left_under(&prefix).await, (vec![], vec![]));
}

#[tokio::test]
async fn large_files_go_in_parts_and_read_back_exactly() {
    let (s3, prefix) = storage().await;
    let data = pattern(20 * MIB + 123);
    let stored = s3.put("app_1/abc_big.bin", "application/octet-stream", body(&data), 21 * MIB as u64).await.unwrap();
    assert_eq!(stored.size, data.len() as u64);

    let head = seaweed::client().head_object().bucket(seaweed::BUCKET).key(format!("{prefix}app_1/abc_big.bin")).send().await.unwrap();
    assert_eq!(head.content_length(), Some(data.len() as i64));
    assert!(head.e_tag().is_some_and(|t| t.trim_matches('"').ends_with("-3")), "three parts: {:?}", head.e_tag());
    assert_eq!(head.content_type(), Some("application/octet-stream"));

    let back = read_all(s3.get("app_1/abc_big.bin", None).await.unwrap().unwrap()).await;
    assert!(back == data, "the file reads back byte for byte ({} of {} bytes)", back.len(), data.len());

    // A range across the boundary of the first two parts, and the very end.
    let (start, end) = (PART_SIZE - 10, PART_SIZE + 9);
    let across =
        read_all(s3.get("app_1/abc_big.bin", Some(ByteRange { start: start as u64, end: end as u64 })).await.unwrap().unwrap()).await;
    assert_eq!(across, data[start..=end]);
    let end = data.len() - 1;
    let tail =
        read_all(s3.get("app_1/abc_big.bin", Some(ByteRange { start: end as u64 - 99, end: end as u64 })).await.unwrap().unwrap()).await;
    assert_eq!(tail, data[end - 99..]);

    assert!(s3.delete("app_1/abc_big.bin").await.unwrap());
    assert_eq!(left_under(&prefix).await, (vec![], vec![]));
}

#[tokio::test]
async fn exactly_one_part_is_one_request() {
    let (s3, prefix) = storage().await;
    let data = pattern(PART_SIZE);
    assert_eq!(
        s3.put("app_1/abc_part.bin", "application/octet-stream", body(&data), PART_SIZE as u64).await.unwrap().size,
        PART_SIZE as u64
    );
    let head = seaweed::client().head_object().bucket(seaweed::BUCKET).key(format!("{prefix}app_1/abc_part.bin")).send().await.unwrap();
    assert!(head.e_tag().is_some_and(|t| !t.contains('-')), "a plain PutObject: {:?}", head.e_tag());
    assert!(read_all(s3.get("app_1/abc_part.bin", None).await.unwrap().unwrap()).await == data);
}

#[tokio::test]
async fn too_large_or_broken_uploads_leave_nothing() {
    let (s3, prefix) = storage().await;
    // Within the first part: nothing was sent.
    let small = Bytes::from_static(b"123456");
    assert!(matches!(s3.put("app_1/abc_small", "text/plain", body(&small), 5).await, Err(FileError::TooLarge(5))));
    // Beyond the first part: a multipart upload had begun, and is aborted.
    let big = pattern(20 * MIB);
    let max = 10 * MIB as u64;
    assert!(matches!(s3.put("app_1/abc_big", "application/octet-stream", body(&big), max).await, Err(FileError::TooLarge(m)) if m == max));
    // The upload breaks off after more than a part.
    let head = big.slice(..9 * MIB);
    let broken: ByteStream = Box::pin(
        futures_util::stream::iter(head.chunks(64 * 1024).map(|c| Ok(head.slice_ref(c))).collect::<Vec<_>>())
            .chain(futures_util::stream::once(async { Err(std::io::Error::other("connection reset")) })),
    );
    assert!(matches!(s3.put("app_1/abc_broken", "application/octet-stream", broken, 100 * MIB as u64).await, Err(FileError::Save(_))));

    assert_eq!(left_under(&prefix).await, (vec![], vec![]), "no object and no unfinished upload");
    for key in ["app_1/abc_small", "app_1/abc_big", "app_1/abc_broken"] {
        assert!(s3.get(key, None).await.unwrap().is_none(), "{key}");
    }
}

#[tokio::test]
async fn presigned_urls_serve_the_file() {
    let (s3, _) = storage().await;
    let data = Bytes::from_static(b"%PDF-1.7 not really");
    s3.put("app_1/abc_doc.pdf", "application/pdf", body(&data), 1000).await.unwrap();
    let url = s3.presigned_get("app_1/abc_doc.pdf", 60).await.unwrap().expect("S3 has presigned URLs");
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.bytes().await.unwrap(), data);

    // A tampered URL is refused.
    let tampered = url.replace("abc_doc.pdf", "abc_doc.pdX");
    assert_eq!(reqwest::get(&tampered).await.unwrap().status(), 403);
}
