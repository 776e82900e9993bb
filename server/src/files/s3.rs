//! Files in S3-compatible storage (AWS S3, MinIO, SeaweedFS, R2...), under
//! `<prefix><app schema>/<stored name>` in one bucket.
//!
//! Uploads stream: a body of up to one part (8 MiB) is one `PutObject`; a larger one is a
//! multipart upload of 8 MiB parts, the next part read while the previous one is sent, so at
//! most about two parts are in memory. An upload over the limit or that fails is aborted
//! (`AbortMultipartUpload`), so nothing appears under the key; an upload whose future is dropped
//! (the client went away) is aborted in the background. Downloads hand the SDK's body on as it
//! arrives.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream as SdkStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::future::{BoxFuture, try_join};

use super::{ByteRange, ByteStream, FileError, Storage, Stored};
use crate::config::S3Settings;

/// The size of a multipart upload's parts, and the largest body sent as one `PutObject`.
/// S3 wants parts of at least 5 MiB (but the last) and at most 10,000 of them: 8 MiB parts
/// allow files of up to 78 GiB.
pub const PART_SIZE: usize = 8 * 1024 * 1024;

pub struct S3Storage {
    client: Client,
    bucket: String,
    prefix: String,
}

impl S3Storage {
    /// A client for the bucket of `settings`. Credentials come from the settings when they have
    /// them, or else from the usual AWS sources (environment, profile files, web identity, the
    /// instance or container role). Nothing is sent yet: see [`S3Storage::check`].
    pub async fn connect(settings: &S3Settings) -> Result<S3Storage, String> {
        if settings.bucket.is_empty() {
            return Err("an S3 bucket is required".into());
        }
        let region = Region::new(settings.region.clone());
        let builder = match (&settings.access_key_id, &settings.secret_access_key) {
            (Some(id), Some(secret)) => aws_sdk_s3::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(region)
                .credentials_provider(Credentials::new(id, secret, None, None, "hearth-settings")),
            (None, None) => {
                let shared = aws_config::defaults(BehaviorVersion::latest()).region(region).load().await;
                aws_sdk_s3::config::Builder::from(&shared)
            }
            _ => return Err("S3 storage needs both an access key id and a secret access key, or neither".into()),
        };
        let mut builder = builder
            .force_path_style(settings.force_path_style)
            // Checksums only where S3 requires them (as the SDK did until 2025): S3-compatible
            // servers differ in their support of the newer default ones. Payloads are still
            // signed (SigV4 hashes them), and sent over TLS to AWS.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = settings.endpoint.as_deref().filter(|e| !e.is_empty()) {
            if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
                return Err(format!("the S3 endpoint {endpoint:?} is not an http:// or https:// URL"));
            }
            builder = builder.endpoint_url(endpoint);
        }
        Ok(S3Storage { client: Client::from_conf(builder.build()), bucket: settings.bucket.clone(), prefix: settings.prefix.clone() })
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The object key of a file key: the prefix, then the key (checked by `split_key`).
    fn object_key(&self, key: &str) -> Result<String, FileError> {
        super::split_key(key)?;
        Ok(format!("{}{key}", self.prefix))
    }

    async fn put_object(&self, key: &str, content_type: &str, body: Bytes) -> Result<(), FileError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(SdkStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| FileError::Save(DisplayErrorContext(&e).to_string()))
    }

    /// Sends the parts of a started multipart upload: `buf` holds more than a part already.
    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        mut buf: BytesMut,
        body: &mut ByteStream,
        size: &mut u64,
        max: u64,
    ) -> Result<Vec<CompletedPart>, FileError> {
        let mut parts = Vec::new();
        let mut ended = false;
        let mut number = 0;
        loop {
            // The part keeps its buffer; what is read beyond it moves to a buffer of its own (a
            // chunk at most), so a part in flight never pins the next part's memory.
            let part = if buf.len() > PART_SIZE {
                let rest = BytesMut::from(&buf[PART_SIZE..]);
                buf.truncate(PART_SIZE);
                std::mem::replace(&mut buf, rest).freeze()
            } else {
                std::mem::take(&mut buf).freeze()
            };
            number += 1;
            let upload = self.upload_part(key, upload_id, number, part);
            if ended || buf.len() > PART_SIZE {
                // Nothing to read meanwhile: the rest is in hand already.
                parts.push(upload.await?);
                if buf.is_empty() {
                    return Ok(parts);
                }
                continue;
            }
            // The next part is read while this one is sent.
            let (part, now_ended) = try_join(upload, fill(body, &mut buf, size, max)).await?;
            parts.push(part);
            ended = now_ended;
        }
    }

    async fn upload_part(&self, key: &str, upload_id: &str, number: i32, part: Bytes) -> Result<CompletedPart, FileError> {
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(SdkStream::from(part))
            .send()
            .await
            .map_err(|e| FileError::Save(DisplayErrorContext(&e).to_string()))?;
        Ok(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag).build())
    }

    async fn complete(&self, key: &str, upload_id: &str, parts: Vec<CompletedPart>) -> Result<(), FileError> {
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| FileError::Save(DisplayErrorContext(&e).to_string()))
    }
}

/// Reads `body` into `buf` until it holds more than a part or the body ends (true). Counts the
/// bytes in `size`; more than `max` fail.
async fn fill(body: &mut ByteStream, buf: &mut BytesMut, size: &mut u64, max: u64) -> Result<bool, FileError> {
    // One allocation per part, sized for it (a part and one more chunk): grown by doubling, a
    // part's buffer would reach twice the part size.
    buf.reserve((PART_SIZE + (1 << 20)).saturating_sub(buf.len()));
    while buf.len() <= PART_SIZE {
        match body.next().await {
            None => return Ok(true),
            Some(Err(e)) => return Err(FileError::Save(format!("the upload broke off: {e}"))),
            Some(Ok(chunk)) => {
                *size += chunk.len() as u64;
                if *size > max {
                    return Err(FileError::TooLarge(max));
                }
                buf.extend_from_slice(&chunk);
            }
        }
    }
    Ok(false)
}

/// Aborts a multipart upload in the background if the upload future is dropped before it
/// finished (the client went away mid-upload); the failures that return abort it themselves.
struct AbortOnDrop {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
    armed: bool,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let abort = self.client.abort_multipart_upload().bucket(&self.bucket).key(&self.key).upload_id(&self.upload_id);
            runtime.spawn(async move {
                let _ = abort.send().await;
            });
        }
    }
}

/// Whether an SDK error is S3's "no such key" (by code, or a plain 404 as HEAD answers).
fn not_found<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    match e {
        SdkError::ServiceError(service) => {
            matches!(service.err().code(), Some("NoSuchKey" | "NotFound")) || service.raw().status().as_u16() == 404
        }
        _ => false,
    }
}

impl Storage for S3Storage {
    fn put<'a>(&'a self, key: &'a str, content_type: &'a str, mut body: ByteStream, max: u64) -> BoxFuture<'a, Result<Stored, FileError>> {
        Box::pin(async move {
            let key = self.object_key(key)?;
            let mut size = 0;
            let mut buf = BytesMut::new();
            if fill(&mut body, &mut buf, &mut size, max).await? {
                self.put_object(&key, content_type, buf.freeze()).await?;
                return Ok(Stored { size });
            }
            let started = self
                .client
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(&key)
                .content_type(content_type)
                .send()
                .await
                .map_err(|e| FileError::Save(DisplayErrorContext(&e).to_string()))?;
            let upload_id = started.upload_id.ok_or_else(|| FileError::Save("S3 gave no upload id".into()))?;
            let mut guard = AbortOnDrop {
                client: self.client.clone(),
                bucket: self.bucket.clone(),
                key: key.clone(),
                upload_id: upload_id.clone(),
                armed: true,
            };
            let done = match self.upload_parts(&key, &upload_id, buf, &mut body, &mut size, max).await {
                Ok(parts) => self.complete(&key, &upload_id, parts).await,
                Err(e) => Err(e),
            };
            guard.armed = false;
            match done {
                Ok(()) => Ok(Stored { size }),
                Err(e) => {
                    let _ = self.client.abort_multipart_upload().bucket(&self.bucket).key(&key).upload_id(&upload_id).send().await;
                    Err(e)
                }
            }
        })
    }

    fn get<'a>(&'a self, key: &'a str, range: Option<ByteRange>) -> BoxFuture<'a, Result<Option<ByteStream>, FileError>> {
        Box::pin(async move {
            let mut request = self.client.get_object().bucket(&self.bucket).key(self.object_key(key)?);
            if let Some(r) = range {
                request = request.range(format!("bytes={}-{}", r.start, r.end));
            }
            let out = match request.send().await {
                Ok(out) => out,
                Err(e) if not_found(&e) => return Ok(None),
                Err(e) => return Err(FileError::Read(DisplayErrorContext(&e).to_string())),
            };
            let stream = futures_util::stream::unfold(Some(out.body), |body| async move {
                let mut body = body?;
                match body.next().await? {
                    Ok(chunk) => Some((Ok(chunk), Some(body))),
                    Err(e) => Some((Err(std::io::Error::other(e)), None)),
                }
            });
            Ok(Some(Box::pin(stream) as ByteStream))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, FileError>> {
        Box::pin(async move {
            let key = self.object_key(key)?;
            // S3 answers a delete of a missing key with success: HEAD tells the two apart.
            match self.client.head_object().bucket(&self.bucket).key(&key).send().await {
                Ok(_) => {}
                Err(e) if not_found(&e) => return Ok(false),
                Err(e) => return Err(FileError::Delete(DisplayErrorContext(&e).to_string())),
            }
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| FileError::Delete(DisplayErrorContext(&e).to_string()))?;
            Ok(true)
        })
    }

    fn presigned_get<'a>(&'a self, key: &'a str, ttl: u64) -> BoxFuture<'a, Result<Option<String>, FileError>> {
        Box::pin(async move {
            let config = PresigningConfig::expires_in(Duration::from_secs(ttl)).map_err(|e| FileError::Read(e.to_string()))?;
            let request = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(self.object_key(key)?)
                .presigned(config)
                .await
                .map_err(|e| FileError::Read(DisplayErrorContext(&e).to_string()))?;
            Ok(Some(request.uri().to_string()))
        })
    }

    fn kind(&self) -> &'static str {
        "s3"
    }

    /// The bucket exists and the credentials reach it (`HeadBucket`).
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.client
                .head_bucket()
                .bucket(&self.bucket)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| format!("S3 bucket {}: {}", self.bucket, DisplayErrorContext(&e)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> S3Settings {
        S3Settings {
            bucket: "b".into(),
            prefix: "p/".into(),
            region: "us-east-1".into(),
            endpoint: Some("http://127.0.0.1:1".into()),
            force_path_style: true,
            access_key_id: Some("id".into()),
            secret_access_key: Some("secret".into()),
        }
    }

    #[tokio::test]
    async fn settings_are_checked_and_keys_prefixed() {
        let s3 = S3Storage::connect(&settings()).await.unwrap();
        assert_eq!(s3.kind(), "s3");
        assert_eq!(s3.object_key("app_1/x_a.txt").unwrap(), "p/app_1/x_a.txt");
        for key in ["../x", "app_1/../x", "app_1/.x", "a/b/c", "app_1/"] {
            assert!(s3.object_key(key).is_err(), "{key}");
        }
        let url = s3.presigned_get("app_1/x_a.txt", 60).await.unwrap().unwrap();
        assert!(url.starts_with("http://127.0.0.1:1/b/p/app_1/x_a.txt?") && url.contains("X-Amz-Signature="), "{url}");
        assert!(S3Storage::connect(&S3Settings { bucket: String::new(), ..settings() }).await.is_err());
        assert!(S3Storage::connect(&S3Settings { secret_access_key: None, ..settings() }).await.is_err());
        assert!(S3Storage::connect(&S3Settings { endpoint: Some("127.0.0.1:9000".into()), ..settings() }).await.is_err());
    }
}
