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
default_tag=localhost/velero-vmgroup-functions:test
tag=$default_tag
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
  if [ ! -f "$rootfs" ]; then
    echo "image: mmdebstrap bookworm (minbase + ca-certificates) -> $rootfs"
    rm -rf "$rootfs" "$rootfs.part"
    mmdebstrap --quiet --format=tar --variant=minbase --include=ca-certificates bookworm "$rootfs.part"
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
# by NODE_EXTRA_CA_CERTS; the Dockerfile's `npm ci` steps need the same trust. It is handed to RUN
# steps only, as bind mounts (the CA file and a global npmrc whose cafile names it), never baked
# into a base: buildah removes those mount points after each RUN, and the runtime stage has no RUN
# and copies only /app/node_modules and /src/dist out of the others, so no layer of the image
# carries the CA or the npmrc (test/image checks its files and environment).
run_mounts=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$NODE_EXTRA_CA_CERTS" ]; then
  printf 'cafile=/run/vvf-build/extra-ca.crt\n' >"$cache/build-npmrc"
  run_mounts=(--volume "$NODE_EXTRA_CA_CERTS:/run/vvf-build/extra-ca.crt:ro"
    --volume "$cache/build-npmrc:/usr/local/etc/npmrc:ro")
fi

# Rebuilt only when what the build reads changed: the Dockerfile, the base and every file the
# context may hold (a superset of what .dockerignore lets through: never stale, sometimes rebuilt).
key=$( { sha256sum "$dockerfile"; "${bh[@]}" images --noheading --no-trunc --format '{{.ID}}' "$base"
  git ls-files -co --exclude-standard -z -- .dockerignore package.json package-lock.json bin functions \
    schemas scripts/build.ts | xargs -0 sha256sum; } | sha256sum | cut -c1-16)
stamp="$cache/built-$(printf %s "$tag" | tr -c 'A-Za-z0-9._-' _)"
stage_tag=localhost/vvf-build-stage:test
has() { "${bh[@]}" inspect --type image "$1" >/dev/null 2>&1; }
if [ "$(cat "$stamp" 2>/dev/null)" = "$key" ] && has "$tag" &&
  { [ "$tag" != "$default_tag" ] || has "$stage_tag"; }; then
  echo "image: $tag is up to date (context $key)"
  echo "$tag"
  exit 0
fi
rm -f "$stamp"

t0=$(date +%s)
echo "image: buildah bud -f $dockerfile --build-arg NODE_IMAGE=$base -> $tag"
# The shipped image (the default tag): --layers, every step cached as an image, so `npm ci` reruns
# only when package*.json change; its build stage is tagged $stage_tag for test/image's broken
# variants, which replace that stage by it and build without the cache (--layers=false: with vfs
# every cached step is a full copy of the root, ~0.3-0.6 GB, and costs ~10 s to make and remove).
# After it, the cached steps it did not use (older contexts) are removed.
layers=--layers=false
[ "$tag" = "$default_tag" ] && layers=--layers
log="$cache/bud-$(printf %s "$tag" | tr -c 'A-Za-z0-9._-' _).log"
"${bh[@]}" bud --isolation chroot "$layers" --pull=never "${run_mounts[@]}" \
  --build-arg "NODE_IMAGE=$base" -f "$dockerfile" -t "$tag" . 2>&1 | tee "$log" >&2
echo "image: built in $(( $(date +%s) - t0 ))s; $("${bh[@]}" images --format '{{.Size}}' "$tag")"
if [ "$tag" = "$default_tag" ]; then
  # The id the build stage ended with: the last "--> ID" before the runtime stage's first step.
  stage_id=$(awk '/^\[2\/[0-9]+\] STEP 1\//{print last; exit} /^--> /{last=$NF}' "$log")
  [ -n "$stage_id" ] && "${bh[@]}" tag "$stage_id" "$stage_tag"
  used=$(grep -oE -- '--> (Using cache )?[0-9a-f]{11,}' "$log" | grep -oE '[0-9a-f]{11,}' | cut -c1-11)
  for pass in 1 2 3; do # a cached step can go only once the steps cached on top of it are gone
    for id in $("${bh[@]}" images --all --filter dangling=true --noheading --format '{{.ID}}'); do
      grep -qx "${id:0:11}" <<<"$used" || "${bh[@]}" rmi "$id" >/dev/null 2>&1 || true
    done
  done
fi
echo "$key" >"$stamp"
echo "$tag"
