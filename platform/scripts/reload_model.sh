#!/usr/bin/env bash
# Asks the serving API to reload the model from the registry (the original's scripts/reload_model.py).
# Usage: platform/scripts/reload_model.sh [--api-ip localhost] [--cacert FILE | --insecure] [--admin-key KEY]
#   The admin key (serving's Serving:AdminApiKey) can also come from DRYWET_ADMIN_KEY; it is sent as a Bearer token.
set -Eeuo pipefail

api_ip="localhost"
# The gateway serves HTTPS only: its certificate's CA (--cacert), or --insecure for setup.sh's self-signed one.
tls=()
admin_key="${DRYWET_ADMIN_KEY:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --api-ip) api_ip="${2:?--api-ip needs a value}"; shift 2 ;;
    --cacert) tls=(--cacert "${2:?--cacert needs a PEM file}"); shift 2 ;;
    --insecure) tls=(--insecure); shift ;;
    --admin-key) admin_key="${2:?--admin-key needs a value}"; shift 2 ;;
    -h | --help) sed -n '2,4p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
command -v curl >/dev/null 2>&1 || { echo "curl is required" >&2; exit 2; }

url="https://${api_ip}/dry-wet-model/model/reload"
body="$(mktemp)"
header_file="$(mktemp)"
trap 'rm -f "$body" "$header_file"' EXIT
headers=()
if [[ -n "$admin_key" ]]; then
  # From a file (curl -H @file), so the key never shows in the process list.
  printf 'Authorization: Bearer %s\n' "$admin_key" >"$header_file"
  headers+=(-H "@${header_file}")
fi
echo "POST ${url}"
status="$(curl "${tls[@]}" -sS -o "$body" -w '%{http_code}' --max-time 120 -X POST "${headers[@]}" "$url")" || {
  echo "could not reach ${url}; is the gateway reachable (minikube tunnel) and the app deployed?" >&2
  exit 1
}
cat "$body"
echo
case "$status" in
  2??) echo "reloaded (HTTP ${status})" ;;
  401 | 403) echo "refused (HTTP ${status}): pass the admin key (Serving:AdminApiKey) with --admin-key or DRYWET_ADMIN_KEY" >&2; exit 1 ;;
  *) echo "reload failed (HTTP ${status}); the previous model keeps serving" >&2; exit 1 ;;
esac
