# mayfly's image. Dependencies come from the committed package-lock.json (the project's one lockfile),
# production only; then Bun, the same major.minor as package.json's, runs the TypeScript directly.
FROM node:22-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM oven/bun:1.4
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY static ./static
ENV PORT=3000 HOST=0.0.0.0 NODE_ENV=production
EXPOSE 3000
USER bun
CMD ["bun", "src/index.ts"]
