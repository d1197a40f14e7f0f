#!/usr/bin/env bash
# Builds dry_wet_train:<version> into minikube's Docker daemon. The trainer is not a Deployment: each pipeline
# run names its image, so the next run uses it via --training-image (printed at the end).
# Usage: platform/update_training_component.sh <version> [--gpu] [--force]
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${here}/lib/common.sh"
# shellcheck source=lib/config.sh
source "${here}/lib/config.sh"
# shellcheck source=lib/images.sh
source "${here}/lib/images.sh"

parse_component_args 4 "$@"
image="$(config_get images.training_repository):${version}"

step "preflight"
require_cmd dotnet "Install the .NET 10 SDK: https://dotnet.microsoft.com/download"
use_minikube_docker

step "build ${image}"
refuse_existing_tag "$image" "$force"
build_training_image "$version" "$gpu"

step "done"
log "built ${image}. Train with it:"
gpus=1
[[ "$gpu" == "1" ]] || gpus=0
echo "dotnet run --project DryWet.TrainingWorker -- pipeline submit --training-image ${image} --gpus ${gpus} --wait"
