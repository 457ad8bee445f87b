# Orders from the dashboard and strata-ctl (issue 15, Part F): previews with each machine's
# cost (impact.h), confirmed and scheduled orders.  The pure parts are unit-tested alone.

# Included before strata-server.mk, which adds ORDERS_SRCS to strata-server's sources.
ORDERS_SRCS := server/impact.c

# Unit test of a deployment's cost: the pure diff and the core's index.
$(SAN)/tests/unit/test_impact.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_impact: $(SAN)/tests/unit/test_impact.o \
		$(patsubst %.c,$(SAN)/%.o,server/impact.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)
