#!/bin/sh
# Builds berth-test/busybox:latest locally (no registry needed): a rootfs holding the static
# busybox from the busybox-static package, a symlink per applet (sh, sleep, httpd, wget, cat, …),
# /tmp, /etc/passwd + /etc/group with root and nobody, imported with `docker import`.
#
# Usage: scripts/build-test-image.sh [--force]
#   Idempotent: does nothing when the image exists, unless --force.
#   BUSYBOX=/path/to/static/busybox overrides the binary (default: /bin/busybox).
#
# A memory hog for OOM tests needs nothing but busybox: the shell holds 200 MiB in a variable, so
# under `--memory 32m` it is OOM-killed (exit 137, State.OOMKilled=true; verified on cgroup v1):
#   sh -c 'x=$(head -c 200m /dev/zero | tr "\0" x)'
# (so is `dd if=/dev/zero of=/dev/null bs=100M count=1`, whose buffer is 100 MiB). A pipeline that
# only streams, such as `head -c 200m /dev/zero | tail -c 1`, never holds the memory: it exits 0.
set -eu

IMAGE=berth-test/busybox:latest
BUSYBOX=${BUSYBOX:-/bin/busybox}
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [ "$FORCE" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE already exists (use --force to rebuild)"
  exit 0
fi

if [ ! -x "$BUSYBOX" ]; then
  echo "no busybox at $BUSYBOX: apt-get install busybox-static (or set BUSYBOX=)" >&2
  exit 1
fi
# ldd succeeds only on dynamically linked binaries, which would not run in an empty rootfs.
if command -v ldd >/dev/null 2>&1 && ldd "$BUSYBOX" >/dev/null 2>&1; then
  echo "$BUSYBOX is not statically linked; the image could not run it" >&2
  exit 1
fi

ROOT=$(mktemp -d /tmp/berth-test-rootfs.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT INT TERM

mkdir -p "$ROOT/bin" "$ROOT/sbin" "$ROOT/usr/bin" "$ROOT/usr/sbin" "$ROOT/etc" "$ROOT/root" \
  "$ROOT/tmp" "$ROOT/var/www" "$ROOT/home" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev"
chmod 1777 "$ROOT/tmp"
cp "$BUSYBOX" "$ROOT/bin/busybox"
chmod 755 "$ROOT/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] && continue
  ln -sf busybox "$ROOT/bin/$applet"
done

cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
EOF
echo 'hello from berth-test' >"$ROOT/var/www/index.html"

tar -C "$ROOT" -c . | docker import \
  --change 'CMD ["sh"]' \
  --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
  - "$IMAGE" >/dev/null
echo "built $IMAGE"
