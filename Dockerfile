# syntax=docker/dockerfile:1
# The Slipway image: one image for the worker, the model server and the HTTP API (the compose
# file picks the entry point). Slipway runs from TypeScript source through tsx, which is why tsx
# is a production dependency; no build step, so the image runs exactly the reviewed files.
#   docker build -t slipway --build-arg SLIPWAY_CODE_VERSION="$(git rev-parse HEAD)" .
ARG NODE_IMAGE=node:20-bookworm-slim

# Production node_modules only. better-sqlite3 and DuckDB ship prebuilt binaries; the compilers are
# here for platforms without one.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund

# The scikit-learn trainer's pinned venv (trainers/*/requirements.txt), built by the same script as
# on a laptop; pipelines call it as .venv/bin/python. Also DuckDB's httpfs extension for remote
# sources (scripts/duckdb-extensions.sh), copied out of its venv as a plain file: the worker checks
# its pinned sha256 before loading it (an image for another CPU gets another file, refused).
FROM ${NODE_IMAGE} AS trainers
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
COPY scripts/lib/venv.sh scripts/lib/venv.sh
COPY scripts/python-env.sh scripts/duckdb-extensions.sh scripts/
COPY scripts/test-tools/duckdb-extensions.txt scripts/test-tools/duckdb-extensions.txt
COPY trainers trainers
RUN ./scripts/python-env.sh && mkdir -p /app/duckdb && cp -L "$(./scripts/duckdb-extensions.sh)" /app/duckdb/httpfs.duckdb_extension

# The sample data the shipped pipelines read (`package:vega-datasets/...`). vega-datasets is a dev
# dependency (42 MB of samples); this stage fetches the version package-lock.json pins (npm checks the
# registry's integrity hash) and the image keeps only the files pipelines/ and the README name.
FROM ${NODE_IMAGE} AS sample-data
WORKDIR /sample
COPY package-lock.json /app/package-lock.json
RUN version="$(node -p "require('/app/package-lock.json').packages['node_modules/vega-datasets'].version")" \
 && npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund "vega-datasets@${version}"

FROM ${NODE_IMAGE} AS runtime
# python3: the venv's interpreter (same base image, so the same /usr/bin/python3); tini reaps the
# trainer processes and forwards SIGTERM, so workers drain in-flight activities on `docker stop`.
RUN apt-get update && apt-get install -y --no-install-recommends python3 tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ARG SLIPWAY_CODE_VERSION=unknown
ENV NODE_ENV=production \
    SLIPWAY_CODE_VERSION=${SLIPWAY_CODE_VERSION} \
    SLIPWAY_DATA_DIR=/data \
    SLIPWAY_PIPELINES_DIR=/app/pipelines
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=sample-data /sample/node_modules/vega-datasets/package.json node_modules/vega-datasets/package.json
COPY --from=sample-data /sample/node_modules/vega-datasets/data/flights-3m.parquet /sample/node_modules/vega-datasets/data/seattle-weather.csv /sample/node_modules/vega-datasets/data/penguins.json node_modules/vega-datasets/data/
COPY --from=trainers /app/.venv .venv
COPY --from=trainers /app/duckdb/httpfs.duckdb_extension .tools/duckdb-extensions/httpfs.duckdb_extension
COPY package.json package-lock.json tsconfig.json ./
COPY bin bin
# src only: tools/ (demo, simulation, traffic replay) and test/ use dev dependencies the image has not got.
COPY src src
COPY pipelines pipelines
COPY trainers trainers
# The image's `node` user (uid 1000) owns only the data folder; the code stays read-only to it.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# 8080 HTTP API, 8090 model server, 9464 worker /metrics.
EXPOSE 8080 8090 9464
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node_modules/.bin/tsx", "src/worker.ts"]
