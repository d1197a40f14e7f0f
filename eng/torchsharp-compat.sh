#!/usr/bin/env bash
# Prints the path of a dotnet host that can load TorchSharp 0.107 on this machine (stdout: the path, nothing else;
# progress goes to stderr). Usage: "$(eng/torchsharp-compat.sh)" path/to/app.dll ...
#
# Why: libLibTorchSharp.so 0.107 needs GLIBCXX_3.4.32 (and GLIBC_2.34); Debian 12 ships GLIBCXX_3.4.30. On such a
# system this script builds, once, a private copy of the dotnet muxer whose ELF interpreter and DT_RPATH point at
# Debian 13 (trixie) glibc/libstdc++/libgcc extracted from their .deb files. Nothing is installed system-wide and no
# LD_LIBRARY_PATH is set (a global LD_LIBRARY_PATH breaks the C# compiler). DT_RPATH (not RUNPATH) is used because it
# also applies to the libraries dotnet dlopens later (coreclr, libtorch, LibTorchSharp).
# Where the system libstdc++ is new enough, it just prints the system dotnet.
# Idempotent; the result is cached in <repo>/.cache/torchsharp-compat/ (git-ignored). Safe to run concurrently.
set -euo pipefail

# Overridable only so tests can exercise the no-op branch on a machine that needs the compat host.
readonly required_glibcxx="${TORCHSHARP_COMPAT_GLIBCXX:-GLIBCXX_3.4.32}"
readonly packages=(libc6 libstdc++6 libgcc-s1)

log() { printf 'torchsharp-compat: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

repo_root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cache="${TORCHSHARP_COMPAT_CACHE:-$repo_root/.cache/torchsharp-compat}"

system_dotnet="$(command -v dotnet || true)"
[[ -n "$system_dotnet" ]] || die "no 'dotnet' on PATH; install the .NET 10 SDK first."
muxer="$(readlink -f "$system_dotnet")"
dotnet_root="$(dirname "$muxer")"

# The libstdc++.so.6 the dynamic loader would pick for dotnet.
system_libstdcxx() {
  local path
  path="$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }')"
  if [[ -z "$path" ]]; then
    for candidate in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
      if [[ -e "$candidate" ]]; then path="$candidate"; break; fi
    done
  fi
  [[ -n "$path" ]] && readlink -f "$path"
}

has_symbol_version() { # file version
  if command -v strings >/dev/null 2>&1; then
    # No grep -q: it would close the pipe early and pipefail would report strings' SIGPIPE as a failure.
    strings -a "$1" | grep -x "$2" >/dev/null
  else
    grep -a "$2" "$1" >/dev/null
  fi
}

libstdcxx="$(system_libstdcxx || true)"
if [[ -n "$libstdcxx" ]] && has_symbol_version "$libstdcxx" "$required_glibcxx"; then
  log "system libstdc++ ($libstdcxx) has $required_glibcxx; using the system dotnet."
  printf '%s\n' "$system_dotnet"
  exit 0
fi

host="$cache/bin/dotnet"
stamp="$cache/stamp"
# The stamp ties the cached host to the muxer it was copied from: an SDK update rebuilds it.
wanted_stamp="muxer=$muxer size=$(stat -c %s "$muxer") mtime=$(stat -c %Y "$muxer") glibcxx=$required_glibcxx"

is_ready() { [[ -x "$host" && -f "$stamp" && "$(cat "$stamp")" == "$wanted_stamp" ]]; }

if is_ready; then
  printf '%s\n' "$host"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9 # another process may be building it right now
if is_ready; then
  printf '%s\n' "$host"
  exit 0
fi

log "system libstdc++ (${libstdcxx:-not found}) lacks $required_glibcxx; building a compatible dotnet host in $cache (one time)."

if ! command -v patchelf >/dev/null 2>&1; then
  [[ "$(id -u)" == 0 ]] || die "patchelf is missing; run 'sudo apt-get install -y patchelf' and retry."
  log "installing patchelf (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >&2; } ||
    die "could not install patchelf with apt-get."
fi

work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

apt_options=(
  -o "Dir::Etc::SourceList=$cache/apt/trixie.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$cache/apt/lists"
  -o "Dir::Cache=$cache/apt/cache"
  -o "APT::Sandbox::User=root"
  -o "Debug::NoLocking=1"
)
mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$work/debs"
# The same mirror the system's own apt sources use (eng/debian-mirror.sh), with the trixie suite.
mirror="$("$repo_root/eng/debian-mirror.sh")" || die "cannot tell which Debian mirror to use (see the message above)."
printf 'deb %s trixie main\n' "$mirror" >"$cache/apt/trixie.list"

log "downloading ${packages[*]} from Debian trixie ($mirror)"
apt-get "${apt_options[@]}" -qq update >&2 || die "apt-get update for the trixie source failed (network?)."
(cd "$work/debs" && apt-get "${apt_options[@]}" -qq download "${packages[@]}" >&2) ||
  die "apt-get download ${packages[*]} from trixie failed."

for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/root"
done

libs="$work/root/usr/lib/x86_64-linux-gnu"
[[ -e "$libs/ld-linux-x86-64.so.2" ]] || die "trixie libc6 did not provide ld-linux-x86-64.so.2 in $libs."
has_symbol_version "$libs/libstdc++.so.6" "$required_glibcxx" || die "trixie libstdc++ lacks $required_glibcxx."

# A copy of the muxer next to links to the real SDK folders: the muxer finds host/, shared/, sdk/ relative to itself.
mkdir -p "$work/bin"
cp "$muxer" "$work/bin/dotnet"
for entry in "$dotnet_root"/*; do
  name="$(basename "$entry")"
  [[ "$name" == dotnet ]] || ln -s "$entry" "$work/bin/$name"
done

# Final paths (the folders are renamed into place below).
final_libs="$cache/root/usr/lib/x86_64-linux-gnu"
patchelf --set-interpreter "$final_libs/ld-linux-x86-64.so.2" --force-rpath --set-rpath "$final_libs" "$work/bin/dotnet"

rm -rf "${cache:?}/root" "${cache:?}/bin"
mv "$work/root" "$cache/root"
mv "$work/bin" "$cache/bin"

"$host" --list-runtimes >/dev/null 2>&1 || die "the patched host $host does not run; delete $cache and retry."
printf '%s\n' "$wanted_stamp" >"$stamp"
rm -rf "${cache:?}/apt" # the trixie package lists (~30 MB) are not needed once the host is built
log "ready: $host"
printf '%s\n' "$host"
