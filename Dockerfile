# syntax=docker/dockerfile:1
# Werkbank image (API, worker, metering gateway and the one-shot `migrate`; see docker-compose.yml).

FROM node:20-bookworm-slim AS build
WORKDIR /app
# npm 11 honours package.json "allowScripts" (node:20 ships npm 10, which would run all
# dependency install scripts).
ARG NPM_VERSION=11
RUN npm install -g "npm@${NPM_VERSION}" --no-audit --no-fund
COPY . .
# `npm install`, not `npm ci`: the committed lock file may lack other platforms' optional
# packages (see docs/toolchain notes).
RUN npm install --no-audit --no-fund \
 && npx --no -- tsc -b tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p .werkbank/gateway-journal \
 && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# the server processes' V8 flags, as apps/cli/server-flags.mjs (fewer young-generation GC pauses)
ENV NODE_OPTIONS=--max-semi-space-size=64
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000 3001
CMD ["node", "apps/api/dist/main.js"]
