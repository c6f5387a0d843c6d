#!/usr/bin/env bash
# Builds feedlab for the browser into web/dist/: index.html, feedlab-web.js (the JS glue) and
# feedlab-web_bg.wasm, with every scenario and lesson bundled into the wasm. Serve the folder with
# any static file server, e.g. `python3 -m http.server -d web/dist 8000`.
#
# Installs what it needs from the Rust toolchain and crates.io when missing: the
# wasm32-unknown-unknown target (rustup) and wasm-bindgen-cli at the version of the wasm-bindgen
# crate in Cargo.lock (the glue and the crate must match). If `wasm-opt` (binaryen) is on PATH it
# also shrinks the wasm; it is optional.
#
# Honours CARGO_TARGET_DIR. Prints the sizes of what a browser downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
dist=web/dist

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi

# The wasm-bindgen version in Cargo.lock: the line after `name = "wasm-bindgen"`.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
    echo "installing wasm-bindgen-cli $bindgen_version from crates.io" >&2
    cargo install --locked wasm-bindgen-cli --version "$bindgen_version"
fi

cargo build --profile web --target wasm32-unknown-unknown \
    --no-default-features --features web --bin feedlab-web

rm -rf "$dist"
mkdir -p "$dist"
# Without the name section (a quarter of the wasm): panics still say what and where.
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$dist" --out-name feedlab-web \
    "$target_dir/wasm32-unknown-unknown/web/feedlab-web.wasm"
if command -v wasm-opt >/dev/null 2>&1; then
    wasm-opt -Os --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals --enable-reference-types --enable-multivalue \
        -o "$dist/feedlab-web_bg.opt.wasm" "$dist/feedlab-web_bg.wasm"
    mv "$dist/feedlab-web_bg.opt.wasm" "$dist/feedlab-web_bg.wasm"
fi
cp web/index.html "$dist/"

# What a browser downloads: raw, and as a server would send it compressed.
wasm="$dist/feedlab-web_bg.wasm"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "web/dist/ built:"
echo "  wasm raw:    $(mib "$(stat -c %s "$wasm")")"
echo "  wasm gzip-9: $(mib "$(gzip -9 -c "$wasm" | wc -c)")"
if command -v brotli >/dev/null 2>&1; then
    echo "  wasm brotli: $(mib "$(brotli -c -q 11 "$wasm" | wc -c)")"
fi
echo "  JS glue:     $(stat -c %s "$dist/feedlab-web.js") bytes; index.html $(stat -c %s "$dist/index.html") bytes"
