#!/usr/bin/env bash
# The main job on the embedded default: stage samples/hello and burn it on an emulated DVD+R recorder,
# verified by reading it back. The burned disc lands in var/discs/drive-1/disc-N.iso.
# (The multi-drive tower, `duplicator serve` and `duplicator burn --copies N`, joins here as the
# orchestrator lands.)
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p var
dotnet build src/Duplicator.Host -c Release -nologo -v q > /dev/null
dotnet src/Duplicator.Host/bin/Release/net10.0/duplicator.dll record \
  --drive "emulated:dvd+r?speed=24&dir=var/discs&name=drive-1" --folder samples/hello --verify "$@"
echo "burned disc: $(ls -t var/discs/drive-1/disc-*.iso | head -1)"
