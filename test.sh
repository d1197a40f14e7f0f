#!/usr/bin/env bash
# The test command (README). Builds the solution and runs DryWet.Tests under a dotnet host that can load
# TorchSharp on this machine (eng/torchsharp-compat.sh; the plain dotnet where libstdc++ is new enough).
# Extra arguments go to the xUnit v3 runner, e.g. ./test.sh -class "DryWet.Tests.Serving.*"
set -euo pipefail
cd "$(dirname "$0")"

configuration="${CONFIGURATION:-Release}"
dotnet_host="$(eng/torchsharp-compat.sh)"

dotnet build DryWet.sln -c "$configuration" -nologo -clp:ErrorsOnly

# Fewer GCs while TorchSharp trains (see eng/trainer.sh); child trainer processes inherit it.
export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x10000000}"
"$dotnet_host" "DryWet.Tests/bin/$configuration/net10.0/linux-x64/DryWet.Tests.dll" -noColor "$@"
