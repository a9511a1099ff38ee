# A `berth` image: the server, or an agent that runs its tasks' containers on the host's Docker
# engine through the mounted socket (README "Running an agent on another host").
#   docker build -t berth .
#   docker run -d --name berth-agent --network host -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /var/lib/berth:/var/lib/berth -v /etc/berth/ca.pem:/etc/berth/ca.pem:ro \
#     -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_REGION=us-east-1 \
#     berth agent --cluster prod --endpoint https://berth.example:4566 --ca /etc/berth/ca.pem \
#       --ip 10.0.0.12 --state-dir /var/lib/berth/agent
# A registry mirror's Node 20 image works too: docker build --build-arg NODE_IMAGE=mirror.example/node:20-bookworm-slim .
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE} AS build
WORKDIR /berth
# better-sqlite3 compiles itself when its prebuilt binary cannot be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json README.md ./
COPY bin ./bin
COPY src ./src
# npm ci runs `prepare` (tsc): dist/ is built here; then the dev dependencies go.
RUN npm ci && npm prune --omit=dev

FROM ${NODE_IMAGE}
WORKDIR /berth
ENV AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true NODE_ENV=production
COPY --from=build /berth/package.json /berth/README.md ./
COPY --from=build /berth/bin ./bin
COPY --from=build /berth/dist ./dist
COPY --from=build /berth/node_modules ./node_modules
EXPOSE 4566
ENTRYPOINT ["node", "/berth/bin/berth.js"]
CMD ["--help"]
