#!/usr/bin/env bash
# Installs the Debian packages the test suite drives when any is missing: independent image readers
# (xorriso, 7-Zip, libarchive, isoinfo, libcdio; udftools and udfclient for UDF; ffmpeg + dvdauthor to author and lsdvd + dvdbackup to read DVD-Video), audio parsers (cdrdao, bchunk, sox) and the
# independent MMC target (tgt over iSCSI through libiscsi), and PostgreSQL's server. Idempotent; quiet when all are present.
set -euo pipefail
need=()
check() { command -v "$1" >/dev/null 2>&1 || need+=("$2"); }
check xorriso xorriso
check 7z p7zip-full
check bsdtar libarchive-tools
check isoinfo genisoimage
check iso-info libcdio-utils
check udfinfo udftools
check udfclient udfclient
check ffmpeg ffmpeg
check dvdauthor dvdauthor
check lsdvd lsdvd
check dvdbackup dvdbackup
check cdrdao cdrdao
check bchunk bchunk
check sox sox
check tgtd tgt
check tgtadm tgt
check iscsi-inq libiscsi-bin
ldconfig -p 2>/dev/null | grep -q 'libiscsi\.so\.7' || need+=(libiscsi7)
# PostgreSQL's server for the PostgreSQL ledger's tests (each test class starts a private one: initdb in a temp folder).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
echo "install-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${need[@]}" >"$log" 2>&1; then
  $SUDO apt-get -o DPkg::Lock::Timeout=300 update -q >>"$log" 2>&1
  $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${need[@]}" >>"$log" 2>&1 \
    || { tail -20 "$log" >&2; echo "install-deps: could not install ${need[*]}" >&2; exit 1; }
fi
rm -f "$log"
