#!/bin/sh
# SeaweedFS for compose.yaml: one process (master, volume, filer, S3 on 8333) with the bucket
# `hearth` made at start, and S3 credentials from the compose secrets.
set -eu
AWS_ACCESS_KEY_ID=$(cat /run/secrets/s3_access_key_id)
AWS_SECRET_ACCESS_KEY=$(cat /run/secrets/s3_secret_access_key)
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
exec weed mini -dir=/data -ip=127.0.0.1 -ip.bind=0.0.0.0 -bucket=hearth -s3.port=8333 -master.telemetry=false -webdav=false -admin.ui=false
