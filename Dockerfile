# placelink: build with `docker build -t placelink .`, run with
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://user:pass@db:5432/places placelink
# Without DATABASE_URL it runs on the embedded PostGIS in /data (mount a volume to keep it).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` compiles TypeScript through the prepare script; dev dependencies are dropped afterwards.
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    PLACELINK_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY mappings ./mappings
COPY contexts ./contexts
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs directly as PID 1, so it receives SIGTERM itself and shuts down gracefully.
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
