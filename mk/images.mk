# images/: the portable core, its link-time glue, the Linux host library shared by
# strata-image and strata-server, strata-image itself, and their tests.

CORE_SRCS := $(wildcard images/core/*.c)
GLUE_SRCS := images/lib/alloc_libc.c images/lib/crypto_mbedtls.c images/lib/sha256_openssl.c \
	images/lib/sha256_x86.c \
	images/lib/inflate_zlib.c
HOSTLIB_SRCS := $(wildcard images/host/*.c)
TOOL_SRCS := $(wildcard images/tool/*.c)
HOST_LIB_SRCS := $(CORE_SRCS) $(GLUE_SRCS)

# Freestanding check: the core must compile with no libc headers at all.  -nostdinc leaves
# only the compiler's own freestanding headers (stddef.h, stdint.h, ...), so an include of
# stdio.h, an EFI header or a socket header fails here with the file and line that did it.
FREESTANDING_FLAGS := -std=c11 -ffreestanding -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	$(WARN) -Werror -Iimages/core -fsyntax-only

check-freestanding:
	@for f in $(CORE_SRCS); do $(CC) $(FREESTANDING_FLAGS) $$f || exit 1; done
	@echo "freestanding: $(words $(CORE_SRCS)) core files compile with no libc headers"

$(REL)/strata-image: $(patsubst %.c,$(REL)/%.o,$(HOST_LIB_SRCS) $(HOSTLIB_SRCS) $(TOOL_SRCS))
	$(CC) -o $@ $^ $(HOST_LIBS)
$(SAN)/strata-image: $(patsubst %.c,$(SAN)/%.o,$(HOST_LIB_SRCS) $(HOSTLIB_SRCS) $(TOOL_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# Unit tests: one binary per tests/unit/test_*.c, linked with the core and glue, sanitized.
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(SAN)/tests/unit/%,$(UNIT_SRCS))
$(SAN)/tests/unit/%: $(SAN)/tests/unit/%.o $(patsubst %.c,$(SAN)/%.o,$(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# libFuzzer targets: one per tests/fuzz/fuzz_*.c, built with clang.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(FUZZ_SRCS))
$(FUZZ)/fuzz_%: $(FUZZ)/tests/fuzz/fuzz_%.o $(patsubst %.c,$(FUZZ)/%.o,$(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)

ALL_TARGETS  += $(REL)/strata-image
TEST_TARGETS += check-freestanding $(SAN)/strata-image $(UNIT_BINS) $(FUZZ_BINS)

# Host helper for tests/integration/gpt.sh: writes and reads GPTs in image files through
# the core (images/core/gpt.c), so that sgdisk and fdisk can check them.
$(SAN)/tests/tools/gpt_tool: $(SAN)/tests/tools/gpt_tool.o $(patsubst %.c,$(SAN)/%.o,$(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)
TEST_TARGETS += $(SAN)/tests/tools/gpt_tool

# Host helper for tests/integration/fsmap.sh: prints the core's used-block map and verdict
# for a partition image (images/core/fsmap.c), and writes the fs fuzz seeds.
$(SAN)/tests/tools/fsmap_tool: $(SAN)/tests/tools/fsmap_tool.o $(patsubst %.c,$(SAN)/%.o,$(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)
TEST_TARGETS += $(SAN)/tests/tools/fsmap_tool

# Unit test of the capture engine: the core's engine against the host's layer_build (the
# same index byte for byte), so it links the host library too.
$(SAN)/tests/unit/test_capture_engine: $(SAN)/tests/unit/test_capture_engine.o \
		$(patsubst %.c,$(SAN)/%.o,$(HOST_LIB_SRCS) $(HOSTLIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# Unit test of the AWS credentials and config reader (strata-image push, images/host/s3.h).
$(SAN)/tests/unit/test_s3_ini: $(SAN)/tests/unit/test_s3_ini.o \
		$(patsubst %.c,$(SAN)/%.o,images/host/s3_ini.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)
