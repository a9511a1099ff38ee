#!/bin/sh
# Builds berth-test/node:latest locally (no registry needed): the host's node binary with the shared
# libraries `ldd` lists for it, the AWS SDK's STS client with its dependencies copied from this
# repository's node_modules, and /app/whoami.mjs (scripts/test-node-image/), which prints the
# caller identity STS answers for the container's credentials. The task role test runs it.
# Imported with `docker import` on top of nothing but those files.
#
# Usage: scripts/build-test-node-image.sh [--force]
#   Idempotent: does nothing when the image exists, unless --force (rebuild after editing whoami.mjs).
set -eu
cd "$(dirname "$0")/.."

IMAGE=berth-test/node:latest
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [ "$FORCE" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE already exists (use --force to rebuild)"
  exit 0
fi
NODE=$(command -v node)
if [ ! -d node_modules/@aws-sdk/client-sts ]; then
  echo "node_modules/@aws-sdk/client-sts is missing: run npm ci first" >&2
  exit 1
fi

ROOT=$(mktemp -d /tmp/berth-test-node-rootfs.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT INT TERM
mkdir -p "$ROOT/usr/local/bin" "$ROOT/app/node_modules" "$ROOT/tmp" "$ROOT/etc" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev"
chmod 1777 "$ROOT/tmp"
cp "$NODE" "$ROOT/usr/local/bin/node"
# The dynamic loader and every library node links against, at the same paths.
for lib in $(ldd "$NODE" | grep -o '/[^ ]*'); do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"
# @aws-sdk/client-sts and its dependency closure (as Node resolves them from each package).
node -e '
  const { existsSync, readFileSync } = require("node:fs");
  const { dirname, join, relative } = require("node:path");
  const seen = new Set();
  // Node resolution without "exports": <dir>/node_modules/<name>, then each parent directory.
  const find = (name, from) => {
    for (let d = from; ; d = dirname(d)) {
      const candidate = join(d, "node_modules", name);
      if (existsSync(join(candidate, "package.json"))) return candidate;
      if (dirname(d) === d) throw new Error(`cannot find ${name} from ${from}`);
    }
  };
  const walk = (name, from) => {
    const dir = find(name, from);
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    for (const d of Object.keys(pkg.dependencies ?? {})) walk(d, dir);
  };
  walk("@aws-sdk/client-sts", process.cwd());
  for (const d of seen) console.log(relative(process.cwd(), d));
' >"$ROOT/packages"
while read -r dir; do
  mkdir -p "$ROOT/app/$(dirname "$dir")"
  cp -a "$dir" "$ROOT/app/$dir"
done <"$ROOT/packages"
rm "$ROOT/packages"
cp scripts/test-node-image/whoami.mjs "$ROOT/app/whoami.mjs"

tar -C "$ROOT" -c . | docker import \
  --change 'CMD ["node", "/app/whoami.mjs"]' \
  --change 'WORKDIR /app' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  - "$IMAGE" >/dev/null
echo "built $IMAGE"
