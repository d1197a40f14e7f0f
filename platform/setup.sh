#!/usr/bin/env bash
# Sets up the DryWet platform on a Kubernetes cluster (minikube): Istio, Kubeflow Pipelines (platform-agnostic),
# MinIO buckets, MLflow (persistent), Prometheus + Grafana (with DryWet's dashboard and drift alerts) and the mlops-gateway routes.
# Idempotent: re-run it after a failure or a config change. Versions and timeouts: platform/config.yaml.
#
# Usage: platform/setup.sh [--skip STEP]... [--only STEP]
#   steps: preflight namespaces istio kubeflow buckets mlflow monitoring gateway
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${here}/lib/common.sh"
# shellcheck source=lib/config.sh
source "${here}/lib/config.sh"

all_steps=(preflight namespaces istio kubeflow buckets mlflow monitoring gateway)
declare -A skip=()
only=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --skip) skip["${2:?--skip needs a step}"]=1; shift 2 ;;
    --only) only="${2:?--only needs a step}"; shift 2 ;;
    -h | --help)
      sed -n '2,7p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
for s in "${!skip[@]}" ${only:+"$only"}; do
  [[ " ${all_steps[*]} " == *" ${s} "* ]] || die "unknown step '${s}'; steps are: ${all_steps[*]}"
done

wanted() {
  [[ -z "${skip[$1]:-}" ]] && { [[ -z "$only" ]] || [[ "$only" == "$1" ]]; }
}

# Applies a kustomize directory with images (and optional patches) taken from config.yaml, through a temporary
# overlay, so the committed manifests stay plain and the pins live in one place.
apply_overlay() {
  local dir="$1" extra="$2" tmp rel
  tmp="$(mktemp -d)"
  rel="$(realpath --relative-to="$tmp" "$dir")"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\n%s\n' "$rel" "$extra" >"${tmp}/kustomization.yaml"
  kubectl kustomize --load-restrictor LoadRestrictionsNone "$tmp" | kubectl apply -f -
  rm -rf "$tmp"
}

# image_override <image-as-written-in-the-manifest-without-tag> <configured image:tag>
image_override() {
  local name="$1" image="$2"
  [[ "$image" == *:* && "${image##*:}" != */* ]] || die "image '${image}' in config.yaml has no tag; pin one"
  printf 'images:\n  - name: %s\n    newName: %s\n    newTag: "%s"\n' "$name" "${image%:*}" "${image##*:}"
}

# Writes a Secret/ConfigMap idempotently (create --dry-run=client | apply); values never hit the disk.
apply_generic() {
  kubectl create "$@" --dry-run=client -o yaml | kubectl apply -f -
}

step_preflight() {
  step "preflight"
  require_cmd kubectl "Install kubectl >= $(config_get versions.kubectl_min): https://kubernetes.io/docs/tasks/tools/"
  require_cmd helm "Install helm >= $(config_get versions.helm_min): https://helm.sh/docs/intro/install/"
  require_cmd git "kubectl apply -k fetches the Kubeflow Pipelines manifests from GitHub with git."
  require_cmd realpath "Install coreutils."
  if ! command -v minikube >/dev/null 2>&1; then
    warn "minikube is not installed: fine for another cluster, but build-images.sh needs it (minikube docker-env)."
  else
    local minikube_version
    minikube_version="$(minikube version --short 2>/dev/null || echo unknown)"
    version_ge "$minikube_version" "$(config_get versions.minikube_min)" ||
      warn "minikube ${minikube_version} is older than $(config_get versions.minikube_min): 'minikube start --gpus=all' needs it for GPUs."
  fi

  local kubectl_version helm_version
  kubectl_version="$(kubectl version --client -o json | grep -m1 '"gitVersion"' | sed -E 's/.*"(v[^"]+)".*/\1/')"
  version_ge "$kubectl_version" "$(config_get versions.kubectl_min)" ||
    die "kubectl ${kubectl_version} is older than $(config_get versions.kubectl_min) (needs kustomize v5 for the KFP manifests)"
  helm_version="$(helm version --template '{{.Version}}')"
  version_ge "$helm_version" "$(config_get versions.helm_min)" ||
    die "helm ${helm_version} is older than $(config_get versions.helm_min)"
  log "kubectl ${kubectl_version}, helm ${helm_version}"

  kubectl version --request-timeout=15s >/dev/null 2>&1 ||
    die "the cluster is not reachable (kubectl context '$(kubectl config current-context 2>/dev/null || echo none)'). Start it, e.g.: minikube start --driver=docker --container-runtime=docker --gpus=all --cpus=8 --memory=16384"

  local gpus
  gpus="$(kubectl get nodes -o jsonpath='{range .items[*]}{.status.allocatable.nvidia\.com/gpu}{" "}{end}' | tr -d ' ')"
  if [[ -z "$gpus" || "$gpus" == "0" ]]; then
    warn "no node offers nvidia.com/gpu: the NVIDIA device plugin is missing or found no GPU. Training and serving will run on CPU (slowly)."
    warn "fix: minikube start --gpus=all (NVIDIA Container Toolkit on the host), or: minikube addons enable nvidia-device-plugin"
  else
    log "GPUs allocatable: ${gpus}"
  fi

  # Serving's HorizontalPodAutoscaler (aspire publish output) scales on CPU read from the metrics API.
  kubectl get apiservice v1beta1.metrics.k8s.io >/dev/null 2>&1 ||
    warn "no metrics API (metrics-server): serving's HorizontalPodAutoscaler cannot scale. fix: minikube addons enable metrics-server"
}

step_namespaces() {
  step "namespaces"
  kubectl apply -f "${here}/manifests/namespaces.yaml"
  local ns
  while IFS= read -r ns; do
    [[ -n "$ns" ]] || continue
    kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f -
    kubectl label namespace "$ns" istio-injection=enabled --overwrite
  done < <(config_list istio.inject_namespaces)
}

step_istio() {
  step "istio $(config_get versions.istio)"
  local version timeout
  version="$(config_get versions.istio)"
  timeout="$(config_get timeouts.istio)"
  helm repo add istio "$(config_get helm_repos.istio)" --force-update >/dev/null
  helm upgrade --install istio-base istio/base -n istio-system --create-namespace --version "$version" --wait --timeout "${timeout}s"
  helm upgrade --install istiod istio/istiod -n istio-system --version "$version" --wait --timeout "${timeout}s"
  # Release name istio-ingressgateway: the chart labels its pods istio=ingressgateway (the Gateway's selector)
  # and names the LoadBalancer Service istio-ingressgateway (minikube tunnel gives it an external IP).
  helm upgrade --install istio-ingressgateway istio/gateway -n istio-system --version "$version" --timeout "${timeout}s"
  wait_rollout istio-system istio-ingressgateway "$timeout"
}

step_kubeflow() {
  local version
  version="$(config_get versions.kubeflow_pipelines)"
  step "kubeflow pipelines ${version} (platform-agnostic)"
  kubectl apply -k "github.com/kubeflow/pipelines/manifests/kustomize/cluster-scoped-resources?ref=${version}"
  kubectl wait --for condition=established --timeout="$(config_get timeouts.crd)s" crd/applications.app.k8s.io ||
    die "the KFP CRDs were not established within $(config_get timeouts.crd)s"
  # platform-agnostic, not env/dev: env/dev adds GCP's inverse proxy, which crash-loops off GCP (kubeflow/pipelines#9546).
  kubectl apply -k "github.com/kubeflow/pipelines/manifests/kustomize/env/platform-agnostic?ref=${version}"
  wait_rollout kubeflow minio "$(config_get timeouts.minio)"
  wait_rollout kubeflow ml-pipeline "$(config_get timeouts.kfp_api)"
  wait_rollout kubeflow ml-pipeline-ui "$(config_get timeouts.kfp_ui)"
}

step_buckets() {
  step "minio buckets"
  kubectl get service minio-service -n kubeflow >/dev/null ||
    die "service kubeflow/minio-service is missing. KFP >= 2.15 replaced MinIO with SeaweedFS; keep versions.kubeflow_pipelines at 2.14.x"

  # The pipeline's pods, MLflow and this job all use Secret kubeflow/mlpipeline-minio-artifact: it must hold the
  # configured keys, or everything downstream fails with confusing 403s.
  local access secret
  access="$(kubectl get secret mlpipeline-minio-artifact -n kubeflow -o jsonpath='{.data.accesskey}' | base64 -d)"
  secret="$(kubectl get secret mlpipeline-minio-artifact -n kubeflow -o jsonpath='{.data.secretkey}' | base64 -d)"
  if [[ "$access" != "$(config_get minio.access_key)" || "$secret" != "$(config_get minio.secret_key)" ]]; then
    die "Secret kubeflow/mlpipeline-minio-artifact does not hold minio.access_key/secret_key from config.yaml. KFP's MinIO uses that Secret; make config.yaml match it."
  fi

  local buckets
  buckets="$(config_list minio.buckets | tr '\n' ' ')"
  [[ " ${buckets} " == *" ml-models "* ]] || die "minio.buckets must keep ml-models (the pipeline uploads there)"
  apply_generic configmap drywet-buckets -n kubeflow \
    --from-literal=buckets="${buckets% }" \
    --from-literal=endpoint="http://$(config_get minio.endpoint)"
  kubectl delete job drywet-create-buckets -n kubeflow --ignore-not-found --wait=true
  apply_overlay "${here}/manifests/minio" "$(image_override quay.io/minio/mc "$(config_get images.mc)")"
  local timeout
  timeout="$(config_get timeouts.buckets_job)"
  if ! kubectl wait --for=condition=complete job/drywet-create-buckets -n kubeflow --timeout="${timeout}s"; then
    kubectl logs job/drywet-create-buckets -n kubeflow --tail=50 >&2 || true
    die "the bucket job did not complete within ${timeout}s (logs above)"
  fi
  log "buckets ready: ${buckets}"
}

step_mlflow() {
  step "mlflow"
  # Keys through a process substitution (printf is a builtin): they never appear in a command line.
  apply_generic secret generic mlflow-minio-credentials -n mlflow \
    --from-env-file=<(printf 'accesskey=%s\nsecretkey=%s\n' "$(config_get minio.access_key)" "$(config_get minio.secret_key)")
  local allowed_hosts
  allowed_hosts="$(config_list mlflow.allowed_hosts | paste -sd, -)"
  [[ -n "$allowed_hosts" ]] || die "mlflow.allowed_hosts is empty: MLflow would refuse every in-cluster caller (403 Invalid Host header)"
  apply_generic configmap mlflow-config -n mlflow \
    --from-literal=allowed_hosts="$allowed_hosts" \
    --from-literal=artifacts_destination="$(config_get mlflow.artifacts_destination)" \
    --from-literal=s3_endpoint_url="http://$(config_get minio.endpoint)"
  local size overlay
  size="$(config_get mlflow.storage_size)"
  overlay="$(image_override ghcr.io/mlflow/mlflow "$(config_get images.mlflow)")
patches:
  - target:
      kind: PersistentVolumeClaim
      name: mlflow-data
    patch: |-
      - op: replace
        path: /spec/resources/requests/storage
        value: ${size}"
  apply_overlay "${here}/manifests/mlflow" "$overlay"
  # A changed ConfigMap/Secret does not restart pods by itself.
  kubectl rollout restart deployment/mlflow -n mlflow
  wait_rollout mlflow mlflow "$(config_get timeouts.mlflow)"
}

step_monitoring() {
  local version timeout
  version="$(config_get versions.kube_prometheus_stack)"
  timeout="$(config_get timeouts.monitoring)"
  step "monitoring (kube-prometheus-stack ${version})"
  helm repo add prometheus-community "$(config_get helm_repos.prometheus_community)" --force-update >/dev/null
  # The password goes through a values file on a pipe, not the command line (visible in ps).
  printf 'grafana:\n  adminPassword: "%s"\n  grafana.ini:\n    server:\n      root_url: "%s"\nprometheus:\n  prometheusSpec:\n    externalUrl: "%s"\n' \
    "$(config_get monitoring.grafana_password)" "$(config_get monitoring.grafana_url)" "$(config_get monitoring.prometheus_url)" |
    helm upgrade --install prometheus prometheus-community/kube-prometheus-stack -n monitoring --create-namespace \
      --version "$version" -f "${here}/helm/kube-prometheus-stack-values.yaml" -f - --wait --timeout "${timeout}s"
  kubectl apply -k "${here}/manifests/monitoring"
  wait_rollout monitoring grafana "$timeout"
}

step_gateway() {
  step "gateway and routes"
  kubectl apply -k "${here}/manifests/istio"
  local address
  address="$(kubectl get service istio-ingressgateway -n istio-system -o jsonpath='{.status.loadBalancer.ingress[0].ip}' 2>/dev/null || true)"
  [[ -n "$address" ]] || address="<external-ip: run 'minikube tunnel' in another terminal>"
  cat >&2 <<TABLE

DryWet platform is up. Through the gateway (http://${address}):
  /pipeline        Kubeflow Pipelines UI (and API: pipeline submit --kubeflow-host http://${address}/pipeline)
  /mlflow/         MLflow tracking and model registry
  /minio/          MinIO browser ($(config_get minio.access_key) / <minio.secret_key from config.yaml>)
  /grafana         Grafana (admin / <monitoring.grafana_password>), dashboard "DryWet serving"; drift alerts in Prometheus
  /prometheus      Prometheus
  /dry-wet-model   the serving API, once the app is deployed (kubectl apply -k <aspire publish output>)
TABLE
}

for s in "${all_steps[@]}"; do
  if wanted "$s"; then
    "step_${s}"
  else
    log "skipping ${s}"
  fi
done
step "done"
