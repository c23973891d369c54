#!/usr/bin/env bash
# Runs every test of the solution (Release). Installs the Debian packages the suite needs first.
# Ends with one line "tests: N passed, N failed, N skipped" summed over all test projects.
set -uo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh || exit 1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The console tests drive Debian's chromium (/usr/bin/chromium); Playwright never fetches a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
log=$(mktemp)
dotnet test Duplicator.sln -c Release "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# "Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, Duration: ..."
awk '/(Passed|Failed)! +- +Failed:/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
passed=$(awk '/(Passed|Failed)! +- +Failed:/ { gsub(",", ""); for (i = 1; i <= NF; i++) if ($i == "Passed:") p += $(i+1) } END { print p + 0 }' "$log")
rm -f "$log"
[ "$rc" -eq 0 ] && [ "$passed" -eq 0 ] && { echo "test.sh: no test ran" >&2; exit 1; }
exit "$rc"
