# shellcheck shell=bash
# Builds DryWet's images with the .NET SDK's container support into minikube's Docker daemon.
# Requires lib/common.sh and lib/config.sh. Nothing here edits the projects: container settings are passed as
# MSBuild properties on the command line.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# v<Version> from Directory.Build.props: DryWet's one version, the tag the AppHost's manifests and the pipelines use.
default_image_tag() {
  local version
  version="$(sed -n 's:.*<Version>\([^<]*\)</Version>.*:\1:p' "${REPO_ROOT}/Directory.Build.props" | head -n1)"
  [[ -n "$version" ]] || die "no <Version> in ${REPO_ROOT}/Directory.Build.props"
  printf 'v%s\n' "$version"
}

# Settings every image build shares: the item-shaped container settings (port, env, labels) from a targets file,
# and, when DRYWET_CONTAINER_REGISTRY is set, a registry to push to instead of the local Docker daemon
# (platform/ci/check-images.sh pushes to one on loopback).
common_image_props() {
  printf '%s\n' "-p:CustomAfterMicrosoftCommonTargets=${REPO_ROOT}/platform/containers/container-settings.targets"
  printf '%s\n' "-p:DryWetTurboJpeg=$(turbojpeg_library)"
  if [[ -n "${DRYWET_CONTAINER_REGISTRY:-}" ]]; then
    printf '%s\n' "-p:ContainerRegistry=${DRYWET_CONTAINER_REGISTRY}"
  fi
}

# The build machine's libjpeg-turbo TurboJPEG library (Debian/Ubuntu: libturbojpeg0), bundled into both images as
# /app/libturbojpeg.so.0: the .NET base images lack it, and without it JPEGs decode through SkiaSharp's libjpeg-turbo,
# which has no SIMD on x64 (the same pixels, slower). It links only against libc.
turbojpeg_library() {
  local library
  # ldconfig lives in /sbin, which a user's PATH may lack. awk reads to the end: an early exit would kill ldconfig with
  # SIGPIPE, which pipefail and the error trap report as a failure.
  local ldconfig=ldconfig
  command -v ldconfig >/dev/null || ldconfig=/sbin/ldconfig
  library="$("$ldconfig" -p 2>/dev/null | awk '$1 == "libturbojpeg.so.0" && /x86-64/ && !found { print $NF; found = 1 }')"
  [[ -n "$library" ]] || die "libturbojpeg.so.0 is missing on this machine; install it (apt-get install -y libturbojpeg0): the images bundle it for JPEG decoding"
  readlink -f "$library"
}

# Points docker (and the SDK, which loads images through the docker CLI) at minikube's daemon.
use_minikube_docker() {
  require_cmd minikube "Install minikube: https://minikube.sigs.k8s.io/docs/start/"
  require_cmd docker "The .NET SDK loads the built image through the docker CLI; install the Docker CLI (the engine can be minikube's)."
  local profile="${MINIKUBE_PROFILE:-minikube}" env
  env="$(minikube -p "$profile" docker-env --shell bash)" || die "minikube -p ${profile} docker-env failed; is the cluster running (minikube status)?"
  eval "$env"
  log "docker now talks to minikube (${profile}) at ${DOCKER_HOST:-?}"
}

image_exists() {
  docker image inspect "$1" >/dev/null 2>&1
}

# refuse_existing_tag <image:tag> <force>: tags are immutable; a rebuild under the same tag would leave running
# pods and new pods on different bits.
refuse_existing_tag() {
  if image_exists "$1"; then
    if [[ "$2" == "1" ]]; then
      warn "$1 exists and --force was given: overwriting it (pods already running keep the old bits)"
    else
      die "$1 already exists in minikube's Docker. Tags are immutable: pick a new version (or pass --force)."
    fi
  fi
}

# build_serving_image <tag> <gpu:0|1>
build_serving_image() {
  local tag="$1" gpu="$2" repository base
  repository="$(config_get images.serving_repository)"
  local -a props=(
    "-p:ContainerRepository=${repository}"
    "-p:ContainerImageTag=${tag}"
  )
  mapfile -t -O "${#props[@]}" props < <(common_image_props)
  if [[ "$gpu" == "1" ]]; then
    # CUDA 13 + cuDNN 9 for ONNX Runtime's CUDA execution provider. That image has no .NET, so publish
    # self-contained; it has no 'app' user either, so run as the numeric UID the .NET images use.
    base="${DRYWET_SERVING_BASE_GPU:-$(config_get images.serving_base_gpu)}"
    props+=("-p:ContainerBaseImage=${base}" "-p:SelfContained=true" "-p:ContainerUser=1654")
  else
    base="${DRYWET_SERVING_BASE:-$(config_get images.serving_base_cpu)}"
    props+=("-p:ContainerBaseImage=${base}")
  fi
  log "building ${repository}:${tag} on ${base}"
  dotnet publish "${REPO_ROOT}/DryWet.Serving/DryWet.Serving.csproj" -c Release -r linux-x64 -t:PublishContainer "${props[@]}"
}

# build_training_image <tag> <gpu:0|1>
build_training_image() {
  local tag="$1" gpu="$2" repository base backend=cpu
  repository="$(config_get images.training_repository)"
  base="${DRYWET_TRAINING_BASE:-$(config_get images.training_base)}"
  [[ "$gpu" == "1" ]] && backend=cuda
  local -a props=()
  mapfile -t props < <(common_image_props)
  log "building ${repository}:${tag} (TorchSharp ${backend}) on ${base}"
  # A console app opts into SDK container support explicitly. The pipeline runs /app/DryWet.TrainingWorker.
  dotnet publish "${REPO_ROOT}/DryWet.TrainingWorker/DryWet.TrainingWorker.csproj" -c Release -r linux-x64 -t:PublishContainer \
    "-p:EnableSdkContainerSupport=true" \
    "-p:TorchBackend=${backend}" \
    "-p:ContainerBaseImage=${base}" \
    "-p:ContainerRepository=${repository}" \
    "-p:ContainerImageTag=${tag}" \
    "${props[@]}"
}

# Arguments of the update_*_component.sh scripts: <version> [--gpu] [--force]. Sets the globals version, gpu and
# force; --help prints the calling script's header lines 2..$1.
# shellcheck disable=SC2034 # version, gpu and force are read by the calling script
parse_component_args() {
  local help_lines="$1"
  shift
  version=""
  gpu=0
  force=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --gpu) gpu=1; shift ;;
      --force) force=1; shift ;;
      -h | --help)
        sed -n "2,${help_lines}p" "$0"
        exit 0
        ;;
      -*) die "unknown option '$1' (see --help)" ;;
      *) version="$1"; shift ;;
    esac
  done
  [[ -n "$version" ]] || die "usage: $(basename "$0") <version> [--gpu] [--force], e.g. v1.0.1"
  valid_version "$version" || die "version '$version' is not an immutable tag like v1.2.3"
}
