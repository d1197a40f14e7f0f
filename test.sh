#!/usr/bin/env bash
# The test command (README): installs what the tests need when it is missing, builds the solution and runs
# DryWet.Tests under a dotnet host that can load TorchSharp on this machine (eng/torchsharp-compat.sh; the plain
# dotnet where libstdc++ is new enough). Extra arguments go to the xUnit v3 runner, e.g.
#   ./test.sh -namespace DryWet.Tests.Serving        ./test.sh -class DryWet.Tests.Model.OnnxExportTests
set -euo pipefail
cd "$(dirname "$0")"

configuration="${CONFIGURATION:-Release}"

# Everything the tests need, installed when missing (idempotent; a fresh Debian 12 machine needs root or sudo once):
#   - patchelf:    the TorchSharp compat host (eng/torchsharp-compat.sh)
#   - shellcheck:  lints every shell script (a test)
#   - chromium:    the browser the web page tests drive (Playwright with ExecutablePath=/usr/bin/chromium)
#   - prometheus:  promtool, which checks and unit-tests the drift alerts (platform/manifests/monitoring)
#   - libturbojpeg0: libjpeg-turbo with SIMD, which decodes JPEGs when present (JpegDecoderParityTests checks it gives
#                    SkiaSharp's pixels) and which the images bundle (platform/ci/check-images.sh)
#   - debootstrap, umoci, skopeo, docker-registry, jq, curl: the container image check (platform/ci/check-images.sh)
#   - s3rver (npm): the real S3 server the object-store tests run against
# kubectl (client only, for `kubectl kustomize`) comes with these machines: Debian 12 does not package it.
sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
apt_missing() { # package... -> prints those not installed
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$package"
  done
}
apt_install() { # [apt-get install options] -- package...
  local options=() missing
  while [[ "$1" != "--" ]]; do options+=("$1"); shift; done
  shift
  missing="$(apt_missing "$@")"
  [[ -z "$missing" ]] && return 0
  echo "test.sh: installing ${missing}(apt-get)" >&2
  # shellcheck disable=SC2086 # the package list is meant to split
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${options[@]}" $missing >/dev/null 2>&1 || {
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${options[@]}" $missing >/dev/null
  }
}
apt_install -- patchelf shellcheck chromium libturbojpeg0 debootstrap umoci skopeo docker-registry jq curl
apt_install --no-install-recommends -- prometheus
if [[ ! -d eng/s3rver/node_modules/s3rver ]]; then
  echo "test.sh: installing s3rver (npm ci --prefix eng/s3rver)" >&2
  npm ci --prefix eng/s3rver --no-audit --no-fund --loglevel=error >&2
fi

# Both images built with the .NET SDK's container support into a loopback registry, then inspected (no Docker here;
# debootstrap needs root). Part of the whole run; left out when arguments select some tests (./test.sh -class …).
if [[ $# -eq 0 ]]; then
  $sudo_cmd platform/ci/check-images.sh
fi

dotnet_host="$(eng/torchsharp-compat.sh)"
dotnet build DryWet.sln -c "$configuration" -nologo -clp:ErrorsOnly

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
"$dotnet_host" "DryWet.Tests/bin/$configuration/net10.0/linux-x64/DryWet.Tests.dll" -noColor "$@" | tee "$log" || status=$?

# Failures again at the end, where a log's tail shows them: each failing test's name and its message, up to its stack
# trace (other tests' output may be interleaved with it in the stream above).
if grep -q '\[FAIL\]$' "$log"; then
  echo "=== FAILED TESTS ==="
  awk '/\[FAIL\]$/ { show = 25; print; next }
       show > 0 && /^ +Stack Trace:/ { show = 0; next }
       show > 0 { print; show-- }' "$log"
fi

# One plain closing line: "N passed, N failed, N skipped" (from the runner's summary).
summary="$(grep -Eo 'Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+' "$log" | tail -n 1 || true)"
if [[ -n "$summary" ]]; then
  read -r total errors failed skipped <<<"$(sed -E 's/[^0-9]+/ /g' <<<"$summary")"
  echo "$((total - failed - skipped)) passed, $((failed + errors)) failed, $skipped skipped"
fi
exit "$status"
