# SPDX-License-Identifier: Apache-2.0
# nca-fpga top-level build. `make` builds the host tools, `make test` runs every test.

CC      ?= cc
BUILD   ?= build
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT     ?= -O3 -g
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) -Ihost/include $(FTDI_DEF) $(CFLAGS)
# libftdi1 (the usb transport) when pkg-config finds it; without it that transport says so
FTDI_CFLAGS := $(shell pkg-config --cflags libftdi1 2>/dev/null)
FTDI_LIBS   := $(shell pkg-config --libs libftdi1 2>/dev/null)
FTDI_DEF    := $(if $(FTDI_LIBS),-DNCA_HAVE_LIBFTDI=1 $(FTDI_CFLAGS))
LIBS    := -lcjson -lpng -lz -lm $(FTDI_LIBS)
# the live views (host/ui/, linked into nca-host only): SDL2 and giflib
SDL_CFLAGS := $(shell pkg-config --cflags sdl2 2>/dev/null)
SDL_LIBS   := $(shell pkg-config --libs sdl2 2>/dev/null)
UI_LIBS    := $(SDL_LIBS) -lgif
SAN     := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC := $(wildcard host/src/*.c)
LIB_HDR := $(wildcard host/include/*.h) $(wildcard host/src/*.h)
UI_SRC  := $(wildcard host/ui/*.c)
UI_HDR  := $(wildcard host/ui/*.h)
TOOLS   := nca-host nca-convert nca-grayscott

.PHONY: all test test-build test-c test-py clean help demo bench sim live
all: $(addprefix $(BUILD)/,$(TOOLS))

# watch it: the live view (window when a display is there, else the terminal)
live: $(BUILD)/nca-host
	$(BUILD)/nca-host --model $(DEMO_MODEL)

# grow the regenerating lizard from one cell, damage it, let it regrow: PNGs in build/demo/
DEMO_MODEL ?= weights/regen.bin
demo: $(BUILD)/nca-host
	@mkdir -p $(BUILD)/demo
	@for n in 50 100 200 400; do \
	  $(BUILD)/nca-host --model $(DEMO_MODEL) --grid 72x72 --steps $$n --quiet \
	    --save-frame $(BUILD)/demo/grow-$$n.png || exit 1; done
	@$(BUILD)/nca-host --model $(DEMO_MODEL) --grid 72x72 --steps 300 --quiet \
	  --damage half:right@200 --save-frame $(BUILD)/demo/regrow.png
	@$(BUILD)/nca-host --model $(DEMO_MODEL) --grid 72x72 --steps 400 \
	  --target weights/targets/lizard.png --report 100
	@echo "demo: frames in $(BUILD)/demo/ (grow-50..400.png, regrow.png after erasing the right half)"

# the README's pictures (growth.png, emoji.png, live.gif) remade from the shipped models
.PHONY: pictures
pictures: $(BUILD)/nca-host
	PYTHON=$(PYTHON) tools/pictures.sh $(BUILD)

help:
	@echo "make            build build/nca-host and build/nca-convert"
	@echo "make live       watch the lizard grow (window, or the terminal), click to erase"
	@echo "make vboard     build the virtual board (--backend vboard)"
	@echo "make demo       grow the lizard, write PNG frames to build/demo/"
	@echo "make pictures   remake the README's pictures (docs/img/) from the shipped models"
	@echo "make test       every test (C unit tests with ASan/UBSan, tool tests, RTL benches)"
	@echo "make sim        the RTL benches alone (Verilator + Icarus, against the C model)"
	@echo "make test-py    the Python tests alone (integer path vs C, trainer smoke test)"
	@echo "make bench      speed figures, written to docs/results.md"
	@echo "make grayscott  the Gray-Scott model against the PDE from unseen starts: numbers,"
	@echo "                docs/img/grayscott.png (PDE, C model, RTL on the vboard)"
	@echo "make distill-models  reconvert weights/distill/json/ into weights/distill/"
	@echo "make bitstream BOARD=icebreaker|ulx3s-25f|ulx3s-85f   bitstream + report in build/bitstream/BOARD/"
	@echo "make flash BOARD=...   load build/bitstream/BOARD/ onto the board (openFPGALoader)"
	@echo "make clean      remove build/"

# release library and tools
$(BUILD)/obj/%.o: host/src/%.c $(LIB_HDR) | $(BUILD)/obj
	$(CC) $(CFLAGS_ALL) -c $< -o $@
$(BUILD)/libnca.a: $(patsubst host/src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC))
	ar rcs $@ $^
$(BUILD)/ui/%.o: host/ui/%.c $(UI_HDR) $(LIB_HDR) | $(BUILD)/ui
	$(CC) $(CFLAGS_ALL) -Ihost/ui $(SDL_CFLAGS) -c $< -o $@
$(BUILD)/nca-host: host/tools/nca_host.c $(patsubst host/ui/%.c,$(BUILD)/ui/%.o,$(UI_SRC)) $(BUILD)/libnca.a
	$(CC) $(CFLAGS_ALL) -Ihost/ui $< $(filter %.o,$^) $(BUILD)/libnca.a $(LIBS) $(UI_LIBS) -o $@
$(BUILD)/nca-convert: host/tools/nca_convert.c $(BUILD)/libnca.a
	$(CC) $(CFLAGS_ALL) $< $(BUILD)/libnca.a $(LIBS) -o $@
$(BUILD)/nca-grayscott: host/tools/nca_grayscott.c $(BUILD)/libnca.a
	$(CC) $(CFLAGS_ALL) $< $(BUILD)/libnca.a $(LIBS) -o $@

# the Gray-Scott NCA against its PDE from starts of the unseen test family (docs/results.md,
# "Gray-Scott"): MSE at 1024 and 2048 steps, docs/img/grayscott.png with the RTL's column
# (the Verilated board of 8 channels, 32 hidden: sim/build/vboard-pde/nca-vboard)
.PHONY: grayscott
grayscott: $(BUILD)/nca-host $(BUILD)/nca-grayscott
	$(MAKE) -C sim BUILD=build vboard-pde
	$(PYTHON) weights/grayscott_eval.py --build $(BUILD) --vboard sim/build/vboard-pde/nca-vboard \
	  --json $(BUILD)/grayscott/eval.json

# speed figures into docs/results.md (never timed assertions in tests)
bench: $(BUILD)/nca-host
	tools/bench_c.sh --out docs/results.md
	tools/bench_boards.sh --out docs/results.md
	$(PYTHON) tools/bench_plot.py --torch $$(cat build/bench-torch.txt) --out docs/img/speed.png
	tools/bench_live.sh --out docs/results.md

# sanitizer build of the same sources, used by every test
SAN_FLAGS = $(CSTD) $(WARN) -O1 -g $(SAN) -Ihost/include $(FTDI_DEF) $(CFLAGS)
$(BUILD)/san/obj/%.o: host/src/%.c $(LIB_HDR) | $(BUILD)/san/obj
	$(CC) $(SAN_FLAGS) -c $< -o $@
$(BUILD)/san/libnca.a: $(patsubst host/src/%.c,$(BUILD)/san/obj/%.o,$(LIB_SRC))
	ar rcs $@ $^
$(BUILD)/san/ui/%.o: host/ui/%.c $(UI_HDR) $(LIB_HDR) | $(BUILD)/san/ui
	$(CC) $(SAN_FLAGS) -Ihost/ui $(SDL_CFLAGS) -c $< -o $@
$(BUILD)/san/nca-host: host/tools/nca_host.c $(patsubst host/ui/%.c,$(BUILD)/san/ui/%.o,$(UI_SRC)) $(BUILD)/san/libnca.a
	$(CC) $(SAN_FLAGS) -Ihost/ui $< $(filter %.o,$^) $(BUILD)/san/libnca.a $(LIBS) $(UI_LIBS) -o $@
$(BUILD)/san/nca-convert: host/tools/nca_convert.c $(BUILD)/san/libnca.a
	$(CC) $(SAN_FLAGS) $< $(BUILD)/san/libnca.a $(LIBS) -o $@
$(BUILD)/san/nca-grayscott: host/tools/nca_grayscott.c $(BUILD)/san/libnca.a
	$(CC) $(SAN_FLAGS) $< $(BUILD)/san/libnca.a $(LIBS) -o $@
$(BUILD)/san/test_%: tests/c/test_%.c $(wildcard tests/c/*.h) $(BUILD)/san/libnca.a
	$(CC) $(SAN_FLAGS) -Itests/c $< $(BUILD)/san/libnca.a $(LIBS) -lcmocka -o $@

$(BUILD)/obj $(BUILD)/san/obj $(BUILD)/ui $(BUILD)/san/ui:
	mkdir -p $@

C_TESTS := $(patsubst tests/c/test_%.c,$(BUILD)/san/test_%,$(wildcard tests/c/test_*.c))

# every suite, closing with one "N passed, N failed, N skipped" line (tests/run-all.sh); `bitstreams`
# builds the iCEBreaker bitstream (CI_BOARDS), so a design that stops fitting fails the tests.
# test-build first builds every program the suites run (TEST_JOBS at once); then suites joined
# by '+' run side by side (nextpnr alongside the build, the netlist simulation and the Python
# tests alongside test-c's fault tests, which mostly wait on timeouts): together they fill the
# cores. The RTL
# benches run TEST_JOBS at once.
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test:
	@MAKE="$(MAKE)" tests/run-all.sh -j $(TEST_JOBS) test-build+bitstreams test-c+gatesim-short+test-py \
	  fuzz-short+soak-short sim

# Python: the trainer's integer path bit-exact with the C model, I/O, QAT, a tiny training run.
# Debian's python3-torch and python3-pytest belong to the system interpreter.
PYTHON ?= /usr/bin/python3
test-py: $(BUILD)/nca-host $(BUILD)/nca-grayscott
	BUILD=$(BUILD) $(PYTHON) -m pytest -q tests/python

# RTL benches: Verilator (bit- and cycle-exact against the C model) and Icarus, sim/Makefile
sim:
	$(MAKE) -C sim BUILD=build sim

# the virtual board (Verilated RTL behind a pty) that --backend vboard runs; the board and
# live tests use it when Verilator is here
VBOARD := sim/build/vboard/nca-vboard
.PHONY: vboard
vboard:
	$(MAKE) -C sim BUILD=build vboard
HAVE_VERILATOR := $(shell command -v $(or $(VERILATOR),verilator) 2>/dev/null)

test-c: $(C_TESTS) $(BUILD)/san/nca-host $(BUILD)/san/nca-convert $(BUILD)/nca-host $(if $(HAVE_VERILATOR),vboard)
	@BUILD=$(BUILD) tests/run-c-tests.sh $(C_TESTS)
# what the suites run (so no two suites side by side build the same file)
test-build: $(C_TESTS) $(BUILD)/san/nca-host $(BUILD)/san/nca-convert $(BUILD)/nca-host \
            $(BUILD)/nca-grayscott fuzz-build $(if $(HAVE_VERILATOR),vboard)
	@echo "test-build: the suites' programs are built"

# ---- fuzzing: libFuzzer (Debian's clang) targets in tests/fuzz/, tools/fuzz.sh runs them ----
FUZZ_CC    ?= clang
FUZZ_FLAGS  = $(CSTD) $(WARN) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
              -Ihost/include $(FTDI_DEF) $(CFLAGS)
FUZZ_RUNS    ?= 1000000
FUZZ_SECONDS ?= 1800
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
$(BUILD)/fuzz/obj/%.o: host/src/%.c $(LIB_HDR) | $(BUILD)/fuzz/obj
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(BUILD)/fuzz/libnca.a: $(patsubst host/src/%.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRC))
	ar rcs $@ $^
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzz/libnca.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(BUILD)/fuzz/libnca.a $(LIBS) -o $@
$(BUILD)/fuzz/obj:
	mkdir -p $@
.PHONY: fuzz fuzz-build fuzz-short
fuzz-build: $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))
# the campaigns: FUZZ_RUNS executions a target (at most FUZZ_SECONDS), into docs/results.md
fuzz: fuzz-build
	tools/fuzz.sh --runs $(FUZZ_RUNS) --seconds $(FUZZ_SECONDS) --out docs/results.md $(FUZZ_TARGETS)
# the short form in `make test`: the regression inputs, then 15 s a target
fuzz-short: fuzz-build
	tools/fuzz.sh --seconds 15 $(FUZZ_TARGETS)

# ---- gate level: the iCEBreaker netlist (what nextpnr placed) against the C model ----------
.PHONY: gatesim gatesim-short
gatesim: $(BUILD)/nca-host
	$(MAKE) -C sim BUILD=build gate-vboard
	tools/gatesim.sh --host $(BUILD)/nca-host
# the short form in `make test` (after `bitstreams`, whose netlist it simulates)
gatesim-short: $(BUILD)/nca-host
	$(MAKE) -C sim BUILD=build gate-vboard
	tools/gatesim.sh --short --host $(BUILD)/nca-host

# ---- soak: nca-host's live loop against the virtual board, damages, frames, state vs ref ----
.PHONY: soak soak-short
soak: $(BUILD)/nca-host vboard
	tools/soak.sh --steps 10000 --every 250 --spf 10 --host $(BUILD)/nca-host --out docs/results.md
# the short form in `make test` (the sanitizer build: leaks and UB count too)
soak-short: $(BUILD)/san/nca-host $(if $(HAVE_VERILATOR),vboard)
	$(if $(HAVE_VERILATOR),tools/soak.sh --steps 300 --every 100 --spf 10 --host $(BUILD)/san/nca-host,@echo "soak: SKIP (no Verilator: no virtual board)")

clean:
	rm -rf $(BUILD)
	$(MAKE) -C sim clean

# FPGA bitstreams: Yosys + nextpnr + pack, then a report; fails when the design does not fit
# or misses its clock (tools/bitstream.sh has the per-board configurations)
BOARD ?= icebreaker
.PHONY: bitstream flash
bitstream:
	tools/bitstream.sh $(BOARD)
# the builds CI checks (a tests/run-all.sh suite: one bitstream_BOARD: PASS/FAIL line each)
CI_BOARDS ?= icebreaker
.PHONY: bitstreams
bitstreams:
	@fail=0; for b in $(CI_BOARDS); do tools/bitstream.sh $$b || fail=1; done; exit $$fail
# iCEBreaker: writes the SPI flash; ULX3S: loads the SRAM, FLASH=1 writes the SPI flash
flash:
	tools/flash.sh $(BOARD) $(if $(filter 1,$(FLASH)),--flash)

# the Distill demo models (weights/distill/json/, CC-BY 4.0), converted (committed under weights/distill/)
DISTILL_JSON ?= weights/distill/json
DISTILL := ex1-grow-lizard ex2-persist-lizard ex3-regen-lizard ex3-regen-planarian
.PHONY: distill-models
distill-models: $(BUILD)/nca-convert
	for m in $(DISTILL); do $(BUILD)/nca-convert --from distill $(DISTILL_JSON)/distill-$$m.json \
	  -o weights/distill/$$m.bin --desc "Distill 2020 $${m%%-*} model (Mordvintsev et al., CC-BY 4.0), converted" || exit 1; done
