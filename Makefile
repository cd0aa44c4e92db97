# cloudhall: `make run` and `make test` are the whole set-up on a Debian machine with Rust.
# Missing system packages are installed with apt-get first (as root, or through sudo).

SHELL := /bin/bash
# One build folder outside the clone, so every clone and every CI run reuses the same build.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/cloudhall/target
# Headless rendering in tests runs on Vulkan (Mesa's lavapipe where there is no GPU).
export WGPU_BACKEND ?= vulkan
CARGO ?= cargo

# Building and running the viewer: ALSA for audio, X11 and xkbcommon for the window, Vulkan;
# nasm for libjpeg-turbo's SIMD in `cloudhall tiles`; ffmpeg for the studio, which converts a
# curator's narration (any common format, or the page's recording) to the Ogg Vorbis the hall plays.
APT_PACKAGES := pkg-config libasound2-dev libudev-dev libx11-dev libxcursor1 libxrandr2 libxi6 \
	libxkbcommon-x11-0 libxkbcommon-dev libvulkan1 mesa-vulkan-drivers nasm ffmpeg
# The browser build (`make web`): brotli, fontTools (the first screen's font subset), and Node for
# npm's binaryen (wasm-opt; Debian's is too old).
APT_WEB := brotli python3-fonttools
# The browser tests: Debian's Chromium, driven by playwright-core under Node; Pannellum's own
# pyramid generator (generate.py from its npm package), which runs nona (hugin-tools) and Pillow;
# a Chinese font, so that the studio's screenshots for the README show its Chinese labels.
APT_E2E := chromium hugin-tools python3-pil fonts-wqy-microhei
# Regenerating the sample content (`make content`).
APT_CONTENT := espeak-ng vorbis-tools fonts-wqy-microhei

.PHONY: run test check screenshot content deps deps-content wasm-target fmt web deps-web deps-e2e fuzz

# Opens the viewer on the bundled tour; without a display, renders a screenshot instead.
run: deps
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(CARGO) run --bin cloudhall -- view; \
	else \
		echo "no display: checking the tour and rendering cloudhall-screenshot.png instead of opening a window"; \
		mkdir -p -m 700 $${XDG_RUNTIME_DIR:-/tmp/cloudhall-xdg-$$(id -u)}; \
		$(CARGO) run --bin cloudhall -- check scenes && \
		XDG_RUNTIME_DIR=$${XDG_RUNTIME_DIR:-/tmp/cloudhall-xdg-$$(id -u)} \
			$(CARGO) run --bin cloudhall -- view --screenshot cloudhall-screenshot.png; \
	fi

# The server's tests run on SQLite and on a local PostgreSQL that tools/pg-test.sh starts; then
# the web viewer is built (`make web`) and tested in headless Chromium against `cloudhall serve`.
test: deps deps-web deps-e2e wasm-target
	@mkdir -p -m 700 $${XDG_RUNTIME_DIR:-/tmp/cloudhall-xdg-$$(id -u)}
	pg_url=$$(./tools/pg-test.sh) && \
	CLOUDHALL_TEST_POSTGRES_URL=$$pg_url XDG_RUNTIME_DIR=$${XDG_RUNTIME_DIR:-/tmp/cloudhall-xdg-$$(id -u)} \
		$(CARGO) test --all-targets --no-fail-fast
	./tools/build-web.sh
	$(CARGO) build --bin cloudhall
	cd web/e2e && npm ci --no-audit --no-fund --loglevel=error && \
		CLOUDHALL_BIN=$(CARGO_TARGET_DIR)/debug/cloudhall npm test

# The viewer for the browser into web/dist, served by `cloudhall serve` at /.
web: deps-web wasm-target
	./tools/build-web.sh

deps-web:
	@./tools/apt-install.sh $(APT_WEB)
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || ./tools/apt-install.sh nodejs npm

# Node from the system when there is one (it may not be Debian's package), else Debian's.
deps-e2e:
	@./tools/apt-install.sh $(APT_E2E)
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || ./tools/apt-install.sh nodejs npm

check: deps
	$(CARGO) run --bin cloudhall -- check scenes

# The fuzz targets under fuzz/ (nightly Rust and cargo-fuzz, installed here if missing), each for
# FUZZ_SECONDS; new inputs go to a corpus outside the clone, crashes to fuzz/artifacts/.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= check_bytes check_bundled live_message import_pannellum import_marzipano import_krpano
fuzz:
	@rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	for t in $(FUZZ_TARGETS); do \
		mkdir -p $(HOME)/.cache/cloudhall/fuzz-corpus/$$t && \
		CARGO_TARGET_DIR=$(HOME)/.cache/cloudhall/fuzz-target $(CARGO) +nightly fuzz run -O $$t \
			$(HOME)/.cache/cloudhall/fuzz-corpus/$$t fuzz/seeds/$$t -- \
			-max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=3000 || exit 1; \
	done

screenshot: deps
	$(CARGO) run --bin cloudhall -- view --screenshot cloudhall-screenshot.png

# Regenerates scenes/*.ron, panoramas, thumbnails, narration and floor plans from tools/content.
content: deps deps-content
	$(CARGO) run --release --no-default-features --example gen-content

fmt:
	$(CARGO) fmt

deps:
	@./tools/apt-install.sh $(APT_PACKAGES)

deps-content:
	@./tools/apt-install.sh $(APT_CONTENT)

wasm-target:
	@if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then \
		rustup target add wasm32-unknown-unknown; \
	fi
