# shellcheck shell=bash
# Reads platform/config.yaml. Uses mikefarah yq v4 when it is installed; otherwise a small awk reader that
# understands what config.yaml uses: nested block maps, scalars (plain, 'single' or "double" quoted), comments,
# and [flow, lists]. DryWet.Tests/Platform checks both readers agree with a real YAML parser on every key.

DRYWET_CONFIG="${DRYWET_CONFIG:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/config.yaml}"

_config_has_yq() {
  [[ "${DRYWET_CONFIG_NO_YQ:-}" != "1" ]] && command -v yq >/dev/null 2>&1 && yq --version 2>/dev/null | grep -q 'mikefarah'
}

# Prints the raw value at a dotted path (a scalar, or a flow list as written), or nothing when absent.
_config_raw() {
  awk -v want="$1" '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    function strip_comment(s,   i, c, q) {
      q = ""
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (q == "" && (c == "\"" || c == "'\''")) { q = c; continue }
        if (q != "" && c == q) { q = ""; continue }
        if (q == "" && c == "#" && (i == 1 || substr(s, i - 1, 1) ~ /[ \t]/)) return substr(s, 1, i - 1)
      }
      return s
    }
    {
      line = strip_comment($0)
      if (line ~ /^[ \t]*$/) next
      match(line, /^ */); indent = RLENGTH
      body = trim(line)
      colon = index(body, ":")
      if (colon == 0) next
      key = trim(substr(body, 1, colon - 1))
      value = trim(substr(body, colon + 1))
      while (depth > 0 && indents[depth] >= indent) depth--
      depth++; indents[depth] = indent; keys[depth] = key
      path = keys[1]
      for (d = 2; d <= depth; d++) path = path "." keys[d]
      if (path == want && value != "") { print value; exit }
    }
  ' "$DRYWET_CONFIG"
}

_config_unquote() {
  local v="$1"
  if [[ "$v" =~ ^\"(.*)\"$ ]] || [[ "$v" =~ ^\'(.*)\'$ ]]; then
    v="${BASH_REMATCH[1]}"
  fi
  printf '%s\n' "$v"
}

# config_get <dotted.path> [default]: a scalar. Fails (non-zero) when absent and no default is given.
config_get() {
  local path="$1" value
  if _config_has_yq; then
    value="$(yq -r ".${path} // \"\"" "$DRYWET_CONFIG")"
  else
    value="$(_config_unquote "$(_config_raw "$path")")"
  fi
  if [[ -z "$value" ]]; then
    if [[ $# -ge 2 ]]; then
      printf '%s\n' "$2"
      return 0
    fi
    echo "config: '$path' is missing from $DRYWET_CONFIG" >&2
    return 1
  fi
  printf '%s\n' "$value"
}

# config_list <dotted.path>: one item per line (empty output for []).
config_list() {
  local path="$1" raw item
  if _config_has_yq; then
    yq -r ".${path}[]" "$DRYWET_CONFIG"
    return
  fi
  raw="$(_config_raw "$path")"
  if [[ ! "$raw" =~ ^\[(.*)\]$ ]]; then
    echo "config: '$path' in $DRYWET_CONFIG is not a [flow, list]" >&2
    return 1
  fi
  raw="${BASH_REMATCH[1]}"
  # Items such as "10.*" are patterns for the consumer, not globs for this shell.
  local - IFS=','
  set -f
  for item in $raw; do
    item="$(_config_unquote "$(echo "$item" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')")"
    [[ -n "$item" ]] && printf '%s\n' "$item"
  done
  return 0
}
