#!/usr/bin/env bash
# Deletes finished (Succeeded or Failed) pods of training pipeline runs: KFP v2 never cleans them up
# (kubeflow/pipelines#10899). Usage: platform/scripts/clean_completed_training_pods.sh [--dry-run] [--prefix P]
set -Eeuo pipefail

prefix="dry-wet-model-training"
dry_run=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) dry_run=1; shift ;;
    --prefix) prefix="${2:?--prefix needs a value}"; shift 2 ;;
    -h | --help) sed -n '2,3p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
command -v kubectl >/dev/null 2>&1 || { echo "kubectl is required" >&2; exit 2; }

count=0
for phase in Succeeded Failed; do
  while read -r namespace name; do
    [[ -n "$name" && "$name" == "${prefix}"* ]] || continue
    count=$((count + 1))
    if [[ "$dry_run" == "1" ]]; then
      echo "would delete ${namespace}/${name} (${phase})"
    else
      kubectl delete pod "$name" -n "$namespace" --wait=false
    fi
  done < <(kubectl get pods --all-namespaces --field-selector="status.phase=${phase}" \
    -o jsonpath='{range .items[*]}{.metadata.namespace}{" "}{.metadata.name}{"\n"}{end}')
done
echo "${count} finished pod(s) with prefix '${prefix}'$([[ "$dry_run" == "1" ]] && echo " (dry run)")"
