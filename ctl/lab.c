/* The lab from /machines.json (lab.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "lab.h"

int lab_get(struct api *a, json_object **doc)
{
	int rc = api_get_json(a, "/machines.json", "list the machines", doc);

	if (rc == CTL_OK && !json_object_is_type(lab_machines(*doc), json_type_array)) {
		fprintf(stderr, "strata-ctl: /machines.json holds no \"machines\" list\n");
		json_object_put(*doc);
		*doc = NULL;
		rc = CTL_EOTHER;
	}
	return rc;
}

json_object *lab_machines(json_object *doc)
{
	json_object *v = NULL;

	return json_object_object_get_ex(doc, "machines", &v) ? v : NULL;
}

const char *lab_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t lab_int(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

/* Whether mac ("52:54:00:..") is name spelt with ':' or '-', in any case. */
static int mac_is(const char *mac, const char *name)
{
	if (!mac || strlen(mac) != 17 || strlen(name) != 17)
		return 0;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? name[i] != ':' && name[i] != '-'
			       : strncasecmp(mac + i, name + i, 1))
			return 0;
	}
	return 1;
}

json_object *lab_find(json_object *doc, const char *name)
{
	json_object *list = lab_machines(doc);
	size_t n = list ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(list, i);
		const char *nm = lab_str(m, "name");

		if ((nm && !strcmp(nm, name)) || mac_is(lab_str(m, "mac"), name))
			return m;
	}
	return NULL;
}

const char *lab_state(json_object *m)
{
	const char *result = lab_str(m, "result"), *pending = lab_str(m, "pending");
	json_object *cap;

	if (result && !strcmp(result, "failed"))
		return "failed";
	if (result && !strcmp(result, "running"))
		return json_object_object_get_ex(m, "capture", &cap) ? "capturing" : "deploying";
	if (pending && strcmp(pending, "none"))
		return "queued";
	return "idle";
}

int lab_state_settled(const char *state)
{
	return !strcmp(state, "idle") || !strcmp(state, "failed");
}
