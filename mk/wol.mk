# Wake-on-LAN, unknown PCs, registration and the library's sizes (server/wol*.c,
# unknown.c, register*.c, library.c): their unit tests and fuzzers.  strata-server itself
# lists the sources in mk/strata-server.mk.  Included by the top Makefile.

# Unit test of the magic packet and the --wol-broadcast list (the list reuses the HTTP
# parser's CIDR reader).
$(SAN)/tests/unit/test_wol.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_wol: $(SAN)/tests/unit/test_wol.o \
		$(patsubst %.c,$(SAN)/%.o,server/wol_packet.c $(HTTP_PARSE_SRCS) $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

TEST_TARGETS += $(SAN)/tests/unit/test_wol

# Unit test of the unknown PCs' table (bounded, least recently seen forgotten first).
$(SAN)/tests/unit/test_unknown.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_unknown: $(SAN)/tests/unit/test_unknown.o $(SAN)/server/unknown.o \
		$(patsubst %.c,$(SAN)/%.o,$(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

TEST_TARGETS += $(SAN)/tests/unit/test_unknown

# Registration's pure parts (names from a pattern, the macs= list): unit test and fuzzer,
# with the inventory's parser for its name rule.
REGISTER_PURE_SRCS := server/register.c $(INVENTORY_PURE_SRCS)
$(SAN)/tests/unit/test_register.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_register: $(SAN)/tests/unit/test_register.o \
		$(patsubst %.c,$(SAN)/%.o,$(REGISTER_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)
$(FUZZ)/tests/fuzz/fuzz_register.o: INCS += -Iserver
$(FUZZ)/fuzz_register: $(FUZZ)/tests/fuzz/fuzz_register.o \
		$(patsubst %.c,$(FUZZ)/%.o,$(REGISTER_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)

TEST_TARGETS += $(SAN)/tests/unit/test_register $(FUZZ)/fuzz_register

# Unit test of each layer's stored and unique bytes (layer_bytes.h), the library's grouping.
$(SAN)/tests/unit/test_layer_bytes.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_layer_bytes: $(SAN)/tests/unit/test_layer_bytes.o \
		$(patsubst %.c,$(SAN)/%.o,server/layer_bytes.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

TEST_TARGETS += $(SAN)/tests/unit/test_layer_bytes
