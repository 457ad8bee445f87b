# efi/: strata.efi, the UEFI agent, built freestanding with gnu-efi.  Included by the top
# Makefile (before its build-all rule, which expands ALL_TARGETS).
#
# strata.efi links no C library.  It is made of:
#   - efi/*.c             the UEFI front end (entry, log, allocator, EFI_STATUS mapping, self-test)
#   - efi/libc/           our tiny libc shim (string functions, calloc/free, snprintf)
#   - images/core/*.c     the portable core, plus images/lib's crypto and inflate glue
#   - zlib and mbedTLS    compiled from the Debian source packages mk/deps.sh unpacked into
#                         $(BUILD)/src (never copied into the repo), mbedTLS with our
#                         verify-only efi/mbedtls_config.h
#   - a generated file    the self-test vectors, made with the host's strata-image
# and linked as an ELF shared object with gnu-efi's crt0 and linker script, then converted
# to a PE32+ EFI application (subsystem 10).
#
# Outputs under $(BUILD)/efi: obj/ (objects), gen/ (generated source and its inputs),
# strata.so (the ELF with symbols, for debugging) and strata.efi.
#
# strata-fetchtest.efi is the same program with fallback load options compiled in
# (efi/args_load.c, STRATA_ARGS_FALLBACK): UEFI HTTP Boot passes an app no options, so this is
# how tests/e2e/efi-fetch.sh asks an HTTP-booted agent for its network self-test.  It
# fetches <server>/blob and checks it against <server>/blob.sha256, the server being the
# boot URI minus /boot/<file>.  Never deploy it: it only tests and powers off.

EFI_OUT := $(BUILD)/efi
EFI_OBJ := $(EFI_OUT)/obj
EFI_GEN := $(EFI_OUT)/gen
EFI_APP := $(EFI_OUT)/strata.efi
EFI_SO  := $(EFI_OUT)/strata.so
EFI_FT_APP := $(EFI_OUT)/strata-fetchtest.efi
EFI_FT_SO  := $(EFI_OUT)/strata-fetchtest.so
EFI_FT_ARGS := selftest-fetch=blob

# Size budget, bytes.  Going over prints a warning so growth is noticed, not a failure.
# 256 KiB until the session key (core/session.c's signing half, the registration answer's
# parser, the ECDH and HKDF glue, mbedTLS's hkdf.c): measured 264,704 bytes before it (the
# machine key had already gone over) and 270,848 with it; the server's half of the check
# stays out (EFI_CORE_SKIP).  Sealed private layers (core/seal.c, efi/fetch_sealed.c,
# mbedTLS's aes.c with MBEDTLS_AES_FEWER_TABLES, gcm.c, cipher.c and cipher_wrap.c) add
# 19,968 bytes: 290,816 with both.  296 KiB: about 6 KiB of headroom over that.
# Deflate for capture uploads (zlib's deflate.c and trees.c, strata_deflate) costs 26,112
# bytes, measured as strata.efi with them (323,072) against the same build whose
# strata_deflate is a stub and links neither (296,960); the budget grows by exactly that:
# 303,104 + 26,112.  The capture engine itself (core/capture*.c, need.c: 4,608 bytes) came
# out of the headroom.  Capture from strata.efi, measured step by step on branch efipath:
# fetch_post through EFI_HTTP and beside iPXE 1,024 bytes; the arguments from firmware PXE
# (option 224 in the PXE base code's packets) 1,536; capture orders, signed and sealed
# POSTs and the capture flow (efi/capture_agent.c, efi/capture_ops.c) 8,704: 11,264 in all,
# then the gold layout sent with /capture/done and a log line naming the options a PXE
# packet carries 2,048 more (338,432);
# 336,384 with the engine, deflate and sealed uploads before those.  332 KiB: 1.5 KiB of
# headroom.
# Reading and reporting the Secure Boot state (efi/sb_state.c) costs 1,536 bytes (340,480
# once merged with capture), and a Secure Boot signature (make SB_KEY=..., mk/sb.mk) about
# 1,536 more (measured on branch sb: 295,912 signed; the signed copy is the boot folder's,
# $(BOOT_OUT)/strata.efi, and it must fit too), so the budget has both:
# 339,968 + 1,536 + 1,536.  A site's store with the fall back to the central one
# (choose_store, efi/agent.c, efi/layer.c; docs/sites.md) adds 2,048 (342,528 merged);
# the orders' then=local and force=yes (efi/orders.c) 1,536 more (344,064).
# A gold capture's layout checked before any upload, by the core's checks and writer that
# strata-image capture-disk uses (core/capture_layout.c, and manifest_write.c now linked:
# the agent's own snprintf writer of the layout is gone): 4,608 bytes, measured on branch
# capcheck as strata.efi before (344,064) and after (348,672); the budget grows by exactly
# that: 346,624 + 4,608.
# The deployment planned against the disk before any write (core/disk_fit.c, built with -Os
# below; every written layer's index fetched before the table and kept for its deployment;
# efi/agent.c's plan step and its messages; a failure report long enough for a disk's
# shortfall): 3,584 bytes, measured on branch plan as strata.efi before (348,672) and after
# (352,256); the budget grows by exactly that: 351,232 + 3,584.
# The manifest's multicast statement (parser and writer) and the deploy engine's hook for a
# multicast phase (strata_deploy_put; the datagram, status and receiver code stay out until
# the agent receives, EFI_CORE_SKIP): 3,584 bytes, measured as strata.efi with plan's change
# before (352,256) and after merging branch mcast (355,840); the budget grows by exactly
# that: 354,816 + 3,584.
# Receiving multicast (efi/mcast_udp.c: the firmware's UDP4 child; efi/mcast_agent.c: the
# phase, its status reports and summary lines; the core's mcast.c, mcast_rx.c and
# mcast_status.c, now linked): 14,848 bytes, measured as strata.efi on main before
# (355,840) and on branch mcastefi after (370,688); the budget grows by exactly that:
# 358,400 + 14,848.
# The layout check at a boot with nothing pending (check=yes: efi/agent_check.c, the core's
# layout_check.c, args.c's check=): 2,560 bytes, measured as strata.efi on main before
# (371,200) and on branch blankdisk after (373,760); the budget grows by exactly that:
# 373,248 + 2,560.
# Every core (efi/mp_workers.c, efi/mp_pool.c: EFI_MP_SERVICES_PROTOCOL, the APs' mailbox
# and stacks; core/deploy_batch.c: the engine's batches; strata_inflate_in; the layer time
# line's hashing), the three built with -Os below: 6,656 bytes, measured as strata.efi on
# main before (373,760) and on branch mp after (380,416); the budget grows by exactly that:
# 375,808 + 6,656.
# Asynchronous disk writes (efi/disk_io2.c: Block I/O 2 tokens polled with CheckEvent, built
# with -Os below; the engine's write_start and settle; the glue in efi/layer.c and
# efi/disk.c): 2,048 bytes, measured as strata.efi on main before (382,464) and on branch
# blkio2 after (384,512); strata-fetchtest.efi, which the budget covers too, grew by 3,072
# (382,464 to 385,536: the sections' padding), so the budget grows by that: 382,464 + 3,072.
# Index version 3 (core/index.c: 34- and 35-byte data entries decoded, checked and written
# beside the 40-byte ones of versions 1 and 2, which strata.efi still reads; index.o's text
# grows by 647 bytes): 1,024 bytes, measured as strata.efi on main before (382,464) and on
# branch index3 after (383,488); merged with blkio2, strata-fetchtest.efi, the larger copy,
# measured 386,048, which is the budget: 385,536 + 512.
# A multicast receiver that takes a store file for every needed chunk with its digest
# (core/mcast_rx.c: the carousel sends each digest once a pass): 512 bytes, measured as
# strata.efi on main before (382,464) and on branch mcast after (382,976).  Merged with the
# above, strata.efi and strata-fetchtest.efi both measured 386,560 (ls -l after `make build-all`
# on main at the merge): 386,048 + 512.
# A started write's failure named and taken back (core/deploy_batch.c: the batch's chunk per
# started write, settle's failed offset; reuse.c's forget; efi/disk_io2.c's oldest-first
# wait and the resource fallback): 1,536 bytes, both copies measured 388,096 (ls -l) on
# branch fixes, which is the budget: 386,560 + 1,536.
# A multicast repeat written from the bytes its first copy decoded (core/deploy.c's
# strata_deploy_put_same, mcast_rx.c's repeat; efi/mcast_agent.c wires it) and a needed
# chunk's datagram taken without a digest probe (a slot found by digest): .text grows by
# 768 bytes, crossing one 512-byte section boundary; both copies measured 388,608 (ls -l)
# on branch mcfix, which is the budget: 388,096 + 512.
EFI_SIZE_BUDGET := 388608

# gnu-efi (Debian package gnu-efi 3.0.15).
GNUEFI_INC := /usr/include/efi
GNUEFI_LIB := /usr/lib
EFI_CRT0   := $(GNUEFI_LIB)/crt0-efi-x86_64.o
EFI_LDS    := $(GNUEFI_LIB)/elf_x86_64_efi.lds
EFI_LIBGCC := $(shell $(CC) -print-libgcc-file-name)
EFI_LD      ?= ld
EFI_OBJCOPY ?= objcopy

# Source trees fetched by mk/deps.sh; their names carry the Debian version, so glob.  When
# they are missing the placeholder names the fix in the "No rule to make target" error.
EFI_ZLIB_DIR := $(patsubst %/,%,$(firstword $(wildcard $(BUILD)/src/zlib-*/)))
EFI_MBED_DIR := $(patsubst %/,%,$(firstword $(wildcard $(BUILD)/src/mbedtls-*/)))
ifeq ($(EFI_ZLIB_DIR),)
EFI_ZLIB_DIR := $(BUILD)/src/zlib-missing--run-make-deps
endif
ifeq ($(EFI_MBED_DIR),)
EFI_MBED_DIR := $(BUILD)/src/mbedtls-missing--run-make-deps
endif

# zlib's inflate side, and deflate (deflate.c, trees.c) for the capture engine's uploads;
# Z_SOLO removes every libc call (we set zalloc/zfree).  The objects are linked whole
# (no --gc-sections), so deflate stays in strata.efi before any agent code calls it.
EFI_ZLIB_SRCS := adler32 crc32 inflate inftrees inffast zutil deflate trees
# mbedTLS modules for SHA-256 and ECDSA P-256 verification with PEM/DER keys, and the
# HMAC_DRBG that makes and signs with the machine key; HKDF for the session key; AES-256-GCM
# for sealed bodies.
EFI_MBED_SRCS := aes asn1parse asn1write base64 bignum cipher cipher_wrap constant_time ecdsa \
		 ecp ecp_curves gcm hkdf hmac_drbg md oid pem pk pk_wrap pkparse platform \
		 platform_util sha256
# Ours: the UEFI front end, the libc shim, the core and its glue (not alloc_libc.c:
# efi/alloc.c is the UEFI allocator).
# Core files strata.efi does not need: it builds store paths but never parses them, signs
# requests but never checks them, seals uploads but never opens them, and its machine
# session needs no capture hello.  (It writes one manifest, a gold capture's layout, so it
# links manifest_write.c.)
# Of the multicast core it needs the datagram parser, the receiver and the status writer,
# not the server's carousel (which lives in server/).
EFI_CORE_SKIP := images/core/store_path_parse.c \
		 images/core/session_check.c images/core/seal_open.c images/core/session_hello.c
# Link-time variants, each in place of one of strata.efi's files in a copy of it.
EFI_VARIANT_SRCS := efi/disk_io2_none.c
EFI_OWN_SRCS := $(filter-out $(EFI_VARIANT_SRCS),$(wildcard efi/*.c)) $(wildcard efi/libc/*.c) \
		$(filter-out $(EFI_CORE_SKIP),$(wildcard images/core/*.c)) \
		images/lib/crypto_mbedtls.c images/lib/sha256_mbedtls.c images/lib/sha256_x86.c \
		images/lib/inflate_zlib.c

EFI_OBJS := $(patsubst %.c,$(EFI_OBJ)/%.o,$(EFI_OWN_SRCS)) \
	    $(patsubst %,$(EFI_OBJ)/zlib/%.o,$(EFI_ZLIB_SRCS)) \
	    $(patsubst %,$(EFI_OBJ)/mbedtls/%.o,$(EFI_MBED_SRCS)) \
	    $(EFI_OBJ)/gen/selftest_data.o $(EFI_OBJ)/gen/pubkey.o $(EFI_OBJ)/gen/build_info.o

# strata-enroll.efi (efi/enroll/): enrolls the lab's Secure Boot keys on a PC in setup
# mode.  It is linked from strata.efi's own objects for the glue it shares (log, rc, clock,
# allocation, the libc shim, arguments and the network layer), no copy of their code.
EFI_ENROLL_APP := $(EFI_OUT)/strata-enroll.efi
EFI_ENROLL_SO  := $(EFI_OUT)/strata-enroll.so
EFI_ENROLL_SRCS := $(wildcard efi/enroll/*.c) efi/sb_state.c efi/log.c efi/log_console.c \
		   efi/rc.c efi/clock.c efi/alloc.c efi/args.c efi/args_load.c efi/fetch.c \
		   efi/fetch_buf.c efi/fetch_open.c efi/fetch_http.c efi/fetch_ipxe.c \
		   efi/ip4_config.c $(wildcard efi/libc/*.c) images/core/rc.c images/core/text.c
EFI_ENROLL_OBJS := $(patsubst %.c,$(EFI_OBJ)/%.o,$(EFI_ENROLL_SRCS))

# The fetch-test build: every object of strata.efi but args_load.o, which it replaces.
EFI_FT_OBJS := $(filter-out $(EFI_OBJ)/efi/args_load.o,$(EFI_OBJS)) \
	       $(EFI_OBJ)/efi/args_load-fetchtest.o

# The bench copy that writes through Block I/O only, on a disk that offers Block I/O 2
# (tests/bench/blkio2.sh): every object of strata.efi, with disk_io2_none.o (which finds no
# Block I/O 2) in place of disk_io2_find.o.  Made only when asked for
# (make build/efi/strata-blkio1.efi).
EFI_B1_APP := $(EFI_OUT)/strata-blkio1.efi
EFI_B1_SO  := $(EFI_OUT)/strata-blkio1.so
EFI_B1_OBJS := $(filter-out $(EFI_OBJ)/efi/disk_io2_find.o,$(EFI_OBJS)) \
	       $(EFI_OBJ)/efi/disk_io2_none.o

# Code generation for firmware: position independent (gnu-efi relocates itself), no red
# zone (firmware interrupts use our stack), no AVX (the firmware has not enabled it), no
# stack protector (no runtime to back it), MS ABI only where EFIAPI says so.
EFI_ARCH_FLAGS := -ffreestanding -fpic -fshort-wchar -mno-red-zone -mno-avx \
		  -fno-stack-protector -fno-stack-check -fno-strict-aliasing \
		  -fno-merge-all-constants -maccumulate-outgoing-args -DGNU_EFI_USE_MS_ABI
# Headers: only the compiler's own and our shim's.  gcc's limits.h would include_next a libc
# limits.h unless told there is none.
EFI_STDINC := -nostdinc -isystem $(shell $(CC) -print-file-name=include) -D_LIBC_LIMITS_H_ \
	      -isystem efi/libc/include
EFI_LIB_DEFS := -DZ_SOLO -DMBEDTLS_CONFIG_FILE='"mbedtls_config.h"'
EFI_CFLAGS_BASE := -std=gnu11 -O2 -g -MMD -MP $(EFI_ARCH_FLAGS) $(EFI_STDINC) $(EFI_LIB_DEFS) \
		   -Iefi -I$(EFI_MBED_DIR)/include -I$(EFI_ZLIB_DIR)
# Our code gets the project's warnings; third-party code is compiled as its authors ship it.
# gnu-efi's headers are system headers: their old-style declarations are not ours to fix.
EFI_CFLAGS_OWN := $(EFI_CFLAGS_BASE) $(WARN) $(WERROR) -Iimages/core -Iimages/lib \
		  -isystem $(GNUEFI_INC) -isystem $(GNUEFI_INC)/x86_64 \
		  -isystem $(GNUEFI_INC)/protocol
EFI_CFLAGS_3RD := $(EFI_CFLAGS_BASE) -w

# The shim's loops must stay loops: GCC would otherwise turn memmove's copy loop into a
# call to memmove itself.
$(EFI_OBJ)/efi/libc/%.o: EFI_CFLAGS_OWN += -fno-tree-loop-distribute-patterns
# The deployment's plan (core/disk_fit.c) runs once a boot and is mostly message text: built
# for size it is 2,738 bytes of code instead of 3,489.
$(EFI_OBJ)/images/core/disk_fit.o: EFI_CFLAGS_OWN += -Os
# Every core: starting the APs runs once a boot, and the batches' plumbing is a few calls
# per megabyte (the hashing and inflating they run are zlib's and mbedTLS's, at -O2); so
# is starting and polling the disk's writes (disk_io2.c).
$(EFI_OBJ)/efi/mp_workers.o $(EFI_OBJ)/efi/mp_pool.o $(EFI_OBJ)/images/core/deploy_batch.o \
$(EFI_OBJ)/efi/disk_io2.o: \
	EFI_CFLAGS_OWN += -Os

$(EFI_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS_OWN) -c $< -o $@
$(EFI_OBJ)/zlib/%.o: $(EFI_ZLIB_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS_3RD) -c $< -o $@
$(EFI_OBJ)/mbedtls/%.o: $(EFI_MBED_DIR)/library/%.c
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS_3RD) -c $< -o $@
$(EFI_OBJ)/efi/args_load-fetchtest.o: efi/args_load.c
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS_OWN) -DSTRATA_ARGS_FALLBACK='"$(EFI_FT_ARGS)"' -c $< -o $@
$(EFI_OBJ)/gen/selftest_data.o: $(EFI_GEN)/selftest_data.c
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS_OWN) -c $< -o $@

# The source package versions mk/deps.sh used (efi/build_info.h).  A value must be a plain
# Debian version: anything else would end up inside a C string.
$(EFI_GEN)/build_info.c: $(BUILD)/src/versions
	@mkdir -p $(@D)
	@{ echo '/* Generated by mk/efi.mk from $<: do not edit. */'; \
	  echo '#include "build_info.h"'; \
	  for p in zlib mbedtls; do \
	    v=$$(sed -n "s/^$$p \([A-Za-z0-9.+~:-]*\)$$/\1/p" $<); \
	    [ -n "$$v" ] || { echo "$<: no valid $$p version: run make deps" >&2; exit 1; }; \
	    echo "const char strata_$${p}_version[] = \"$$v\";"; \
	  done; } > $@.tmp
	@mv $@.tmp $@
$(EFI_OBJ)/gen/build_info.o: $(EFI_GEN)/build_info.c
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS_OWN) -c $< -o $@

# Self-test vectors from the host tool; regenerated when the tool or the generator changes.
$(EFI_GEN)/selftest_data.c: efi/gen-selftest.sh $(REL)/strata-image
	@mkdir -p $(@D)
	sh efi/gen-selftest.sh $(REL)/strata-image $(EFI_GEN)

# Link: crt0 first (it holds _start), then ours, then libefi (InitializeLib, memset, memcpy),
# libgnuefi (_relocate) and libgcc (__udivti3 for mbedTLS's bignum division).
# --no-undefined turns any symbol the shim lacks into a link error.
efi_link = $(EFI_LD) -nostdlib -z nocombreloc -shared -Bsymbolic --no-undefined -T $(EFI_LDS) \
	$(EFI_CRT0) $(1) -L$(GNUEFI_LIB) -lefi -lgnuefi $(EFI_LIBGCC) -o $@
$(EFI_SO): $(EFI_OBJS) $(EFI_CRT0) $(EFI_LDS)
	$(call efi_link,$(EFI_OBJS))
$(EFI_FT_SO): $(EFI_FT_OBJS) $(EFI_CRT0) $(EFI_LDS)
	$(call efi_link,$(EFI_FT_OBJS))
$(EFI_B1_SO): $(EFI_B1_OBJS) $(EFI_CRT0) $(EFI_LDS)
	$(call efi_link,$(EFI_B1_OBJS))
$(EFI_ENROLL_SO): $(EFI_ENROLL_OBJS) $(EFI_CRT0) $(EFI_LDS)
	$(call efi_link,$(EFI_ENROLL_OBJS))

# The PE32+ image: the sections gnu-efi's script lays out (.rodata lives inside .data),
# without a COFF symbol table: no firmware reads one, and strata.so keeps the symbols for
# debugging.  (It cost 18 bytes and more per function, static ones included.)
# Unsigned: the boot folder's copies are the signed ones (make SB_KEY=..., mk/sb.mk).
$(EFI_OUT)/%.efi: $(EFI_OUT)/%.so
	$(EFI_OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc --target efi-app-x86_64 --subsystem=10 \
		--strip-all $< $@.pe
	@mv $@.pe $@
	@size=$$(stat -c %s $@); \
	echo "$(@F): $$size bytes ($$((size / 1024)) KiB; budget $$(($(EFI_SIZE_BUDGET) / 1024)) KiB)"; \
	[ $$size -le $(EFI_SIZE_BUDGET) ] || echo "$(@F): WARNING: over the size budget"

# Boot strata.efi in QEMU/OVMF and check its self-test (about 10 s under TCG).
efi-selftest: $(EFI_APP)
	bash tests/e2e/efi-selftest.sh $(BUILD)

# Its network layer through iPXE (slirp) and UEFI HTTP Boot (a namespace; root).
efi-fetch: $(EFI_APP) $(EFI_FT_APP)
	bash tests/e2e/efi-fetch.sh $(BUILD)

clean-efi:
	rm -rf $(EFI_OUT)
clean: clean-efi

.PHONY: efi-selftest efi-fetch clean-efi
ALL_TARGETS += $(EFI_APP) $(EFI_FT_APP) $(EFI_ENROLL_APP)

-include $(shell find $(EFI_OBJ) -type f -name '*.d' 2>/dev/null)

# The public key strata.efi trusts, built in: STRATA_PUBKEY=FILE (PEM) names the server's
# (strata-server --key K publishes K.pub); by default a build key is made once with
# strata-image keygen in $(BUILD)/keys/, and tests and the demo run the server with it.
STRATA_PUBKEY ?= $(BUILD)/keys/strata.key.pub
$(BUILD)/keys/strata.key.pub: | $(REL)/strata-image
	@mkdir -p $(@D)
	$(REL)/strata-image keygen $(BUILD)/keys/strata.key
# Regenerated on every make but replaced only when it differs, so naming another key
# (even an older file) rebuilds strata.efi, and the same key rebuilds nothing.
$(EFI_GEN)/pubkey.c: $(STRATA_PUBKEY) FORCE
	@mkdir -p $(@D)
	@{ echo '/* Generated by mk/efi.mk from $(STRATA_PUBKEY): do not edit. */'; \
	  echo '#include <stddef.h>'; \
	  echo 'const unsigned char strata_pubkey[] = {'; \
	  od -An -v -tu1 $< | tr -s ' \n' ',' | sed 's/^,//; s/,$$//'; echo ', 0 };'; \
	  echo 'const size_t strata_pubkey_len = sizeof(strata_pubkey);'; } > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
.PHONY: FORCE
FORCE:
$(EFI_OBJ)/gen/pubkey.o: $(EFI_GEN)/pubkey.c
	@mkdir -p $(@D)
	$(CC) $(EFI_CFLAGS_OWN) -c $< -o $@
