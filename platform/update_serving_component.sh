#!/usr/bin/env bash
# Builds dry_wet_serving:<version> into minikube's Docker daemon and rolls the serving Deployment onto it.
# Usage: platform/update_serving_component.sh <version> [--gpu] [--force]   (e.g. v1.0.1; tags are immutable)
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${here}/lib/common.sh"
# shellcheck source=lib/config.sh
source "${here}/lib/config.sh"
# shellcheck source=lib/images.sh
source "${here}/lib/images.sh"

parse_component_args 3 "$@"

namespace="$(config_get serving.namespace)"
deployment="$(config_get serving.deployment)"
container="$(config_get serving.container)"
image="$(config_get images.serving_repository):${version}"

step "preflight"
require_cmd kubectl "Install kubectl: https://kubernetes.io/docs/tasks/tools/"
require_cmd dotnet "Install the .NET 10 SDK: https://dotnet.microsoft.com/download"
kubectl get "deployment/${deployment}" -n "$namespace" >/dev/null ||
  die "deployment/${deployment} is not in namespace ${namespace}; deploy the app first (kubectl apply -k <aspire publish output>)"
use_minikube_docker

step "build ${image}"
refuse_existing_tag "$image" "$force"
build_serving_image "$version" "$gpu"

step "rolling update to ${image}"
kubectl set image "deployment/${deployment}" "${container}=${image}" -n "$namespace"
kubectl annotate "deployment/${deployment}" -n "$namespace" --overwrite "kubernetes.io/change-cause=update_serving_component.sh ${version}"
wait_rollout "$namespace" "$deployment" "$(config_get timeouts.rollout)"
log "serving now runs ${image}; roll back with: kubectl rollout undo deployment/${deployment} -n ${namespace}"
