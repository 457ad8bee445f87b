# The dashboard's front end (ui/, docs/dashboard.md): plain HTML, CSS and JavaScript
# modules, compiled into strata-server so that nothing is fetched from elsewhere at run
# time.  Each file of ui/ becomes one .incbin in $(BUILD)/gen/ui_files.S, and
# $(BUILD)/gen/ui_table.c lists them as server/ui_files.h's {name, type, data, len, etag},
# the etag the first 16 hex digits of the file's SHA-256, made here at build time.
# Included after mk/strata-server.mk: it adds its objects to the server's link ($^ takes
# the prerequisites of every rule of a target).

UI_FILES := $(sort $(wildcard ui/*.html ui/*.css ui/*.js ui/*.svg))

$(BUILD)/gen/ui_files.S: $(UI_FILES) mk/ui.mk
	@mkdir -p $(@D)
	@{ echo '/* Generated from ui/ by mk/ui.mk: do not edit. */'; \
	  echo '	.section .rodata'; i=0; \
	  for f in $(UI_FILES); do \
	    echo "	.globl ui_file_$$i"; echo "	.balign 16"; \
	    echo "ui_file_$$i:"; echo "	.incbin \"$$f\""; echo '	.byte 0'; i=$$((i + 1)); \
	  done; echo '	.section .note.GNU-stack,"",@progbits'; } > $@

$(BUILD)/gen/ui_table.c: $(UI_FILES) mk/ui.mk
	@mkdir -p $(@D)
	@{ echo '/* Generated from ui/ by mk/ui.mk: do not edit. */'; \
	  echo '#include "ui_files.h"'; i=0; \
	  for f in $(UI_FILES); do echo "extern const unsigned char ui_file_$$i[];"; i=$$((i + 1)); done; \
	  echo 'const struct ui_file ui_files[] = {'; i=0; \
	  for f in $(UI_FILES); do \
	    case $$f in *.html) t='text/html; charset=utf-8';; *.css) t='text/css; charset=utf-8';; \
	      *.js) t='text/javascript; charset=utf-8';; *) t='image/svg+xml';; esac; \
	    echo "	{ \"$$(basename $$f)\", \"$$t\", ui_file_$$i, $$(wc -c < $$f)," \
	      "\"\\\"$$(sha256sum $$f | cut -c1-16)\\\"\" },"; i=$$((i + 1)); \
	  done; echo '};'; echo "const size_t ui_files_count = $$i;"; } > $@

$(REL)/gen/%.o: $(BUILD)/gen/%.S
	@mkdir -p $(@D)
	$(CC) -c $< -o $@
$(SAN)/gen/%.o: $(BUILD)/gen/%.S
	@mkdir -p $(@D)
	$(CC) -c $< -o $@
$(REL)/gen/ui_table.o: $(BUILD)/gen/ui_table.c
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) -c $< -o $@
$(SAN)/gen/ui_table.o: $(BUILD)/gen/ui_table.c
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) -c $< -o $@

UI_OBJS = $(1)/server/http_ui.o $(1)/gen/ui_files.o $(1)/gen/ui_table.o
$(REL)/strata-server: $(call UI_OBJS,$(REL))
$(SAN)/strata-server: $(call UI_OBJS,$(SAN))
