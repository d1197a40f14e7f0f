#!/usr/bin/env bash
# Sets up the DryWet platform on a Kubernetes cluster (minikube): generated credentials, Istio, Kubeflow Pipelines
# (platform-agnostic), MinIO buckets and one user per workload, MLflow (persistent, basic-auth), Prometheus + Grafana
# (DryWet's dashboard and drift alerts), NetworkPolicies and the HTTPS mlops-gateway.
# Idempotent: re-run it after a failure or a config change; generated credentials are kept. Versions: config.yaml.
#
# Usage: platform/setup.sh [--skip STEP]... [--only STEP] [--tls-cert FILE --tls-key FILE]
#   steps: preflight namespaces credentials istio kubeflow minio mlflow monitoring gateway
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "${here}/lib/common.sh"
# shellcheck source=lib/config.sh
source "${here}/lib/config.sh"

all_steps=(preflight namespaces credentials istio kubeflow minio mlflow monitoring gateway)
# Every workload with its own MinIO user (Secret kubeflow/drywet-minio-<workload>, policy manifests/minio/policies).
workloads=(serving web trainer watcher mlflow)
declare -A skip=()
only=""
tls_cert=""
tls_key=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --skip) skip["${2:?--skip needs a step}"]=1; shift 2 ;;
    --only) only="${2:?--only needs a step}"; shift 2 ;;
    --tls-cert) tls_cert="${2:?--tls-cert needs a PEM file}"; shift 2 ;;
    --tls-key) tls_key="${2:?--tls-key needs a PEM file}"; shift 2 ;;
    -h | --help)
      sed -n '2,8p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
if [[ -n "$tls_cert" || -n "$tls_key" ]]; then
  [[ -n "$tls_cert" && -n "$tls_key" ]] || die "--tls-cert and --tls-key go together (the gateway's certificate and its private key)"
  [[ -r "$tls_cert" ]] || die "--tls-cert '${tls_cert}' is not a readable file"
  [[ -r "$tls_key" ]] || die "--tls-key '${tls_key}' is not a readable file"
fi
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

# A fresh random credential (hex: safe in connection strings, ini files and URLs).
random_secret() {
  openssl rand -hex 24
}

secret_exists() {
  kubectl get secret "$2" -n "$1" >/dev/null 2>&1
}

# secret_value <namespace> <name> <key>: the decoded value (into a variable, never onto a command line).
secret_value() {
  kubectl get secret "$2" -n "$1" -o jsonpath="{.data.${3//./\\.}}" | base64 -d
}

# ensure_secret <namespace> <name> <key>=<value|@random>...: creates the Secret once; an existing one is kept, so a
# re-run never changes a credential (rotation: docs/platform.md). Values reach kubectl through a pipe.
ensure_secret() {
  local ns="$1" name="$2" spec key value env=""
  shift 2
  if secret_exists "$ns" "$name"; then
    log "secret ${ns}/${name} exists: kept"
    return 0
  fi
  for spec in "$@"; do
    key="${spec%%=*}"
    value="${spec#*=}"
    [[ "$value" == "@random" ]] && value="$(random_secret)"
    env+="${key}=${value}"$'\n'
  done
  apply_generic secret generic "$name" -n "$ns" --from-env-file=<(printf '%s' "$env")
  log "secret ${ns}/${name} generated"
}

# copy_secret <from-ns> <from-name> <to-ns> <to-name> <key>...: the same values in another namespace (a pod reads
# Secrets of its own namespace only); re-applied on every run, so a rotated source reaches the copy.
copy_secret() {
  local from_ns="$1" from="$2" to_ns="$3" to="$4" key env=""
  shift 4
  for key in "$@"; do
    env+="${key}=$(secret_value "$from_ns" "$from" "$key")"$'\n'
  done
  apply_generic secret generic "$to" -n "$to_ns" --from-env-file=<(printf '%s' "$env")
}

# MLflow's basic-auth config: the admin user is created from it on MLflow's first start (later changes go through
# MLflow's API, docs/platform.md); the users database lives on MLflow's volume.
mlflow_auth_ini() {
  printf '[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:////mlflow/data/basic_auth.db\nadmin_username = %s\nadmin_password = %s\nauthorization_function = mlflow.server.auth:authenticate_request_basic_auth\n' "$1" "$2"
}

# sha256 of the secret key KFP's manifests ship for MinIO (public, in every Kubeflow install).
readonly kfp_default_secret_sha256="179c076ac522159dbbd50d4f1d84faf05551fe5b59d7e5824a800d46559fb1d1"

step_preflight() {
  step "preflight"
  require_cmd kubectl "Install kubectl >= $(config_get versions.kubectl_min): https://kubernetes.io/docs/tasks/tools/"
  require_cmd helm "Install helm >= $(config_get versions.helm_min): https://helm.sh/docs/intro/install/"
  require_cmd git "kubectl apply -k fetches the Kubeflow Pipelines manifests from GitHub with git."
  require_cmd realpath "Install coreutils."
  require_cmd openssl "setup.sh generates credentials and the gateway's certificate with openssl."
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
    die "the cluster is not reachable (kubectl context '$(kubectl config current-context 2>/dev/null || echo none)'). Start it, e.g.: minikube start --kubernetes-version=$(config_get versions.kubernetes) --driver=docker --container-runtime=docker --cni=calico --gpus=all --cpus=8 --memory=16384 (calico enforces the NetworkPolicies)"

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

# Credentials nobody chose: generated on the first run into Secrets, kept on every later run, read with kubectl
# (the summary at the end prints how). Nothing secret is in config.yaml or on a command line.
step_credentials() {
  step "credentials"
  local ns
  for ns in kubeflow mlflow monitoring; do
    kubectl create namespace "$ns" --dry-run=client -o yaml | kubectl apply -f -
  done

  # KFP's MinIO root keys: KFP's manifests are applied without their Secret (step kubeflow), so MinIO starts with these.
  if [[ "$(config_get minio.kfp_default_credentials false)" == "true" ]]; then
    warn "minio.kfp_default_credentials is true: KFP's MinIO keeps the well-known root keys its manifests ship. Only for a throw-away laptop cluster nobody else reaches."
  else
    ensure_secret kubeflow mlpipeline-minio-artifact accesskey=drywet-root secretkey=@random
    if [[ "$(secret_value kubeflow mlpipeline-minio-artifact secretkey | sha256sum | cut -d' ' -f1)" == "$kfp_default_secret_sha256" ]]; then
      warn "Secret kubeflow/mlpipeline-minio-artifact still holds KFP's well-known MinIO key (a cluster set up before). Rotate it: docs/platform.md, 'Rotating credentials'."
    fi
  fi

  local workload
  for workload in "${workloads[@]}"; do
    ensure_secret kubeflow "drywet-minio-${workload}" "accesskey=drywet-${workload}" secretkey=@random
  done
  copy_secret kubeflow drywet-minio-mlflow mlflow mlflow-minio-credentials accesskey secretkey

  if secret_exists mlflow mlflow-auth; then
    log "secret mlflow/mlflow-auth exists: kept"
  else
    local password flask_key
    password="$(random_secret)"
    flask_key="$(random_secret)"
    apply_generic secret generic mlflow-auth -n mlflow \
      --from-file=username=<(printf '%s' admin) \
      --from-file=password=<(printf '%s' "$password") \
      --from-file=flask-secret-key=<(printf '%s' "$flask_key") \
      --from-file=basic_auth.ini=<(mlflow_auth_ini admin "$password")
    log "secret mlflow/mlflow-auth generated"
  fi
  # DryWet's workloads (ConnectionStrings__mlflow's Username/Password) read MLflow's credentials in their namespace.
  copy_secret mlflow mlflow-auth kubeflow drywet-mlflow-credentials username password

  ensure_secret monitoring grafana-admin admin-user=admin admin-password=@random
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
  local kfp="github.com/kubeflow/pipelines/manifests/kustomize/env/platform-agnostic?ref=${version}"
  if [[ "$(config_get minio.kfp_default_credentials false)" == "true" ]]; then
    kubectl apply -k "$kfp"
  else
    # Without KFP's own mlpipeline-minio-artifact (its well-known keys): the one step credentials generated stays.
    local tmp
    tmp="$(mktemp -d)"
    # shellcheck disable=SC2016 # $patch is kustomize's, not a shell variable
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %s\npatches:\n  - patch: |-\n      $patch: delete\n      apiVersion: v1\n      kind: Secret\n      metadata:\n        name: mlpipeline-minio-artifact\n        namespace: kubeflow\n' "$kfp" >"${tmp}/kustomization.yaml"
    kubectl kustomize "$tmp" | kubectl apply -f -
    rm -rf "$tmp"
  fi
  wait_rollout kubeflow minio "$(config_get timeouts.minio)"
  wait_rollout kubeflow ml-pipeline "$(config_get timeouts.kfp_api)"
  wait_rollout kubeflow ml-pipeline-ui "$(config_get timeouts.kfp_ui)"
}

step_minio() {
  step "minio buckets and users"
  kubectl get service minio-service -n kubeflow >/dev/null ||
    die "service kubeflow/minio-service is missing. KFP >= 2.15 replaced MinIO with SeaweedFS; keep versions.kubeflow_pipelines at 2.14.x"

  local buckets
  buckets="$(config_list minio.buckets | tr '\n' ' ')"
  local required
  for required in ml-data ml-models mlflow ml-feedback; do
    [[ " ${buckets} " == *" ${required} "* ]] || die "minio.buckets must keep ${required} (the workloads' bucket policies name it)"
  done
  apply_generic configmap drywet-buckets -n kubeflow \
    --from-literal=buckets="${buckets% }" \
    --from-literal=endpoint="http://$(config_get minio.endpoint)"
  # The Job creates the buckets and one user per workload (keys from Secrets drywet-minio-<workload>) with its policy.
  kubectl delete job drywet-minio-setup -n kubeflow --ignore-not-found --wait=true
  apply_overlay "${here}/manifests/minio" "$(image_override quay.io/minio/mc "$(config_get images.mc)")"
  local timeout
  timeout="$(config_get timeouts.minio_setup_job)"
  if ! kubectl wait --for=condition=complete job/drywet-minio-setup -n kubeflow --timeout="${timeout}s"; then
    kubectl logs job/drywet-minio-setup -n kubeflow --tail=50 >&2 || true
    die "the MinIO setup job did not complete within ${timeout}s (logs above)"
  fi
  log "buckets ready: ${buckets}; users: ${workloads[*]}"
}

step_mlflow() {
  step "mlflow"
  # Its MinIO user (mlflow-minio-credentials) and basic-auth config (mlflow-auth) come from step credentials.
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
  # Grafana's admin credentials are Secret monitoring/grafana-admin (step credentials; the values file names it).
  printf 'grafana:\n  grafana.ini:\n    server:\n      root_url: "%s"\nprometheus:\n  prometheusSpec:\n    externalUrl: "%s"\n' \
    "$(config_get monitoring.grafana_url)" "$(config_get monitoring.prometheus_url)" |
    helm upgrade --install prometheus prometheus-community/kube-prometheus-stack -n monitoring --create-namespace \
      --version "$version" -f "${here}/helm/kube-prometheus-stack-values.yaml" -f - --wait --timeout "${timeout}s"
  kubectl apply -k "${here}/manifests/monitoring"
  wait_rollout monitoring grafana "$timeout"
}

# The gateway's certificate: yours (--tls-cert/--tls-key, replaces the Secret), else the one already there, else a
# self-signed one for gateway.host. The key goes from openssl to kubectl through pipes, never to a file.
ensure_gateway_certificate() {
  local name host days pem cert key
  name="$(config_get gateway.tls_secret)"
  if [[ -n "$tls_cert" ]]; then
    apply_generic secret tls "$name" -n istio-system --cert="$tls_cert" --key="$tls_key"
    log "gateway certificate from ${tls_cert}"
  elif secret_exists istio-system "$name"; then
    log "secret istio-system/${name} exists: kept (replace it with --tls-cert/--tls-key)"
  else
    host="$(config_get gateway.host)"
    days="$(config_get gateway.self_signed_days)"
    pem="$(openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days "$days" -subj "/CN=${host}" \
      -addext "subjectAltName=DNS:${host}" -keyout /dev/stdout -out /dev/stdout 2>/dev/null)"
    cert="$(printf '%s\n' "$pem" | sed -n '/-BEGIN CERTIFICATE-/,/-END CERTIFICATE-/p')"
    key="$(printf '%s\n' "$pem" | sed -n '/-BEGIN PRIVATE KEY-/,/-END PRIVATE KEY-/p')"
    [[ -n "$cert" && -n "$key" ]] || die "openssl did not produce a certificate and key for ${host}"
    apply_generic secret tls "$name" -n istio-system --cert=<(printf '%s\n' "$cert") --key=<(printf '%s\n' "$key")
    warn "the gateway uses a self-signed certificate for ${host} (${days} days): browsers warn. Give your own with --tls-cert/--tls-key."
  fi
}

step_gateway() {
  step "gateway"
  ensure_gateway_certificate
  kubectl apply -k "${here}/manifests/istio"
  local address
  address="$(kubectl get service istio-ingressgateway -n istio-system -o jsonpath='{.status.loadBalancer.ingress[0].ip}' 2>/dev/null || true)"
  [[ -n "$address" ]] || address="<external-ip: run 'minikube tunnel' in another terminal>"
  # shellcheck disable=SC2016 # a Go template for kubectl, not shell expansions
  local show='-o go-template='"'"'{{range $k, $v := .data}}{{$k}}={{$v | base64decode}}{{"\n"}}{{end}}'"'"
  cat >&2 <<TABLE

DryWet platform is up. Public, over HTTPS only (http:// redirects; host $(config_get gateway.host)):
  https://${address}/dry-wet-model   the serving API, once the app is deployed (kubectl apply -k <aspire publish output>)
  https://${address}/dry-wet-ui      the DryWet page

Admin UIs are not public. Reach them from this machine (docs/platform.md):
  MLflow      kubectl port-forward -n mlflow svc/mlflow-service 5000:5000       http://localhost:5000
  Kubeflow    kubectl port-forward -n kubeflow svc/ml-pipeline-ui 8080:80       http://localhost:8080
  MinIO       kubectl port-forward -n kubeflow svc/minio-service 9000:9000      http://localhost:9000/minio/
  Grafana     kubectl port-forward -n monitoring svc/grafana 3000:80            http://localhost:3000
  Prometheus  kubectl port-forward -n monitoring svc/prometheus-kube-prometheus-prometheus 9090:9090   http://localhost:9090/prometheus

Credentials (generated once, kept on re-runs; rotation: docs/platform.md):
  MLflow admin   kubectl get secret mlflow-auth -n mlflow ${show}
  Grafana admin  kubectl get secret grafana-admin -n monitoring ${show}
  MinIO root     kubectl get secret mlpipeline-minio-artifact -n kubeflow ${show}
  MinIO users    kubectl get secret drywet-minio-<$(IFS='|'; echo "${workloads[*]}")> -n kubeflow ${show}
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
