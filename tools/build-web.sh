#!/usr/bin/env bash
# `make web`: the viewer for the browser (wasm32, WebGL2) into web/dist, which `cloudhall serve`
# serves at /. wasm-bindgen-cli is installed at exactly the version of the wasm-bindgen crate in
# Cargo.lock when missing; wasm-opt runs where it is installed (and new enough); every file is
# precompressed (gzip and brotli) for the server to send as the browser accepts. WASM_OPT=0 skips
# wasm-opt and BROTLI_Q=5 compresses faster, for a quicker build while iterating.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cloudhall/target}"
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "installing wasm-bindgen-cli $want (found: ${have:-none})" >&2
  cargo install wasm-bindgen-cli --version "$want" >&2
fi
cargo build --release --target wasm32-unknown-unknown --no-default-features --features viewer --bin cloudhall >&2
out=web/dist
rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir "$out" --out-name cloudhall \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/cloudhall.wasm"
# Binaryen before version 116 rewrites wasm-bindgen's externref table so that the page fails to
# start ("WebAssembly.Table.set(): Argument 1 is invalid": seen with Debian 12's binaryen 108),
# so wasm-opt runs only when it is newer.
opt_version=$(wasm-opt --version 2>/dev/null | awk '{print $3}' || true)
if [ "${WASM_OPT:-1}" != 0 ] && [ -n "$opt_version" ] && [ "$opt_version" -lt 116 ] 2>/dev/null; then
  echo "wasm-opt $opt_version is older than 116 and breaks wasm-bindgen's output: not running it" >&2
elif [ "${WASM_OPT:-1}" != 0 ] && command -v wasm-opt >/dev/null 2>&1; then
  # The features rustc's wasm32 target uses, and no more (--all-features breaks wasm-bindgen's
  # externref table).
  wasm-opt -Os --strip-debug --strip-producers --enable-bulk-memory --enable-reference-types \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-multivalue --enable-mutable-globals \
    "$out/cloudhall_bg.wasm" -o "$out/cloudhall_bg.opt.wasm" \
    && mv "$out/cloudhall_bg.opt.wasm" "$out/cloudhall_bg.wasm" \
    || echo "wasm-opt failed; keeping the unoptimised wasm" >&2
fi
cp web/index.html web/loader.js "$out/"
printf '{"wasm_bytes": %s}\n' "$(stat -c %s "$out/cloudhall_bg.wasm")" > "$out/build.json"
for f in "$out"/*.wasm "$out"/*.js "$out"/*.html; do
  gzip -9 -k -f "$f"
  brotli -q "${BROTLI_Q:-11}" -k -f "$f"
done
ls -l "$out" >&2
echo "web viewer in $out: run \`cloudhall serve\` and open http://127.0.0.1:8080/" >&2
