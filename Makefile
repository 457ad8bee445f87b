# Strata top-level build.  `make` builds everything, `make test` runs every test, `make soak`
# the long, repeated and random ones, `make deps` installs what the build needs (Debian 12,
# as root).  `make`, `make test` and `make soak` run the deps step first when its stamp is
# missing.
#
# Host code is built twice: release objects in $(BUILD)/rel (the tools people run) and
# sanitizer objects in $(BUILD)/san (ASan+UBSan, used by `make test`).

BUILD   ?= build
CC      ?= gcc
CLANG   ?= clang
REL     := $(BUILD)/rel
SAN     := $(BUILD)/san
FUZZ    := $(BUILD)/fuzz

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wvla -Wformat=2 -Wno-unused-parameter
ifneq ($(CI),)
WERROR  ?= -Werror
endif
CSTD    := -std=c11 -D_GNU_SOURCE
INCS    := -Iimages/core -Iimages/lib -Iimages/host -Iserver
CFLAGS_HOST := $(CSTD) $(WARN) $(WERROR) $(INCS) -g -MMD -MP
REL_CFLAGS  := $(CFLAGS_HOST) -O2
SAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_CFLAGS  := $(CFLAGS_HOST) -O1 $(SAN_FLAGS)
HOST_LIBS   := -lmbedcrypto -lcrypto -lz -lcurl -lpthread

DEPS_STAMP := $(BUILD)/.deps-stamp

.PHONY: all deps test soak bench demo demo-local clean check-freestanding
all: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory build-all

deps:
	sh mk/deps.sh $(BUILD)

$(DEPS_STAMP): mk/deps.sh
	sh mk/deps.sh $(BUILD)

include mk/images.mk
include mk/server.mk
include mk/efi.mk
include mk/sb.mk
include mk/dhcp.mk
include mk/orders.mk
include mk/strata-server.mk
include mk/efi-tests.mk
include mk/ctl.mk
include mk/wol.mk

build-all: $(ALL_TARGETS)

test: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory build-all test-targets
	bash tests/run.sh $(BUILD)

test-targets: $(TEST_TARGETS)

# Long, repeated and random cases, kept out of `make test`: see tests/soak/run.sh --help.
soak: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory build-all test-targets
	bash tests/soak/run.sh $(BUILD)

bench: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory build-all
	sh tests/bench/run.sh $(BUILD)

# make demo DEMO_OPTS="--vms 5 --keep": see tests/demo/lab.sh --help.
demo: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory build-all
	bash tests/demo/lab.sh $(DEMO_OPTS) $(BUILD)

# The layer pipeline alone, on this machine, without VMs or root.
demo-local: $(DEPS_STAMP)
	@$(MAKE) --no-print-directory build-all
	sh tests/demo/local.sh $(BUILD)

clean:
	rm -rf $(REL) $(SAN) $(FUZZ)

# Pattern rules: one source tree, three object trees.
$(REL)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -c $< -o $@
$(SAN)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@
$(FUZZ)/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(CSTD) $(INCS) -g -O1 -MMD -MP -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

-include $(shell find $(REL) $(SAN) $(FUZZ) -type f -name '*.d' 2>/dev/null)
