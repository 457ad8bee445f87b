# server/: strata-server's parts.  So far its TFTP server, run alone as strata-tftpd, with
# its unit test (tests/unit/test_tftp.c), its protocol test helper (tests/tools/tftp_poke.c)
# and its fuzzer.  Included by the top Makefile.

# The TFTP server and its event loop; independent of any main(), strata-server links them too.
# The core's text.c escapes what clients send before it reaches the log.
TFTP_SRCS   := server/loop_epoll.c server/tftp_parse.c server/tftp_path.c server/tftp.c \
	server/ratelimit.c server/holders.c images/core/text.c
TFTPD_SRCS  := $(TFTP_SRCS) server/daemon.c server/tftp_main.c
# What the unit test and the fuzzer exercise without sockets.
TFTP_PURE_SRCS := server/tftp_parse.c server/tftp_path.c

$(REL)/strata-tftpd: $(patsubst %.c,$(REL)/%.o,$(TFTPD_SRCS))
	$(CC) -o $@ $^
$(SAN)/strata-tftpd: $(patsubst %.c,$(SAN)/%.o,$(TFTPD_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^

# Unit test of the parser, the path resolver and the loop's timers (no network).  An
# explicit rule, so it wins over images.mk's pattern rule that links every tests/unit/test_*
# with the images core instead of these files.
$(SAN)/tests/unit/test_tftp.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_tftp: $(SAN)/tests/unit/test_tftp.o \
		$(patsubst %.c,$(SAN)/%.o,$(TFTP_PURE_SRCS) server/loop_epoll.c)
	$(CC) $(SAN_FLAGS) -o $@ $^

# Unit test of the log line rate limiter (server/ratelimit.c), which needs nothing else.
$(SAN)/tests/unit/test_ratelimit.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_ratelimit: $(SAN)/tests/unit/test_ratelimit.o $(SAN)/server/ratelimit.o
	$(CC) $(SAN_FLAGS) -o $@ $^

# Unit test of the "held by" describer of full tables (server/holders.c).
$(SAN)/tests/unit/test_holders.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_holders: $(SAN)/tests/unit/test_holders.o $(SAN)/server/holders.o
	$(CC) $(SAN_FLAGS) -o $@ $^

# Scripted TFTP client that injects what real clients do (size probe, duplicate ACKs, a
# second source port) for tests/server/tftp.sh; the core's hex decoder reads its raw bytes.
$(SAN)/tests/tools/tftp_poke.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/tools/tftp_poke: $(SAN)/tests/tools/tftp_poke.o \
		$(patsubst %.c,$(SAN)/%.o,images/core/text.c images/core/rc.c)
	$(CC) $(SAN_FLAGS) -o $@ $^

# libFuzzer target for the request/ACK/ERROR parser and the path resolver.  An explicit
# rule, so it wins over images.mk's pattern rule that would link the images core instead.
$(FUZZ)/tests/fuzz/fuzz_tftp.o: INCS += -Iserver
$(FUZZ)/fuzz_tftp: $(FUZZ)/tests/fuzz/fuzz_tftp.o $(patsubst %.c,$(FUZZ)/%.o,$(TFTP_PURE_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^

ALL_TARGETS  += $(REL)/strata-tftpd
TEST_TARGETS += $(SAN)/strata-tftpd $(SAN)/tests/unit/test_tftp $(SAN)/tests/unit/test_ratelimit \
		$(SAN)/tests/unit/test_holders \
		$(SAN)/tests/tools/tftp_poke $(FUZZ)/fuzz_tftp
