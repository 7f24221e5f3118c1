# syntax=docker/dockerfile:1
# Multi-stage: build with dev dependencies, ship production dependencies only, run as non-root.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds dist/, but the sources are copied below; `npm run build` does it.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY commands ./commands
COPY views ./views
COPY bin ./bin
# The MWAA REST client the bot shares with the DAG-trigger Lambda (src/aws/mwaa-dag-trigger.ts).
COPY lambda/dag-trigger/src ./lambda/dag-trigger/src
RUN npm run build

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim AS runtime
# No MLOPS_CONFIG here: set explicitly, the file must exist, and a plain `docker run` would exit 1.
# The default ./mlops.config.yml is /app/mlops.config.yml (mount it there, or set MLOPS_CONFIG).
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json manifest.yml mlops.config.example.yml ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# Not `npm start`: npm would rebuild (prestart) and swallow signals; node gets SIGTERM directly.
CMD ["node", "dist/src/main.js"]
