/*
 * libFuzzer target for the admins file parser (server/admins.h), the administrator's
 * input but read again at every SIGHUP.  Invariants: an accepted file's admins have valid,
 * unique, unreserved names and hashes of an accepted method that crypt_checksalt calls
 * current, and parsing the same bytes twice gives the same list; a refusal names a line
 * within the file and a message.  No password is hashed here (that is libcrypt's cost,
 * not the parser's).
 */
#include <crypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "admins.h"
#include "who.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The invariants of one accepted admin. */
static void check_admin(const struct admins *a, size_t i)
{
	const struct admin *ad = &a->a[i];
	size_t n = strlen(ad->name);

	if (n == 0 || n > API_TOKEN_NAME_MAX || who_name_reserved(ad->name, n))
		abort();
	if (crypt_checksalt(ad->hash) != CRYPT_SALT_OK || ad->hash[0] != '$')
		abort();
	if (admins_find(a, ad->name) != ad)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strata_diag diag = { 0 };
	struct admins *a = NULL, *b = NULL;
	int rc = admins_parse((const char *)data, size, &a, &diag);

	if (rc) {
		if (!diag.msg || (rc != STRATA_ENOMEM && (diag.where == 0 || diag.where > size + 1)))
			abort();
		return 0;
	}
	for (size_t i = 0; i < a->n; i++)
		check_admin(a, i);
	if (admins_parse((const char *)data, size, &b, &diag) || b->n != a->n ||
	    memcmp(a->a, b->a, a->n * sizeof(*a->a)))
		abort();
	admins_free(a);
	admins_free(b);
	return 0;
}
