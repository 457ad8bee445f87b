# Orders from the dashboard and strata-ctl (issue 15, Part F): previews with each machine's
# cost (impact.h), confirmed and scheduled orders.  The pure parts are unit-tested alone.

# Included before strata-server.mk, which adds ORDERS_SRCS to strata-server's sources.
ORDERS_SRCS := server/impact.c server/schedule_parse.c server/orders_req.c server/orders_set.c \
	server/orders.c server/orders_cost.c server/orders_run.c server/schedule.c server/http_orders.c

# Unit test of a deployment's cost: the pure diff and the core's index.
$(SAN)/tests/unit/test_impact.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_impact: $(SAN)/tests/unit/test_impact.o \
		$(patsubst %.c,$(SAN)/%.o,server/impact.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# Unit test of scheduled orders' times (DST under TZ=Europe/Paris, set by the test).
$(SAN)/tests/unit/test_schedule.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_schedule: $(SAN)/tests/unit/test_schedule.o \
		$(patsubst %.c,$(SAN)/%.o,server/schedule_parse.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# libFuzzer target for scheduled orders' times.
$(FUZZ)/tests/fuzz/fuzz_schedule.o: INCS += -Iserver
$(FUZZ)/fuzz_schedule: $(FUZZ)/tests/fuzz/fuzz_schedule.o \
		$(patsubst %.c,$(FUZZ)/%.o,server/schedule_parse.c $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)

# libFuzzer target for an order's form (orders.h's order_req_parse) and its kept form's
# round trip; with the parsers it calls (capture_parse.h, the inventory's name checks,
# schedule_parse.h, http_parse.h's query reader).
$(FUZZ)/tests/fuzz/fuzz_orders.o: INCS += -Iserver
$(FUZZ)/fuzz_orders: $(FUZZ)/tests/fuzz/fuzz_orders.o \
		$(patsubst %.c,$(FUZZ)/%.o,server/orders_req.c server/schedule_parse.c \
		server/http_parse.c server/capture_parse.c server/inventory.c server/inventory_site.c \
		server/inventory_mcast.c server/keep.c images/host/util.c $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)
