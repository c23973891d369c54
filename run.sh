#!/usr/bin/env bash
# The main job on the embedded default tower (config/duplicator.json: four emulated DVD+R recorders,
# ledger var/ledger.db, stash var/stash): burn 8 verified copies of samples/hello and wait for them.
# If a host (`duplicator serve`) is running it takes the batch; otherwise the tower runs in this process.
# The burned discs land in var/discs/drive-N/disc-M.iso.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p var
dotnet build src/Duplicator.Host -c Release -nologo -v q > /dev/null
dotnet src/Duplicator.Host/bin/Release/net10.0/duplicator.dll burn --folder samples/hello --copies 8 --wait "$@"
echo "burned discs: $(ls var/discs/drive-*/disc-*.iso | wc -l) image files under var/discs/ (newest: $(ls -t var/discs/drive-*/disc-*.iso | head -1))"
