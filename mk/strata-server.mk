# strata-server: HTTP (libmicrohttpd), TFTP and proxyDHCP on one loop, the inventory, the
# machine layers and manifests.  Links the images core and the Linux host library.

SERVER_SRCS := server/main.c server/services.c server/server.c server/catalog.c server/state.c \
	server/sessions.c \
	server/db.c server/audit.c server/api_tokens.c server/key_parse.c server/key_db.c \
	server/machine_keys.c server/capture_task.c server/capture_parse.c server/capture_store.c \
	server/capture_commit.c server/capture_done.c server/capture_hello.c server/keep.c server/retention.c \
	server/quota.c server/server_clock.c server/interval.c server/generations.c server/digest_set.c server/gc.c \
	server/http_keep.c server/restore.c server/http_restore.c server/replace.c \
	server/inventory.c server/inventory_site.c server/machine.c server/cidata.c server/http.c server/http_capture.c server/http_private.c server/http_parse.c \
	server/http_run.c server/http_seal.c server/private_store.c server/layer_cache.c server/daemon.c server/loop_epoll.c server/tftp.c \
	server/tftp_parse.c server/tftp_path.c server/ratelimit.c server/log_limit.c server/http_guard.c server/holders.c \
	server/dhcp.c server/dhcp_parse.c \
	server/dhcp_reply.c server/boot_watch.c server/enroll.c server/store_access.c \
	server/admins.c server/admin_session.c server/login_limit.c server/login.c server/http_login.c \
	server/json_out.c server/lab_view.c server/lab_snapshot.c server/http_api.c server/http_json.c \
	server/sse.c server/http_events.c \
	server/inventory_mcast.c server/mcast_plan.c server/mcast.c server/mcast_client.c \
	server/mcast_machines.c server/mcast_send.c server/http_mcast.c \
	server/wol_packet.c server/wol.c server/http_wol.c \
	server/unknown.c server/http_unknown.c \
	server/register.c server/register_write.c server/http_register.c \
	server/library.c server/layer_bytes.c server/http_library.c
SERVER_SRCS += $(ORDERS_SRCS)
SERVER_LIBS := $(HOST_LIBS) -lmicrohttpd -lsqlite3 -lcrypt
# The HTTP parsers: what their unit test, fuzzer and test_efi_url link beside the core.
HTTP_PARSE_SRCS := server/http_parse.c

# The iPXE scripts of pxe/ become C strings (server/pxe_scripts.h declares them).
$(BUILD)/gen/pxe_scripts.c: $(wildcard pxe/*.ipxe) mk/strata-server.mk
	@mkdir -p $(@D)
	@{ echo '/* Generated from the scripts in pxe/ by mk/strata-server.mk: do not edit. */'; \
	  for f in pxe/*.ipxe; do n=$$(basename $$f .ipxe); \
	    echo "const char pxe_$${n}_ipxe[] ="; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$$/\\n"/' $$f; echo ';'; \
	  done; } > $@

$(REL)/gen/pxe_scripts.o: $(BUILD)/gen/pxe_scripts.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -c $< -o $@
$(SAN)/gen/pxe_scripts.o: $(BUILD)/gen/pxe_scripts.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@

SERVER_OBJS = $(patsubst %.c,$(1)/%.o,$(SERVER_SRCS) $(HOST_LIB_SRCS) $(HOSTLIB_SRCS)) \
	$(1)/gen/pxe_scripts.o

$(REL)/strata-server: $(call SERVER_OBJS,$(REL))
	$(CC) -o $@ $^ $(SERVER_LIBS)
$(SAN)/strata-server: $(call SERVER_OBJS,$(SAN))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(SERVER_LIBS)

# libFuzzer target for HTTP routing, ranges and queries.
$(FUZZ)/fuzz_http: $(FUZZ)/tests/fuzz/fuzz_http.o \
		$(patsubst %.c,$(FUZZ)/%.o,$(HTTP_PARSE_SRCS) $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)

ALL_TARGETS  += $(REL)/strata-server
TEST_TARGETS += $(SAN)/strata-server $(FUZZ)/fuzz_http

# Unit test of the HTTP parsers: links the parser and the core it uses, nothing else.
$(SAN)/tests/unit/test_http: $(SAN)/tests/unit/test_http.o \
		$(patsubst %.c,$(SAN)/%.o,$(HTTP_PARSE_SRCS) $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# The count of a multicast session's machines still needing chunks (mcast_machines.c),
# which the verdict's "alone" reads.
$(SAN)/tests/unit/test_mcast_machines.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_mcast_machines: $(SAN)/tests/unit/test_mcast_machines.o \
		$(patsubst %.c,$(SAN)/%.o,server/mcast_machines.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# Unit test of the layer cache: the cache, the host's file reader and the core.
$(SAN)/tests/unit/test_layer_cache.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_layer_cache: $(SAN)/tests/unit/test_layer_cache.o \
		$(patsubst %.c,$(SAN)/%.o,server/layer_cache.c images/host/util.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# Unit test of the token file parser and check: the parser, the host's file reader and the
# core's SHA-256.
$(SAN)/tests/unit/test_api_tokens: $(SAN)/tests/unit/test_api_tokens.o \
		$(patsubst %.c,$(SAN)/%.o,server/api_tokens.c images/host/util.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# Unit test of machine key registration: the parser and proof (the core's verifier), the
# key and nonce rows on a temporary database.
KEY_PURE_SRCS := server/key_parse.c
$(SAN)/tests/unit/test_machine_keys.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_machine_keys: $(SAN)/tests/unit/test_machine_keys.o \
		$(patsubst %.c,$(SAN)/%.o,$(KEY_PURE_SRCS) server/key_db.c server/db.c \
		images/host/util.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS) -lsqlite3

# libFuzzer target for the registration parser and the proof of possession.
$(FUZZ)/tests/fuzz/fuzz_key.o: INCS += -Iserver
$(FUZZ)/fuzz_key: $(FUZZ)/tests/fuzz/fuzz_key.o \
		$(patsubst %.c,$(FUZZ)/%.o,$(KEY_PURE_SRCS) $(HTTP_PARSE_SRCS) $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)

# Unit test of the session table: the table and the core's session code it checks with.
$(SAN)/tests/unit/test_sessions.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_sessions: $(SAN)/tests/unit/test_sessions.o \
		$(patsubst %.c,$(SAN)/%.o,server/sessions.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# The inventory's parser (with its sites, and the capture order rules its action=capture
# shares with the API) and a capture order's parameters: unit tests and libFuzzer targets.
INVENTORY_PURE_SRCS := server/capture_parse.c server/inventory.c server/inventory_site.c \
	server/inventory_mcast.c server/keep.c images/host/util.c
CAPTURE_PURE_SRCS := $(INVENTORY_PURE_SRCS)
$(SAN)/tests/unit/test_capture.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_capture: $(SAN)/tests/unit/test_capture.o \
		$(patsubst %.c,$(SAN)/%.o,$(CAPTURE_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# The keep keys and retention's choice (keep.h): pure, the inventory's parser beside them.
$(SAN)/tests/unit/test_keep.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_keep: $(SAN)/tests/unit/test_keep.o \
		$(patsubst %.c,$(SAN)/%.o,$(CAPTURE_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# The digest set garbage collection keeps referenced chunks in (digest_set.h).
$(SAN)/tests/unit/test_digest_set.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_digest_set: $(SAN)/tests/unit/test_digest_set.o \
		$(patsubst %.c,$(SAN)/%.o,server/digest_set.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# libFuzzer target for a capture order's query through the query decoder and the parser.
$(FUZZ)/tests/fuzz/fuzz_capture.o: INCS += -Iserver
$(FUZZ)/fuzz_capture: $(FUZZ)/tests/fuzz/fuzz_capture.o \
		$(patsubst %.c,$(FUZZ)/%.o,$(CAPTURE_PURE_SRCS) $(HTTP_PARSE_SRCS) $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)

# libFuzzer target for a captured layout and the profile the server makes of it.
$(FUZZ)/tests/fuzz/fuzz_layout.o: INCS += -Iserver
$(FUZZ)/fuzz_layout: $(FUZZ)/tests/fuzz/fuzz_layout.o \
		$(patsubst %.c,$(FUZZ)/%.o,$(CAPTURE_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)

# libFuzzer target for a capture hello's body and a sealed upload's opening.
$(FUZZ)/tests/fuzz/fuzz_capture_seal.o: INCS += -Iserver
$(FUZZ)/fuzz_capture_seal: $(FUZZ)/tests/fuzz/fuzz_capture_seal.o \
		$(patsubst %.c,$(FUZZ)/%.o,$(CAPTURE_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)

# Unit test of the capture hellos: the table alone, and a whole hello with a real key.
$(SAN)/tests/unit/test_capture_hello.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_capture_hello: $(SAN)/tests/unit/test_capture_hello.o \
		$(patsubst %.c,$(SAN)/%.o,server/capture_hello.c server/sessions.c \
		images/host/keys.c images/host/util.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

$(SAN)/tests/unit/test_inventory.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_inventory: $(SAN)/tests/unit/test_inventory.o \
		$(patsubst %.c,$(SAN)/%.o,$(INVENTORY_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)
$(FUZZ)/tests/fuzz/fuzz_inventory.o: INCS += -Iserver
$(FUZZ)/fuzz_inventory: $(FUZZ)/tests/fuzz/fuzz_inventory.o \
		$(patsubst %.c,$(FUZZ)/%.o,$(INVENTORY_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)

# Admins' accounts (issue 15): the admins file and password check, failed-login limits
# and the sessions, unit-tested alone, and the admins file's and Cookie header's fuzzers.
$(SAN)/tests/unit/test_admins.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_admins: $(SAN)/tests/unit/test_admins.o \
		$(patsubst %.c,$(SAN)/%.o,server/admins.c images/host/util.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS) -lcrypt
$(SAN)/tests/unit/test_login.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_login: $(SAN)/tests/unit/test_login.o \
		$(patsubst %.c,$(SAN)/%.o,server/login_limit.c server/admin_session.c $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)
$(FUZZ)/tests/fuzz/fuzz_admins.o: INCS += -Iserver
$(FUZZ)/fuzz_admins: $(FUZZ)/tests/fuzz/fuzz_admins.o \
		$(patsubst %.c,$(FUZZ)/%.o,server/admins.c images/host/util.c $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS) -lcrypt
$(FUZZ)/fuzz_cookie: $(FUZZ)/tests/fuzz/fuzz_cookie.o \
		$(patsubst %.c,$(FUZZ)/%.o,$(HTTP_PARSE_SRCS) $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)
TEST_TARGETS += $(FUZZ)/fuzz_admins $(FUZZ)/fuzz_cookie

# The dashboard's form and query decoder, and GET /api/machines's reading of it (fuzz_form).
$(FUZZ)/tests/fuzz/fuzz_form.o: INCS += -Iserver
$(FUZZ)/fuzz_form: $(FUZZ)/tests/fuzz/fuzz_form.o \
		$(patsubst %.c,$(FUZZ)/%.o,$(HTTP_PARSE_SRCS) server/lab_view.c server/json_out.c \
		$(INVENTORY_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(HOST_LIBS)
TEST_TARGETS += $(FUZZ)/fuzz_form

# The dashboard's tiles, filters and pages (lab_view.h) and its JSON writer: pure, unit
# tested beside the inventory's parser (rooms, names).
$(SAN)/tests/unit/test_lab_view.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_lab_view: $(SAN)/tests/unit/test_lab_view.o \
		$(patsubst %.c,$(SAN)/%.o,server/lab_view.c server/json_out.c $(INVENTORY_PURE_SRCS) \
		$(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# The event stream's hub (sse.h) against fake connections.
$(SAN)/tests/unit/test_sse.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_sse: $(SAN)/tests/unit/test_sse.o \
		$(patsubst %.c,$(SAN)/%.o,server/sse.c server/lab_view.c server/json_out.c \
		$(INVENTORY_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)

# The state's index by MAC (state_index), which the dashboard's snapshot looks machines up
# through: state.c with the database code it links against, no database opened.
$(SAN)/tests/unit/test_state_index.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_state_index: $(SAN)/tests/unit/test_state_index.o \
		$(patsubst %.c,$(SAN)/%.o,server/state.c server/db.c images/host/util.c \
		$(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS) -lsqlite3

# The multicast carousel's pure decisions (mcast_plan.h): the session plan of a profile,
# the next chunk, the verdict; with the inventory's parser, whose profiles it plans.
$(SAN)/tests/unit/test_mcast_plan.o: SAN_CFLAGS += -Iserver
$(SAN)/tests/unit/test_mcast_plan: $(SAN)/tests/unit/test_mcast_plan.o \
		$(patsubst %.c,$(SAN)/%.o,server/mcast_plan.c $(INVENTORY_PURE_SRCS) $(HOST_LIB_SRCS))
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS)
