#!/usr/bin/env bash
# Uploads a dataset zip into KFP's MinIO (default ml-data/dry-wet-data.zip), the object the training pipeline reads.
# It streams the file into a one-off mc pod (pinned image from config.yaml) that reads the keys from KFP's Secret,
# so nothing is installed on the host and no key appears on a command line.
# Usage: platform/scripts/upload_data.sh <dataset.zip> [--bucket ml-data] [--object dry-wet-data.zip]
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${here}/../lib/common.sh"
# shellcheck source=../lib/config.sh
source "${here}/../lib/config.sh"

file=""
bucket="ml-data"
object="dry-wet-data.zip"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bucket) bucket="${2:?--bucket needs a value}"; shift 2 ;;
    --object) object="${2:?--object needs a value}"; shift 2 ;;
    -h | --help) sed -n '2,5p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) file="$1"; shift ;;
  esac
done
[[ -n "$file" ]] || die "usage: $(basename "$0") <dataset.zip> [--bucket ml-data] [--object dry-wet-data.zip]"
[[ -f "$file" ]] || die "'${file}' is not a file; create one with: dotnet run --project DryWet.TrainingWorker -- sample-data --help"
[[ "$bucket" =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "bucket '${bucket}' is not a valid bucket name"
[[ "$object" != *..* && "$object" != /* ]] || die "object key '${object}' must be relative, without '..'"
require_cmd kubectl "Install kubectl: https://kubernetes.io/docs/tasks/tools/"

step "upload ${file} to ${bucket}/${object}"
image="$(config_get images.mc)"
endpoint="http://$(config_get minio.endpoint)"
pod="drywet-upload-$(date +%s)"
overrides="$(cat <<JSON
{"apiVersion":"v1","metadata":{"annotations":{"sidecar.istio.io/inject":"false"}},"spec":{"containers":[{
  "name":"${pod}","image":"${image}","stdin":true,"stdinOnce":true,
  "command":["sh","-ec","mc alias set drywet \"\$MINIO_URL\" \"\$MINIO_ACCESS_KEY\" \"\$MINIO_SECRET_KEY\" --api S3v4 >/dev/null && mc pipe \"drywet/\$TARGET\" && mc stat \"drywet/\$TARGET\""],
  "env":[
    {"name":"MC_CONFIG_DIR","value":"/tmp/.mc"},
    {"name":"MINIO_URL","value":"${endpoint}"},
    {"name":"TARGET","value":"${bucket}/${object}"},
    {"name":"MINIO_ACCESS_KEY","valueFrom":{"secretKeyRef":{"name":"mlpipeline-minio-artifact","key":"accesskey"}}},
    {"name":"MINIO_SECRET_KEY","valueFrom":{"secretKeyRef":{"name":"mlpipeline-minio-artifact","key":"secretkey"}}}]}]}}
JSON
)"
overrides="${overrides//$'\n'/}"
kubectl run "$pod" -n kubeflow --rm -i --restart=Never --quiet --image="$image" --overrides="$overrides" <"$file" ||
  die "upload failed; does bucket '${bucket}' exist (platform/setup.sh --only minio)?"
log "uploaded $(wc -c <"$file") bytes to ${bucket}/${object}"
