#!/usr/bin/env bash
# The test command (README): installs what the tests need when it is missing, builds the solution and runs
# DryWet.Tests under a dotnet host that can load TorchSharp on this machine (eng/torchsharp-compat.sh; the plain
# dotnet where libstdc++ is new enough). Extra arguments go to the xUnit v3 runner, e.g.
#   ./test.sh -namespace DryWet.Tests.Serving        ./test.sh -class DryWet.Tests.Model.OnnxExportTests
set -euo pipefail
cd "$(dirname "$0")"

configuration="${CONFIGURATION:-Release}"

# Test prerequisites: shellcheck (lints every shell script), a real S3 server (s3rver, npm), kubectl (client only,
# for `kubectl kustomize`; preinstalled on the build machines).
if ! command -v shellcheck >/dev/null; then
  sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  echo "test.sh: installing shellcheck (apt-get)" >&2
  $sudo_cmd apt-get install -y -qq shellcheck >/dev/null || { $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq shellcheck >/dev/null; }
fi
if [[ ! -d eng/s3rver/node_modules/s3rver ]]; then
  echo "test.sh: installing s3rver (npm ci --prefix eng/s3rver)" >&2
  npm ci --prefix eng/s3rver --no-audit --no-fund --loglevel=error >&2
fi

dotnet_host="$(eng/torchsharp-compat.sh)"
dotnet build DryWet.sln -c "$configuration" -nologo -clp:ErrorsOnly

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
"$dotnet_host" "DryWet.Tests/bin/$configuration/net10.0/linux-x64/DryWet.Tests.dll" -noColor "$@" | tee "$log" || status=$?

# One plain closing line: "N passed, N failed, N skipped" (from the runner's summary).
summary="$(grep -Eo 'Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+' "$log" | tail -n 1 || true)"
if [[ -n "$summary" ]]; then
  read -r total errors failed skipped <<<"$(sed -E 's/[^0-9]+/ /g' <<<"$summary")"
  echo "$((total - failed - skipped)) passed, $((failed + errors)) failed, $skipped skipped"
fi
exit "$status"
