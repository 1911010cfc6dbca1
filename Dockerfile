# The app image: webhook and worker are the same image with different commands.
# glibc base on purpose: the Temporal core bridge has no musl (Alpine) build.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json temporal-cli.version ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY migrations ./migrations
COPY scripts ./scripts

USER node
EXPOSE 7778
CMD ["npx", "tsx", "src/worker.ts"]
