#!/usr/bin/env bash
# Health → model info → prediction through the gateway (the original's scripts/test_client.py).
# Usage: platform/scripts/test_client.sh [--api-ip localhost] [--cacert FILE | --insecure] [--image-path test_image.jpg]
set -Eeuo pipefail

api_ip="localhost"
# The gateway serves HTTPS only: its certificate's CA (--cacert), or --insecure for setup.sh's self-signed one.
tls=()
image_path="test_image.jpg"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --api-ip) api_ip="${2:?--api-ip needs a value}"; shift 2 ;;
    --cacert) tls=(--cacert "${2:?--cacert needs a PEM file}"); shift 2 ;;
    --insecure) tls=(--insecure); shift ;;
    --image-path) image_path="${2:?--image-path needs a value}"; shift 2 ;;
    -h | --help) sed -n '2,3p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
command -v curl >/dev/null 2>&1 || { echo "curl is required" >&2; exit 2; }
[[ -f "$image_path" ]] || { echo "image '${image_path}' not found; pass --image-path <a .jpg of a road>" >&2; exit 2; }

base="https://${api_ip}/dry-wet-model"

# Prints a JSON field with jq when present, else with a tolerant sed (flat string/number/bool fields only).
field() {
  if command -v jq >/dev/null 2>&1; then
    jq -r --arg k "$2" '.[$k] // empty' <<<"$1"
  else
    sed -nE "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"?([^\",}]*)\"?.*/\1/p" <<<"$1"
  fi
}

echo "1. health: GET ${base}/"
health="$(curl "${tls[@]}" -fsS --max-time 10 "${base}/")" || { echo "health check failed; is the app deployed and the gateway reachable?" >&2; exit 1; }
echo "$health"
if [[ "$(field "$health" model_loaded)" != "true" ]]; then
  echo "no model is loaded; train one (pipeline submit --wait) and reload (platform/scripts/reload_model.sh)" >&2
  exit 1
fi

echo "2. model: GET ${base}/model/info"
info="$(curl "${tls[@]}" -fsS --max-time 10 "${base}/model/info")" || { echo "model info failed" >&2; exit 1; }
for key in model_name model_version model_stage model_description; do
  printf '   %-18s %s\n' "${key}:" "$(field "$info" "$key")"
done

echo "3. predict: POST ${base}/predict (${image_path})"
prediction="$(curl "${tls[@]}" -fsS --max-time 30 -F "file=@${image_path};type=image/jpeg" "${base}/predict")" || { echo "prediction failed" >&2; exit 1; }
echo "$prediction"
echo "prediction: $(field "$prediction" prediction)"
