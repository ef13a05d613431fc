# mayfly's image: Bun runs the TypeScript directly; no build step.
FROM oven/bun:1.3
WORKDIR /app
COPY package.json bun.lock* package-lock.json* ./
RUN bun install --production --ignore-scripts
COPY src ./src
COPY static ./static
ENV PORT=3000 HOST=0.0.0.0
EXPOSE 3000
USER bun
CMD ["bun", "src/index.ts"]
