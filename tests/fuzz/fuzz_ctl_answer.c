/*
 * libFuzzer target for what strata-ctl reads from a server (ctl/api.h's api_json, then
 * ctl/lab.h over the document): the bytes of an answer, which a hostile or broken server,
 * or anyone in the path of plain HTTP, controls.  Invariants: a parsed document was the
 * whole answer (nothing but blanks after it); every machine's state is one of lab_state's
 * five words; lab_find finds only a machine of that name or MAC; nothing reads past the
 * answer (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "lab.h"

volatile sig_atomic_t ctl_interrupted;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lab_state's word for m must be one of its five. */
static void check_state(json_object *m)
{
	static const char *const words[] = { "failed", "capturing", "deploying", "queued", "idle" };
	const char *st = lab_state(m);

	for (size_t i = 0; i < 5; i++)
		if (!strcmp(st, words[i]))
			return;
	abort();
}

/* The document's machines, each state checked, and a lookup by name. */
static void walk(json_object *doc)
{
	json_object *list = lab_machines(doc), *m;
	const char *name;

	if (!json_object_is_type(list, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		m = json_object_array_get_idx(list, i);
		check_state(m);
		lab_int(m, "done");
		lab_str(m, "message");
	}
	m = lab_find(doc, "pc01");
	name = m ? lab_str(m, "name") : NULL;
	if (m && !(name && !strcmp(name, "pc01")) && !lab_str(m, "mac"))
		abort();
	lab_find(doc, "52-54-00-5e-00-01");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_resp r = { .status = 200, .len = size };
	json_object *doc;

	if (!(r.body = malloc(size + 1)))
		return 0;
	memcpy(r.body, data, size);
	r.body[size] = '\0';
	if (api_json(&r, "fuzz", &doc) == CTL_OK) {
		if (!doc)
			abort();
		walk(doc);
		json_object_put(doc);
	}
	free(r.body);
	return 0;
}
