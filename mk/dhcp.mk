# server/dhcp*: strata-server's proxyDHCP part, run alone as strata-dhcpd, with its unit
# test and its fuzzer.  Included by the top Makefile (-include mk/dhcp.mk).

# The proxyDHCP service; independent of any main(), strata-server links it too.
DHCP_PURE_SRCS := server/dhcp_parse.c server/dhcp_reply.c
DHCP_SRCS      := server/loop_epoll.c $(DHCP_PURE_SRCS) server/dhcp.c server/ratelimit.c \
	server/log_limit.c images/core/text.c
DHCPD_SRCS     := $(DHCP_SRCS) server/daemon.c server/dhcp_main.c

$(REL)/strata-dhcpd: $(patsubst %.c,$(REL)/%.o,$(DHCPD_SRCS))
	$(CC) -o $@ $^
$(SAN)/strata-dhcpd: $(patsubst %.c,$(SAN)/%.o,$(DHCPD_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^

# Unit test of the parser and the reply builder (no network).  An explicit rule, so it
# wins over images.mk's pattern rule that links every tests/unit/test_* with the images
# core instead of these two files.
$(SAN)/tests/unit/test_dhcp.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_dhcp: $(SAN)/tests/unit/test_dhcp.o \
		$(patsubst %.c,$(SAN)/%.o,$(DHCP_PURE_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^

# libFuzzer target for the parser, and the decision and reply built from what it
# accepts.  Explicit for the same reason as the unit test.
$(FUZZ)/tests/fuzz/fuzz_dhcp.o: INCS += -Iserver
$(FUZZ)/fuzz_dhcp: $(FUZZ)/tests/fuzz/fuzz_dhcp.o $(patsubst %.c,$(FUZZ)/%.o,$(DHCP_PURE_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^

ALL_TARGETS  += $(REL)/strata-dhcpd
TEST_TARGETS += $(SAN)/strata-dhcpd $(SAN)/tests/unit/test_dhcp $(FUZZ)/fuzz_dhcp
