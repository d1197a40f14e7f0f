#!/usr/bin/env bash
# Runs the trainer CLI (DryWet.TrainingWorker) under a dotnet host that can load TorchSharp on this machine
# (eng/torchsharp-compat.sh: the system dotnet where libstdc++ is new enough). Arguments go to the trainer:
#   ./eng/trainer.sh train --config config.yaml --data data.zip --output out/model
# Builds the trainer (Release) when it is missing or older than its sources. CONFIGURATION=Debug to use Debug.
set -euo pipefail

repo_root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
configuration="${CONFIGURATION:-Release}"
project="$repo_root/DryWet.TrainingWorker"
dll="$project/bin/$configuration/net10.0/linux-x64/DryWet.TrainingWorker.dll"

needs_build() {
  [[ ! -f "$dll" ]] && return 0
  # Any source of the trainer or of the libraries it references newer than the built dll.
  [[ -n "$(find "$project" "$repo_root/DryWet.Core" "$repo_root/DryWet.ServiceDefaults" \
    \( -path '*/bin' -o -path '*/obj' \) -prune -o \
    \( -name '*.cs' -o -name '*.csproj' \) -newer "$dll" -print -quit)" ]]
}

if needs_build; then
  echo "trainer.sh: building DryWet.TrainingWorker ($configuration)" >&2
  dotnet build "$project" -c "$configuration" -nologo -clp:ErrorsOnly -v:q >&2
fi

host="$("$repo_root/eng/torchsharp-compat.sh")"
exec "$host" "$dll" "$@"
