#!/usr/bin/env bash
# The main job on the embedded default. Today: master the sample folder into an ISO 9660 + Joliet image
# under ./var (the burn on emulated recorders joins here as the drive and orchestrator layers land).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p var
dotnet run --project src/Duplicator.Host -c Release -- master samples/hello -o var/hello.iso --volume HELLO "$@"
echo "image written: var/hello.iso"
