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
