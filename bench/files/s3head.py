#!/usr/bin/env python3
"""Waits until an S3 bucket answers a signed HEAD (AWS Signature V4), for bench/files/run.sh.

    python3 s3head.py ENDPOINT BUCKET ACCESS_KEY SECRET_KEY [SECONDS]

Exits 0 once HEAD /<bucket> answers 200 (path style, region us-east-1), 1 after SECONDS (60).
"""
import datetime
import hashlib
import hmac
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

endpoint, bucket, key_id, secret = sys.argv[1:5]
deadline = time.monotonic() + (float(sys.argv[5]) if len(sys.argv) > 5 else 60)
region = "us-east-1"


def head():
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = urlsplit(endpoint).netloc
    payload = hashlib.sha256(b"").hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["HEAD", f"/{bucket}", "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, payload])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = hmac.new(f"AWS4{secret}".encode(), day.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"{endpoint}/{bucket}", method="HEAD", headers={
        "x-amz-content-sha256": payload,
        "x-amz-date": amz_date,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed}, Signature={signature}",
    })
    with urllib.request.urlopen(req, timeout=5) as res:
        return res.status


last = "no answer"
while True:
    try:
        if head() == 200:
            sys.exit(0)
    except urllib.error.HTTPError as e:
        last = f"HTTP {e.code}"
    except OSError as e:
        last = str(e)
    if time.monotonic() > deadline:
        print(f"bucket {bucket} at {endpoint} not ready: {last}", file=sys.stderr)
        sys.exit(1)
    time.sleep(0.25)
