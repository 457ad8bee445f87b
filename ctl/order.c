/* The flow of an order (order.h). */
#include <stdio.h>
#include <string.h>
#include "order.h"

int order_path(char *out, size_t cap, const char *verb, const char *name, const char *query)
{
	char esc[256];

	if (api_escape(esc, sizeof(esc), name) ||
	    snprintf(out, cap, "/api/%s/%s%s%s", verb, esc, *query ? "?" : "", query) >= (int)cap) {
		fprintf(stderr, "strata-ctl %s: the name '%.64s' is too long\n", verb, name);
		return CTL_EUSAGE;
	}
	return CTL_OK;
}

const char *order_one_name(const struct ctl *c, const char *usage)
{
	if (c->nargs == 1)
		return c->args[0];
	fprintf(stderr, "strata-ctl: %s; usage: strata-ctl %s\n",
		c->nargs ? "one machine per order" : "name the machine", usage);
	return NULL;
}

/* A text answer as JSON: {"machine": MACHINE, "message": TEXT} without its newline. */
static void print_text_json(const char *machine, const char *text)
{
	json_object *o = json_object_new_object();
	size_t n = strcspn(text, "\n");

	if (machine)
		json_object_object_add(o, "machine", json_object_new_string(machine));
	json_object_object_add(o, "message", json_object_new_string_len(text, (int)n));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* Print a 2xx answer: JSON or text, for --json or for people. */
static int print_answer(const struct ctl *c, const struct api_resp *r, const char *machine,
			const char *what, order_print_fn print)
{
	json_object *o;
	int rc;

	if (!r->len || r->body[0] != '{') {
		if (c->opts & OPT_JSON)
			print_text_json(machine, r->body ? r->body : "");
		else
			fputs(r->body ? r->body : "\n", stdout);
		return CTL_OK;
	}
	if ((rc = api_json(r, what, &o)))
		return rc;
	if (c->opts & OPT_JSON || !print)
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	else
		print(o);
	json_object_put(o);
	return CTL_OK;
}

int order_post(struct ctl *c, struct api *a, const char *machine, const char *path,
	       const char *what, order_print_fn print)
{
	struct api_resp r;
	int rc = api_request(a, "POST", path, what, &r);

	if (rc == CTL_OK)
		rc = print_answer(c, &r, machine, what, print);
	api_resp_free(&r);
	return rc;
}

int order_run(struct ctl *c, const char *machine, const char *question, const char *path,
	      const char *what, order_print_fn print)
{
	struct api a;
	int rc = api_open(&a, c);

	if (rc)
		return rc;
	rc = ctl_confirm(c, question);
	if (rc == CTL_OK)
		rc = order_post(c, &a, machine, path, what, print);
	api_close(&a);
	return rc;
}
