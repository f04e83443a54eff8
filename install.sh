#!/usr/bin/env bash
# First command of the README: on a fresh Debian 12 machine (root, Node/npm, gcc) install what moat
# needs, build libmoat and the sentry, and run a demo container from a busybox-static bundle.
# Set MOAT_NO_DEMO=1 to skip the demo.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

# Root, or a user with sudo: then it runs itself again through sudo (a root-only machine has none).
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo env MOAT_NO_DEMO="${MOAT_NO_DEMO:-}" bash "$PWD/install.sh" "$@"
  fi
  echo "install.sh: run as root (it installs Debian packages and runs a container)" >&2
  exit 1
fi

# Debian packages: musl (the static sentry), libseccomp (linked statically), busybox-static (the
# demo and test rootfs), runc and crun (side-by-side benchmarks), podman and containerd (the
# end-to-end tests drive them with moat as their runtime), python3 (a console-socket peer in
# the tests: Deno cannot receive SCM_RIGHTS), containernetworking-plugins and iproute2 (the pods'
# network of the CRI tests), criu (checkpoint/restore; `moat features` says whether it works on
# this kernel), docker.io (Docker 20.10: the tests run a private dockerd; they call
# /usr/bin/docker and /usr/sbin/dockerd by full path).
pkgs=(make gcc musl-tools libseccomp-dev busybox-static runc crun python3 util-linux
  podman conmon containerd fuse-overlayfs uidmap iptables catatonit
  containernetworking-plugins iproute2 criu docker.io)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Deno itself comes from the npm registry, into .deno/ (kept apart from the project root so Deno
# does not treat the project as an npm package).
DENO_VERSION=2.9.6
if [ "$(.deno/bin/deno --version 2>/dev/null | head -1 | cut -d' ' -f2)" != "$DENO_VERSION" ]; then
  mkdir -p .deno/bin
  npm install --prefix .deno --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION"
  ln -sf ../node_modules/@deno/linux-x64-glibc/deno .deno/bin/deno
fi

# npm packages of the tests (the CRI tests' gRPC client), exactly as locked, into tests/npm/ (no
# npm state at the project root; no install scripts run). The copy of the lock says what is there.
if ! cmp -s tests/npm/package-lock.json tests/npm/node_modules/.moat-installed-lock; then
  npm ci --prefix tests/npm --ignore-scripts --no-audit --no-fund --loglevel=error
  cp tests/npm/package-lock.json tests/npm/node_modules/.moat-installed-lock
fi

make -C sentry -s
# the prebuilt command line bin/moat runs (tools/build_cli.ts)
.deno/bin/deno run --allow-all --no-lock --no-config tools/build_cli.ts

if [ -z "${MOAT_NO_DEMO:-}" ]; then
  .deno/bin/deno task demo
fi
