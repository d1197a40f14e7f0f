#!/usr/bin/env bash
# Builds dry_wet_serving:<version> and dry_wet_train:<version> into minikube's Docker daemon
# (the original's dry_wet/setup.sh image half). Usage: platform/build-images.sh [--version v1.0.0] [--gpu] [--force]
# The version defaults to v<Version> of Directory.Build.props, the tag the AppHost publishes and the pipelines run.
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${here}/lib/common.sh"
# shellcheck source=lib/config.sh
source "${here}/lib/config.sh"
# shellcheck source=lib/images.sh
source "${here}/lib/images.sh"

version="$(default_image_tag)"
gpu=0
force=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) version="${2:?--version needs a value}"; shift 2 ;;
    --gpu) gpu=1; shift ;;
    --force) force=1; shift ;;
    -h | --help)
      sed -n '2,3p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
valid_version "$version" || die "version '$version' is not an immutable tag like v1.2.3"

step "preflight"
require_cmd dotnet "Install the .NET 10 SDK: https://dotnet.microsoft.com/download"
use_minikube_docker

step "serving image"
refuse_existing_tag "$(config_get images.serving_repository):${version}" "$force"
build_serving_image "$version" "$gpu"

step "training image"
refuse_existing_tag "$(config_get images.training_repository):${version}" "$force"
build_training_image "$version" "$gpu"

step "done"
log "built $(config_get images.serving_repository):${version} and $(config_get images.training_repository):${version}"
