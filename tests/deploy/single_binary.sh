#!/bin/sh
# The binary alone is the application: copy the built binary into an empty directory, start it
# there (the embedded PostgreSQL in that directory, or DATABASE_URL if set), and fetch the CSS and
# JavaScript a page links. When it may (root with mount namespaces), it also hides the source tree
# from the server, so that nothing can be read from where the binary was built.
#
#   cargo build --release && tests/deploy/single_binary.sh
#   AFTERSALES_BIN=target/debug/aftersales tests/deploy/single_binary.sh   # any build will do
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AFTERSALES_BIN:-$root/target/release/aftersales}
if [ ! -x "$bin" ]; then
    echo "no binary at $bin: run 'cargo build --release' first, or set AFTERSALES_BIN" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/as-deploy.XXXXXX")
# As root the embedded PostgreSQL runs as `postgres`, which must reach the data directory.
chmod 755 "$work"
cp "$bin" "$work/aftersales"
server=""
cleanup() {
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

cd "$work"
export AFTERSALES_DATA_DIR="$work/data" AFTERSALES_SWEEP_SECS=0 AFTERSALES_LOG=warn
if [ "$(id -u)" = 0 ] && unshare --mount true 2>/dev/null; then
    mkdir "$work/empty"
    unshare --mount sh -c 'mount --bind "$1" "$2" && exec ./aftersales serve --listen 127.0.0.1:0' \
        sh "$work/empty" "$root" >"$work/serve.log" 2>&1 &
    echo "source tree hidden from the server"
else
    ./aftersales serve --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
    echo "note: cannot hide the source tree here (needs root and unshare); checking the copy only"
fi
server=$!

address=""
for _ in $(seq 1 240); do
    address=$(sed -n 's|.*running at \(http://[^/ ]*\)/.*|\1|p' "$work/serve.log" | head -n 1)
    [ -n "$address" ] && break
    if ! kill -0 "$server" 2>/dev/null; then break; fi
    sleep 0.5
done
if [ -z "$address" ]; then
    echo "FAIL: the server did not start:" >&2
    cat "$work/serve.log" >&2
    exit 1
fi

page=$(curl -fsS "$address/login")
links=$(printf '%s\n' "$page" | grep -o '\(href\|src\)="/static/[^"]*"' | sed 's/^[a-z]*="//; s/"$//')
css=0
js=0
for link in $links; do
    headers=$(curl -fsS -o /dev/null -D - "$address$link" | tr -d '\r' | tr 'A-Z' 'a-z')
    case "$link" in
        *.css) want="content-type: text/css"; css=$((css + 1)) ;;
        *.js) want="content-type: text/javascript"; js=$((js + 1)) ;;
        *.svg) want="content-type: image/svg+xml" ;;
        *) echo "FAIL: unexpected asset $link" >&2; exit 1 ;;
    esac
    if ! printf '%s\n' "$headers" | grep -q "^$want"; then
        echo "FAIL: $link: wrong content type" >&2; printf '%s\n' "$headers" >&2; exit 1
    fi
    if ! printf '%s\n' "$headers" | grep -q '^cache-control: public, max-age=31536000, immutable'; then
        echo "FAIL: $link: no long-lived cache header" >&2; exit 1
    fi
    echo "ok  $link"
done
if [ "$css" -lt 1 ] || [ "$js" -lt 1 ]; then
    echo "FAIL: the page links $css CSS and $js JavaScript files" >&2
    exit 1
fi
echo "PASS: the copied binary served $css CSS and $js JavaScript files"
