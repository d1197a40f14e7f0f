#!/usr/bin/env bash
# Prints the Debian archive mirror this system's apt already uses (e.g. http://<mirror>/debian), read from the
# deb822 files in /etc/apt/sources.list.d/*.sources and the one-line /etc/apt/sources.list: the first "deb" source
# that is the main archive (not -security). So scripts that need another suite (trixie) use the same mirror as the
# machine, whatever it is, and the repository names no host. TORCHSHARP_COMPAT_MIRROR overrides it.
# APT_SOURCES_LIST / APT_SOURCES_PARTS point elsewhere (tests).
set -Eeuo pipefail

sources_list="${APT_SOURCES_LIST:-/etc/apt/sources.list}"
sources_parts="${APT_SOURCES_PARTS:-/etc/apt/sources.list.d}"

if [[ -n "${TORCHSHARP_COMPAT_MIRROR:-}" ]]; then
  printf '%s\n' "${TORCHSHARP_COMPAT_MIRROR%/}"
  exit 0
fi

# deb822 stanzas: blank-line separated; take URIs of stanzas whose Types has deb and whose Suites are not all -security.
from_deb822() {
  awk '
    function flush() {
      if (types ~ /(^| )deb( |$)/ && suites != "" && suites !~ /^([^ ]*-security ?)+$/ && uris != "") { split(uris, u, " "); print u[1]; found = 1; exit }
      types = ""; suites = ""; uris = ""
    }
    /^[[:space:]]*#/ { next }
    /^[[:space:]]*$/ { flush(); next }
    tolower($1) == "types:"  { $1 = ""; types = $0; sub(/^ +/, "", types) }
    tolower($1) == "uris:"   { $1 = ""; uris = $0; sub(/^ +/, "", uris) }
    tolower($1) == "suites:" { $1 = ""; suites = $0; sub(/^ +/, "", suites) }
    END { if (!found) flush() }
  ' "$@"
}

# One-line format: deb [options] URI suite components...
from_one_line() {
  awk '
    $1 == "deb" {
      i = 2
      if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
      if ($(i + 1) !~ /-security$/) { print $i; exit }
    }
  ' "$1"
}

mirror=""
shopt -s nullglob
parts=("$sources_parts"/*.sources)
if [[ ${#parts[@]} -gt 0 ]]; then
  for part in "${parts[@]}"; do
    mirror="$(from_deb822 "$part")"
    [[ -n "$mirror" ]] && break
  done
fi
if [[ -z "$mirror" && -f "$sources_list" ]]; then
  mirror="$(from_one_line "$sources_list")"
fi
if [[ -z "$mirror" ]]; then
  printf 'debian-mirror: no Debian archive found in %s or %s/*.sources; set TORCHSHARP_COMPAT_MIRROR to your mirror (e.g. http://<host>/debian).\n' "$sources_list" "$sources_parts" >&2
  exit 1
fi
printf '%s\n' "${mirror%/}"
