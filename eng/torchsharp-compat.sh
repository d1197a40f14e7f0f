#!/usr/bin/env bash
# Placeholder: prints the dotnet host to use. Replaced by the real compat recipe.
set -euo pipefail
command -v dotnet
