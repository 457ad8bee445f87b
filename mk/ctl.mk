# strata-ctl: the command line over strata-server's HTTP API (ctl/, README "strata-ctl").
# libcurl for HTTP(S), json-c (libjson-c-dev) for the answers, and the core's text helpers
# (numbers, MACs) so it parses them as the server does.

CTL_SRCS := $(wildcard ctl/*.c) images/core/text.c images/core/rc.c
CTL_LIBS := -lcurl -ljson-c
CTL_OBJS = $(patsubst %.c,$(1)/%.o,$(CTL_SRCS))

$(REL)/strata-ctl: $(call CTL_OBJS,$(REL))
	$(CC) -o $@ $^ $(CTL_LIBS)
$(SAN)/strata-ctl: $(call CTL_OBJS,$(SAN))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CTL_LIBS)

ALL_TARGETS  += $(REL)/strata-ctl
TEST_TARGETS += $(SAN)/strata-ctl

# libFuzzer target for what strata-ctl reads from a server: answers as JSON, the lab in them.
$(FUZZ)/tests/fuzz/fuzz_ctl_answer.o: INCS += -Ictl
$(FUZZ)/fuzz_ctl_answer: $(FUZZ)/tests/fuzz/fuzz_ctl_answer.o \
		$(patsubst %.c,$(FUZZ)/%.o,ctl/api.c ctl/token.c ctl/lab.c)
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(CTL_LIBS)
TEST_TARGETS += $(FUZZ)/fuzz_ctl_answer

# Unit test of its pure parts (explicit: wins over images.mk's pattern rule for
# tests/unit/test_*, which links the images core instead).
$(SAN)/tests/unit/test_ctl.o: SAN_CFLAGS += -Ictl
$(SAN)/tests/unit/test_ctl: $(SAN)/tests/unit/test_ctl.o \
		$(patsubst %.c,$(SAN)/%.o,ctl/api.c ctl/token.c ctl/lab.c ctl/fmt.c ctl/table.c)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CTL_LIBS)
