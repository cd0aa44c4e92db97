# cloudhall: `make run` and `make test` are the whole set-up on a Debian machine with Rust.
# Missing system packages are installed with apt-get first (as root, or through sudo).

SHELL := /bin/bash
# One build folder outside the clone, so every clone and every CI run reuses the same build.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/cloudhall/target
CARGO ?= cargo

# What building, running and testing need.
APT_PACKAGES := pkg-config
# What regenerating the sample content needs (`make content`).
APT_CONTENT := espeak-ng vorbis-tools fonts-wqy-microhei

.PHONY: run test check content deps deps-content fmt

run: deps
	$(CARGO) run --bin cloudhall -- check scenes

test: deps
	$(CARGO) test --all-targets
	$(CARGO) run --bin cloudhall -- check scenes

check: deps
	$(CARGO) run --bin cloudhall -- check scenes

# Regenerates scenes/*.ron, panoramas, thumbnails, narration and floor plans from tools/content.
content: deps deps-content
	$(CARGO) run --release --no-default-features --example gen-content

fmt:
	$(CARGO) fmt

deps:
	@./tools/apt-install.sh $(APT_PACKAGES)

deps-content:
	@./tools/apt-install.sh $(APT_CONTENT)
