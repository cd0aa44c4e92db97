#!/usr/bin/env bash
# `make web`: the viewer for the browser (wasm32, WebGL2) into web/dist, which `cloudhall serve`
# serves at /. wasm-bindgen-cli is installed at exactly the version of the wasm-bindgen crate in
# Cargo.lock when missing; the build uses the `web` profile (size first: Cargo.toml), then npm's
# wasm-opt; the font subset for the first screen is cut (assets/fonts/first/); every file is
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
cargo build --profile web --target wasm32-unknown-unknown --no-default-features --features viewer --bin cloudhall >&2
out=web/dist
rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
  --out-dir "$out" --out-name cloudhall \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/web/cloudhall.wasm"
# wasm-opt: Binaryen before version 116 rewrites wasm-bindgen's externref table so that the page
# fails to start ("WebAssembly.Table.set(): Argument 1 is invalid": Debian 12 has 108), so the one
# from npm's `binaryen` package (web/build) runs, installed here when missing.
wasm_opt=web/build/node_modules/.bin/wasm-opt
if [ "${WASM_OPT:-1}" != 0 ] && [ ! -x "$wasm_opt" ]; then
  (cd web/build && npm ci --no-audit --no-fund --loglevel=error) >&2 || echo "cannot install binaryen from npm" >&2
fi
if [ "${WASM_OPT:-1}" != 0 ] && [ -x "$wasm_opt" ]; then
  # The features rustc's wasm32 target uses, and no more (--all-features breaks wasm-bindgen's
  # externref table).
  before=$(stat -c %s "$out/cloudhall_bg.wasm")
  "$wasm_opt" -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-reference-types \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-multivalue --enable-mutable-globals \
    "$out/cloudhall_bg.wasm" -o "$out/cloudhall_bg.opt.wasm" \
    && mv "$out/cloudhall_bg.opt.wasm" "$out/cloudhall_bg.wasm" \
    && echo "wasm-opt: $before -> $(stat -c %s "$out/cloudhall_bg.wasm") bytes" >&2 \
    || echo "wasm-opt failed; keeping the unoptimised wasm" >&2
fi
# The font for the first screen: the characters of the tour and of the interface, cut from the
# whole font (a tenth of its size); the viewer swaps in the whole font once the hall is open.
# Written beside the font, where the server finds it (fonts/first/).
tour=${TOUR:-scenes}
font=$(ls assets/fonts/*.ttf assets/fonts/*.otf 2>/dev/null | sort | head -n 1 || true)
if [ -n "$font" ]; then
  mkdir -p "$(dirname "$font")/first"
  cat "$tour"/*.ron src/viewer/*.rs | python3 -c 'import sys; print("".join(sorted(set(c for c in sys.stdin.read() if ord(c) >= 0x80))))' > "$out/first-chars.txt"
  /usr/bin/python3 -m fontTools.subset "$font" --text-file="$out/first-chars.txt" \
    --unicodes="U+0020-007E,U+00A0-00FF,U+2000-206F,U+2190-21FF,U+25A0-25FF,U+3000-303F,U+FF00-FFEF" \
    --no-hinting --output-file="$(dirname "$font")/first/$(basename "$font")" 2>/dev/null \
    || echo "no font subset (python3-fonttools missing?): the viewer will fetch the whole font first" >&2
  rm -f "$out/first-chars.txt"
fi
cp web/index.html web/loader.js web/first.js web/device.js web/a11y.js web/sw.js web/sw-cache.mjs web/manifest.webmanifest web/icon-*.png "$out/"
printf '{"wasm_bytes": %s}\n' "$(stat -c %s "$out/cloudhall_bg.wasm")" > "$out/build.json"
for f in "$out"/*.wasm "$out"/*.js "$out"/*.mjs "$out"/*.html "$out"/*.webmanifest; do
  gzip -9 -k -f "$f"
  brotli -q "${BROTLI_Q:-11}" -k -f "$f"
done
ls -l "$out" >&2
echo "web viewer in $out: run \`cloudhall serve\` and open http://127.0.0.1:8080/" >&2
