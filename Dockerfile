# The Nitrox image for machines with a registry: `docker build -t <registry>/nitrox:0.1.0 .` in a clone.
# The build stage bundles the `nitrox` command (scripts/image/) and assembles the root filesystem from the base
# image's own Node.js binary and the libraries it links; the final stage is that filesystem alone on an empty
# image: no shell, no npm, no dev dependencies, the unprivileged user 65532, Node.js itself handling SIGTERM.
# On a machine with no registry, `npm run image` builds the same final stage from this machine's Node.js.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx tsx scripts/image.ts --context-only --out /image --node "$(command -v node)"

# The final stage: kept equal to scripts/image/context.ts#finalStage by a test (the revision label aside).
FROM scratch
COPY --from=build /image/rootfs/ /
USER 65532:65532
WORKDIR /app
ENV NODE_ENV=production
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/node", "/app/bin/nitrox.mjs"]
CMD ["--help"]
LABEL org.opencontainers.image.title="nitrox" \
      org.opencontainers.image.description="Keeps load-balancer pools equal to the live endpoints of applications." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0"
