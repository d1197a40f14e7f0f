# shellcheck shell=bash
# Shared by the platform scripts: logging, the current step (reported when something fails), version checks,
# waits with timeouts. Source after `set -euo pipefail`.

DRYWET_STEP="start"

log() { printf '%s [drywet] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
warn() { printf '%s [drywet] WARNING: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  printf '%s [drywet] ERROR (step: %s): %s\n' "$(date -u +%H:%M:%S)" "$DRYWET_STEP" "$*" >&2
  exit 1
}

step() {
  DRYWET_STEP="$1"
  log "== ${DRYWET_STEP}"
}

# On any failing command: name the step and the command, so a re-run can be aimed (setup.sh is idempotent).
on_error() {
  local rc=$? line="$1" command="$2"
  printf '%s [drywet] FAILED in step "%s" (line %s, exit %s): %s\n' "$(date -u +%H:%M:%S)" "$DRYWET_STEP" "$line" "$rc" "$command" >&2
  printf '%s [drywet] Fix the cause and re-run; completed steps are skipped or re-applied safely.\n' "$(date -u +%H:%M:%S)" >&2
  exit "$rc"
}
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR

require_cmd() {
  local cmd="$1" hint="$2"
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is not installed. $hint"
}

# version_ge <have> <want>: true when have >= want (dotted numbers, a leading v and any suffix ignored).
version_ge() {
  local have="${1#v}" want="${2#v}"
  have="${have%%[-+]*}"
  want="${want%%[-+]*}"
  [[ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1)" == "$want" ]]
}

# An immutable image tag: vMAJOR.MINOR.PATCH[-suffix]; "latest" and friends are refused.
valid_version() {
  [[ "$1" =~ ^v?[0-9]+\.[0-9]+\.[0-9]+([-.][0-9A-Za-z.]+)?$ ]]
}

# wait_rollout <namespace> <deployment> <timeout-seconds>
wait_rollout() {
  local ns="$1" name="$2" timeout="$3"
  log "waiting up to ${timeout}s for deployment/${name} in ${ns}"
  kubectl rollout status "deployment/${name}" -n "$ns" --timeout="${timeout}s" ||
    die "deployment/${name} in ${ns} did not become ready within ${timeout}s. Look at: kubectl get pods -n ${ns}; kubectl describe deployment/${name} -n ${ns}"
}
