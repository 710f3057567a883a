# syntax=docker/dockerfile:1
# The one image every function runs: the Knative Service (config/) or func.yaml picks the function
# with the FUNCTION variable. Build from the repository root:
#   docker build -t REGISTRY/velero-vmgroup-functions:TAG .
#
# The base is pinned by version and must be the Node release the tests run on (package.json's
# `node` devDependency; test/config/dockerfile.test.ts checks). Pin its digest too when you build
# (`docker buildx imagetools inspect node:<version>` prints it); it cannot be looked up from where
# this file is written and tested.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- build: full install, then the esbuild bundle (dist/) -------------------------------------
# dist/ bundles every production dependency (esbuild, no externals), so the runtime stage needs no
# node_modules: the image test runs every function from it (test/image, docs/testing.md).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied in.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY scripts/build.ts scripts/
COPY schemas/ schemas/
COPY functions/ functions/
RUN node scripts/build.ts

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
# Owned by root and not writable by the process: the container runs with a read-only root file system.
COPY --from=build /src/dist ./dist
# package.json: "type": "module" makes Node load bin/ and dist/ as ES modules.
COPY package.json ./
COPY bin/ ./bin/
# The base image's unprivileged `node` user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080
# No HEALTHCHECK: Knative probes /health/readiness and /health/liveness (config/base/patches).
ENTRYPOINT ["node", "--enable-source-maps", "--max-semi-space-size=16", "--min-semi-space-size=16", "/app/bin/velero-vmgroup-functions.js"]
CMD ["serve"]
