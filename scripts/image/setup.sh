#!/usr/bin/env bash
# Installs the Debian packages scripts/image/build.sh needs (buildah, mmdebstrap) when missing.
# Debian/Ubuntu only; run as root. Called by .ci/run before the image is built.
set -euo pipefail
missing=()
for p in buildah mmdebstrap; do command -v "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "image: apt-get install ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
