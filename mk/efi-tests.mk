# Host unit tests of strata.efi's portable files: the efi/ sources that call no firmware
# (argument parsing, the fetch contract and whole-body fetches, the log's formatting, URL
# encoding), built with the host compiler and the sanitizers like every unit test.
# Included by the top Makefile after mk/efi.mk and mk/strata-server.mk.
#
# What stands in for the firmware is chosen at link time: tests/unit/efi_host/ supplies
# log_write (in place of efi/log_console.c) and the clock (in place of efi/clock.c).  The
# core's rc.c names return codes, images/lib/alloc_libc.c allocates.

EFI_HOST_GLUE := tests/unit/efi_host/log_capture.c tests/unit/efi_host/clock_fake.c
EFI_HOST_BASE := efi/log.c images/core/rc.c $(EFI_HOST_GLUE)

# The tests and the glue include efi/'s headers by name, ahead of the server's: both have
# an orders.h (the agent's orders line; the dashboard's orders).
$(SAN)/tests/unit/test_efi_%.o: SAN_CFLAGS := -Iefi $(SAN_CFLAGS)
$(SAN)/tests/unit/efi_host/%.o: SAN_CFLAGS := -Iefi $(SAN_CFLAGS)

# Explicit rules, so they win over images.mk's pattern rule that links every
# tests/unit/test_* with the images core instead.
$(SAN)/tests/unit/test_efi_args: $(SAN)/tests/unit/test_efi_args.o \
		$(patsubst %.c,$(SAN)/%.o,efi/args.c images/core/text.c $(EFI_HOST_BASE))
	$(CC) $(SAN_FLAGS) -o $@ $^

$(SAN)/tests/unit/test_efi_fetch: $(SAN)/tests/unit/test_efi_fetch.o \
		$(patsubst %.c,$(SAN)/%.o,efi/fetch.c efi/fetch_buf.c efi/fetch_sealed.c \
		images/core/seal.c images/core/store_path.c images/core/text.c \
		images/lib/crypto_mbedtls.c images/lib/alloc_libc.c $(EFI_HOST_BASE))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# URL encoding, checked against the server's own query decoder (server/http_parse.c).
$(SAN)/tests/unit/test_efi_url: $(SAN)/tests/unit/test_efi_url.o \
		$(patsubst %.c,$(SAN)/%.o,efi/url.c $(HTTP_PARSE_SRCS) $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# The machine key on the host's mbedTLS, with the randomness source and the NV variable
# stood in for by the test; its signatures checked by the server's own check.
$(SAN)/tests/unit/test_efi_machine_key.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_efi_machine_key: $(SAN)/tests/unit/test_efi_machine_key.o \
		$(patsubst %.c,$(SAN)/%.o,efi/machine_key.c efi/log.c $(KEY_PURE_SRCS) \
		$(EFI_HOST_GLUE) $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# The server's orders line (deploy, capture, then=local, force=yes).
$(SAN)/tests/unit/test_efi_orders: $(SAN)/tests/unit/test_efi_orders.o \
		$(patsubst %.c,$(SAN)/%.o,efi/orders.c images/core/text.c $(EFI_HOST_BASE))
	$(CC) $(SAN_FLAGS) -o $@ $^

# The capture's steps (efi/capture_agent.c) with the real engine and layout checks; the
# disk, its table and the server's answers stood in for by the test.  capture_agent.c
# names EFI types (EFI_HANDLE, the disk's block I/O): gnu-efi's headers, as system ones.
EFI_HOST_EFIINC := -isystem $(GNUEFI_INC) -isystem $(GNUEFI_INC)/x86_64 \
		   -isystem $(GNUEFI_INC)/protocol
$(SAN)/tests/unit/test_efi_capture.o $(SAN)/efi/capture_agent.o: SAN_CFLAGS += $(EFI_HOST_EFIINC)
$(SAN)/tests/unit/test_efi_capture: $(SAN)/tests/unit/test_efi_capture.o \
		$(patsubst %.c,$(SAN)/%.o,efi/capture_agent.c efi/log.c $(EFI_HOST_GLUE) \
		$(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# The batches on every core (efi/mp_pool.c), host threads standing in for the APs: only
# the pool, not the firmware's start and stop (efi/mp_workers.c).
$(SAN)/tests/unit/test_efi_mp_pool.o $(SAN)/efi/mp_pool.o: SAN_CFLAGS += $(EFI_HOST_EFIINC) \
	-DGNU_EFI_USE_MS_ABI
$(SAN)/tests/unit/test_efi_mp_pool: $(SAN)/tests/unit/test_efi_mp_pool.o \
		$(patsubst %.c,$(SAN)/%.o,efi/mp_pool.c $(EFI_HOST_BASE))
	$(CC) $(SAN_FLAGS) -o $@ $^ -lpthread

# The disk's started writes (efi/disk_io2.c): the firmware's events, the Block I/O 2
# device and disk.c's synchronous side stood in for by the test.
$(SAN)/tests/unit/test_efi_disk_io2.o $(SAN)/efi/disk_io2.o: SAN_CFLAGS += $(EFI_HOST_EFIINC) \
	-DGNU_EFI_USE_MS_ABI
$(SAN)/tests/unit/test_efi_disk_io2: $(SAN)/tests/unit/test_efi_disk_io2.o \
		$(patsubst %.c,$(SAN)/%.o,efi/disk_io2.c $(EFI_HOST_BASE))
	$(CC) $(SAN_FLAGS) -o $@ $^

TEST_TARGETS += $(SAN)/tests/unit/test_efi_args $(SAN)/tests/unit/test_efi_fetch \
		$(SAN)/tests/unit/test_efi_disk_io2 \
		$(SAN)/tests/unit/test_efi_mp_pool \
		$(SAN)/tests/unit/test_efi_url $(SAN)/tests/unit/test_efi_machine_key \
		$(SAN)/tests/unit/test_efi_orders $(SAN)/tests/unit/test_efi_capture

# The DHCP packet strata.efi reads its arguments from after firmware PXE (untrusted bytes).
$(FUZZ)/tests/fuzz/fuzz_efi_args.o: INCS := -Iefi $(INCS)
$(FUZZ)/tests/unit/efi_host/%.o: INCS := -Iefi $(INCS)
$(FUZZ)/fuzz_efi_args: $(FUZZ)/tests/fuzz/fuzz_efi_args.o \
		$(patsubst %.c,$(FUZZ)/%.o,efi/args.c images/core/text.c $(EFI_HOST_BASE))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^
