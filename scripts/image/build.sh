#!/usr/bin/env bash
# Builds the shipped Dockerfile, unchanged, without Docker or a registry of base images:
#   1. a local stand-in for the Dockerfile's NODE_IMAGE (node:<release>-bookworm-slim): a Debian
#      bookworm root made by mmdebstrap, the Node binary (and its npm) of the exact release the
#      tests run on, taken from the npm `node` package in node_modules, and the user `node`
#      (uid/gid 1000) the official image has;
#   2. `buildah bud` of ./Dockerfile with --build-arg NODE_IMAGE=<that base>.
# Everything is cached outside the repository (~/.cache/velero-vmgroup-functions/image): the base
# is rebuilt only when the Node release changes. Needs root and the Debian packages `buildah` and
# `mmdebstrap` (scripts/image/setup.sh installs them).
# Usage: scripts/image/build.sh [--dockerfile FILE] [--tag TAG]
# Prints the image name on its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."

dockerfile=Dockerfile
tag=localhost/velero-vmgroup-functions:test
while [ $# -gt 0 ]; do
  case "$1" in
    --dockerfile) dockerfile="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "image: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

cache="${VVF_CACHE:-$HOME/.cache/velero-vmgroup-functions}/image"
mkdir -p "$cache"
# vfs + chroot: the only driver and isolation that work here (no overlay, no user namespaces).
bh=(buildah --root "$cache/storage" --runroot "$cache/run" --storage-driver vfs)

node_bin="$(readlink -f ./node_modules/.bin/node)"
version="$("$node_bin" --version)"   # e.g. v24.21.0
npm_root="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
base="localhost/vvf-node-base:${version#v}-bookworm-slim"

if ! "${bh[@]}" inspect --type image "$base" >/dev/null 2>&1; then
  t0=$(date +%s)
  rootfs="$cache/bookworm-minbase.tar"
  if [ ! -s "$rootfs" ]; then
    echo "image: mmdebstrap bookworm (minbase + ca-certificates) -> $rootfs"
    mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$rootfs.part"
    mv "$rootfs.part" "$rootfs"
  fi
  echo "image: base $base (Node $version, npm from $npm_root)"
  ctr=$("${bh[@]}" from scratch)
  "${bh[@]}" add "$ctr" "$rootfs" /
  "${bh[@]}" copy "$ctr" "$node_bin" /usr/local/bin/node
  # The npm `node` package ships the binary only (no npm): the base's npm is the npm that runs
  # this script (the official image's is the one bundled with the release; both are npm 11).
  "${bh[@]}" copy "$ctr" "$npm_root" /usr/local/lib/node_modules/npm
  "${bh[@]}" run --isolation chroot "$ctr" -- sh -ec '
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
    groupadd --gid 1000 node
    useradd --uid 1000 --gid node --shell /bin/sh --create-home node
    node --version; npm --version'
  "${bh[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd node "$ctr"
  "${bh[@]}" commit --quiet --rm "$ctr" "$base" >/dev/null
  echo "image: base built in $(( $(date +%s) - t0 ))s"
fi

# This machine reaches the package registry through a TLS-inspecting proxy whose CA the host trusts
# by NODE_EXTRA_CA_CERTS; the Dockerfile's `npm ci` needs the same trust. It goes into a derived
# base (never into the Dockerfile) and so also into the test image's environment.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$NODE_EXTRA_CA_CERTS" ]; then
  ca_base="$base-hostca-$(sha256sum "$NODE_EXTRA_CA_CERTS" | cut -c1-12)"
  if ! "${bh[@]}" inspect --type image "$ca_base" >/dev/null 2>&1; then
    echo "image: $ca_base (the host's NODE_EXTRA_CA_CERTS added)"
    ctr=$("${bh[@]}" from --pull=never "$base")
    "${bh[@]}" copy "$ctr" "$NODE_EXTRA_CA_CERTS" /usr/local/share/host-extra-ca.crt
    "${bh[@]}" config --env NODE_EXTRA_CA_CERTS=/usr/local/share/host-extra-ca.crt "$ctr"
    "${bh[@]}" commit --quiet --rm "$ctr" "$ca_base" >/dev/null
  fi
  base="$ca_base"
fi

t0=$(date +%s)
echo "image: buildah bud -f $dockerfile --build-arg NODE_IMAGE=$base -> $tag"
"${bh[@]}" bud --isolation chroot --layers=false --pull=never \
  --build-arg "NODE_IMAGE=$base" -f "$dockerfile" -t "$tag" . >&2
echo "image: built in $(( $(date +%s) - t0 ))s; $("${bh[@]}" images --format '{{.Size}}' "$tag")"
echo "$tag"
