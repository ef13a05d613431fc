#!/usr/bin/env bash
# The docker-compose topology on one machine without Docker: redis-server, N mayfly instances and a
# WebSocket-aware balancer (nginx when installed, else scripts/balancer.ts). Ctrl-C stops everything.
# Usage: bash scripts/cluster.sh [instances=2] [port=8080]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-${INSTANCES:-2}}
PORT=${2:-${PORT:-8080}}
REDIS_PORT=${REDIS_PORT:-6390}
BUN=${BUN:-$(command -v bun || echo node_modules/.bin/bun)}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

command -v redis-server >/dev/null || { echo "redis-server is required (apt-get install redis-server)"; exit 1; }
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
pids+=($!)

# Every instance hands out links to the balancer, never to itself: to PUBLIC_URL when it is set in
# the environment, else to the origin the browser used (the balancer forwards its Host and port, and
# TRUST_PROXY lets the instances read it), so http://localhost:$PORT and http://127.0.0.1:$PORT both work.
upstreams=()
for i in $(seq 1 "$N"); do
  p=$((PORT + i))
  STORAGE_URL="redis://127.0.0.1:$REDIS_PORT" PORT=$p HOST=127.0.0.1 \
    TRUST_PROXY=true RATE_LIMIT_EXEMPT="${RATE_LIMIT_EXEMPT:-127.0.0.1}" "$BUN" src/index.ts &
  pids+=($!)
  upstreams+=("http://127.0.0.1:$p")
done

if command -v nginx >/dev/null && [ -z "${NO_NGINX:-}" ]; then
  conf=$(mktemp -d)
  servers=$(for u in "${upstreams[@]}"; do printf 'server %s max_fails=1 fail_timeout=2s; ' "${u#http://}"; done)
  sed -e "s|#UPSTREAMS#|$servers|" -e "s|listen 80;|listen 127.0.0.1:$PORT;|" deploy/nginx.conf > "$conf/nginx.conf"
  nginx -p "$conf" -c "$conf/nginx.conf" -g "daemon off; pid $conf/nginx.pid; error_log stderr;" &
  pids+=($!)
else
  UPSTREAMS=$(IFS=,; echo "${upstreams[*]}") PORT=$PORT "$BUN" scripts/balancer.ts &
  pids+=($!)
fi
echo "mayfly cluster: http://127.0.0.1:$PORT  ($N instances, redis on $REDIS_PORT)"
wait
