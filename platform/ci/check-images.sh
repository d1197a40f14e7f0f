#!/usr/bin/env bash
# CI check of the two images, on a machine without Docker: builds dry_wet_serving and dry_wet_train with the .NET
# SDK's container support (platform/lib/images.sh, as build-images.sh does) and pushes them to a local OCI registry
# on loopback (Debian's docker-registry), on stand-in base images assembled from Debian packages (debootstrap
# --variant=minbase, umoci) plus this machine's .NET runtime; then inspects them with skopeo: entrypoint, non-root
# user, working directory, exposed port 5001, environment, labels, and the files the pipeline needs in the trainer
# image (/app/config.yaml, TorchSharp's natives). The real base images stay the defaults for users.
# Needs root (debootstrap) and: apt-get install -y debootstrap umoci skopeo docker-registry jq libturbojpeg0
# Usage: platform/ci/check-images.sh [--port 5055]   (the Debian rootfs is cached under .cache/image-check)
# shellcheck source-path=SCRIPTDIR/..
set -Eeuo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "${here}/lib/common.sh"
# shellcheck source=lib/config.sh
source "${here}/lib/config.sh"
# shellcheck source=lib/images.sh
source "${here}/lib/images.sh"

port=5055
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="${2:?--port needs a value}"; shift 2 ;;
    -h | --help)
      sed -n '2,9p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

registry="127.0.0.1:${port}"
tag="v0.0.0-ci"
cache="${DRYWET_IMAGE_CHECK_CACHE:-${REPO_ROOT}/.cache/image-check}"
work="$(mktemp -d)"
registry_pid=""
cleanup() {
  [[ -n "$registry_pid" ]] && kill "$registry_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step "preflight"
for cmd in debootstrap umoci skopeo docker-registry jq curl dotnet; do
  require_cmd "$cmd" "Install: apt-get install -y debootstrap umoci skopeo docker-registry jq curl (and the .NET 10 SDK)."
done
[[ "$(id -u)" == "0" ]] || die "debootstrap needs root: run as root (CI) or with sudo"
dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
runtime_version="$(find "${dotnet_root}/shared/Microsoft.NETCore.App" -mindepth 1 -maxdepth 1 -name '10.*' -printf '%f\n' | sort -V | tail -n1)"
[[ -n "$runtime_version" ]] || die "no .NET 10 runtime under ${dotnet_root}/shared/Microsoft.NETCore.App"
[[ -d "${dotnet_root}/shared/Microsoft.AspNetCore.App/${runtime_version}" ]] || die "no ASP.NET Core ${runtime_version} runtime under ${dotnet_root}"

step "registry on ${registry}"
mkdir -p "${work}/registry"
printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' "${work}/registry" "$registry" >"${work}/registry.yml"
docker-registry serve "${work}/registry.yml" >"${work}/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 50); do
  curl -sf "http://${registry}/v2/" >/dev/null && break
  sleep 0.2
done
curl -sf "http://${registry}/v2/" >/dev/null || die "the registry did not answer on ${registry}: $(cat "${work}/registry.log")"
# The SDK and skopeo talk plain http to it.
export DOTNET_CONTAINER_INSECURE_REGISTRIES="$registry" SDK_CONTAINER_INSECURE_REGISTRIES="$registry"

step "stand-in base images (debootstrap minbase + .NET ${runtime_version})"
if [[ ! -f "${cache}/rootfs/etc/debian_version" ]]; then
  rm -rf "${cache}/rootfs.partial"
  mkdir -p "$cache"
  # The mirror this machine's apt already uses: the repository names no package host.
  mirror="$("${REPO_ROOT}/eng/debian-mirror.sh")" || die "cannot tell which Debian mirror to use (see above)."
  debootstrap --variant=minbase bookworm "${cache}/rootfs.partial" "$mirror" >"${cache}/debootstrap.log" 2>&1 ||
    die "debootstrap failed: $(tail -n 5 "${cache}/debootstrap.log")"
  mv "${cache}/rootfs.partial" "${cache}/rootfs"
fi

# make_base <name> <frameworks...>: the rootfs, the runtime(s) at /usr/share/dotnet and the 'app' user (UID 1654),
# with the environment the Microsoft images carry (APP_UID is how the SDK picks the non-root user).
make_base() {
  local name="$1" layout="${work}/oci" bundle="${work}/bundle-${1}"
  shift
  [[ -d "$layout" ]] || umoci init --layout "$layout"
  umoci new --image "${layout}:${name}"
  umoci unpack --image "${layout}:${name}" "$bundle" >/dev/null
  cp -a "${cache}/rootfs/." "${bundle}/rootfs/"
  mkdir -p "${bundle}/rootfs/usr/share/dotnet/shared" "${bundle}/rootfs/home/app"
  cp -a "${dotnet_root}/dotnet" "${dotnet_root}/host" "${bundle}/rootfs/usr/share/dotnet/"
  local framework
  for framework in "$@"; do
    mkdir -p "${bundle}/rootfs/usr/share/dotnet/shared/${framework}"
    cp -a "${dotnet_root}/shared/${framework}/${runtime_version}" "${bundle}/rootfs/usr/share/dotnet/shared/${framework}/"
  done
  ln -sf /usr/share/dotnet/dotnet "${bundle}/rootfs/usr/bin/dotnet"
  grep -q '^app:' "${bundle}/rootfs/etc/passwd" || echo 'app:x:1654:1654::/home/app:/usr/sbin/nologin' >>"${bundle}/rootfs/etc/passwd"
  grep -q '^app:' "${bundle}/rootfs/etc/group" || echo 'app:x:1654:' >>"${bundle}/rootfs/etc/group"
  chown 1654:1654 "${bundle}/rootfs/home/app"
  umoci repack --image "${layout}:${name}" "$bundle"
  local -a config=(--config.env APP_UID=1654 --config.env DOTNET_RUNNING_IN_CONTAINER=true
    --config.env "DOTNET_VERSION=${runtime_version}" --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    --config.label "org.opencontainers.image.description=DryWet CI stand-in for mcr.microsoft.com/dotnet/${name}:10.0")
  [[ "$name" == "aspnet" ]] && config+=(--config.env ASPNETCORE_HTTP_PORTS=8080 --config.env "ASPNET_VERSION=${runtime_version}")
  umoci config --image "${layout}:${name}" "${config[@]}"
  skopeo copy --quiet --dest-tls-verify=false "oci:${layout}:${name}" "docker://${registry}/drywet-standin/${name}:10.0"
  rm -rf "$bundle"
  log "pushed ${registry}/drywet-standin/${name}:10.0"
}
make_base aspnet Microsoft.NETCore.App Microsoft.AspNetCore.App
make_base runtime Microsoft.NETCore.App

step "images (dotnet publish -t:PublishContainer → ${registry})"
export DRYWET_CONTAINER_REGISTRY="$registry"
export DRYWET_SERVING_BASE="${registry}/drywet-standin/aspnet:10.0"
export DRYWET_TRAINING_BASE="${registry}/drywet-standin/runtime:10.0"
build_serving_image "$tag" 0
build_training_image "$tag" 0

step "inspect"
failures=0
# expect <what> <actual> <wanted>
expect() {
  if [[ "$2" == "$3" ]]; then
    log "ok: $1 = $2"
  else
    warn "FAILED: $1 is '$2', expected '$3'"
    failures=$((failures + 1))
  fi
}
inspect_config() {
  skopeo inspect --config --tls-verify=false "docker://${registry}/$1:${tag}"
}

serving="$(inspect_config "$(config_get images.serving_repository)")"
# The SDK's entrypoint for a framework-dependent app; the cluster passes only arguments (publish output, pipeline).
expect "serving entrypoint" "$(jq -c '.config.Entrypoint' <<<"$serving")" '["dotnet","/app/DryWet.Serving.dll"]'
expect "serving user" "$(jq -r '.config.User' <<<"$serving")" "1654"
expect "serving working directory" "$(jq -r '.config.WorkingDir' <<<"$serving")" "/app/"
expect "serving exposed ports" "$(jq -c '.config.ExposedPorts | keys' <<<"$serving")" '["5001/tcp"]'
expect "serving ASPNETCORE_HTTP_PORTS" "$(jq -r '.config.Env[] | select(startswith("ASPNETCORE_HTTP_PORTS="))' <<<"$serving")" "ASPNETCORE_HTTP_PORTS=5001"
expect "serving title label" "$(jq -r '.config.Labels["org.opencontainers.image.title"]' <<<"$serving")" "$(config_get images.serving_repository)"
expect "serving base label" "$(jq -r '.config.Labels["org.opencontainers.image.base.name"]' <<<"$serving")" "$DRYWET_SERVING_BASE"

training_repository="$(config_get images.training_repository)"
training="$(inspect_config "$training_repository")"
expect "trainer entrypoint" "$(jq -c '.config.Entrypoint' <<<"$training")" '["dotnet","/app/DryWet.TrainingWorker.dll"]'
expect "trainer user" "$(jq -r '.config.User' <<<"$training")" "1654"
expect "trainer working directory" "$(jq -r '.config.WorkingDir' <<<"$training")" "/app/"
expect "trainer title label" "$(jq -r '.config.Labels["org.opencontainers.image.title"]' <<<"$training")" "$training_repository"

# image_files <name> <repository>: every file path in the pushed image's layers, one per line, into ${work}/<name>-files.txt.
image_files() {
  skopeo copy --quiet --src-tls-verify=false "docker://${registry}/$2:${tag}" "oci:${work}/$1:${tag}"
  local files="${work}/$1-files.txt" manifest layer
  : >"$files"
  manifest="$(jq -r '.manifests[0].digest' "${work}/$1/index.json")"
  for layer in $(jq -r '.layers[].digest' "${work}/$1/blobs/sha256/${manifest#sha256:}"); do
    tar -tzf "${work}/$1/blobs/sha256/${layer#sha256:}" >>"$files"
  done
}
# expect_files <name> <path>...: each path is in the image exactly once.
expect_files() {
  local name="$1" wanted
  shift
  for wanted in "$@"; do
    expect "${name} holds /${wanted}" "$(grep -cxE "(\./)?${wanted//./\\.}" "${work}/${name}-files.txt" || true)" "1"
  done
}
image_files trainer "$training_repository"
image_files serving "$(config_get images.serving_repository)"
# /app/DryWet.TrainingWorker is the executable the pipeline's entry line execs; config.yaml its train step reads.
# libturbojpeg.so.0: JPEG decoding with libjpeg-turbo's SIMD kernels (the base images lack it), with its notice.
expect_files trainer app/config.yaml app/DryWet.TrainingWorker app/libtorch.so app/libLibTorchSharp.so app/libturbojpeg.so.0
expect_files serving app/DryWet.Serving.dll app/libturbojpeg.so.0 app/licenses/libjpeg-turbo.copyright

step "done"
[[ "$failures" == "0" ]] || die "${failures} image check(s) failed (above)"
log "both images built on the stand-in bases and pass inspection"
