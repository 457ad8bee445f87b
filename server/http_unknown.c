/* GET /api/unknown and the sightings that feed it (see http_unknown.h). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "http_unknown.h"
#include "json_out.h"
#include "text.h"

void unknown_note(struct server *s, const uint8_t mac[6], uint32_t ip, enum unknown_how how)
{
	int known;

	if (!s->unknown)
		return;
	pthread_rwlock_rdlock(&s->lock);
	known = inventory_find(s->cat->inv, mac) != NULL;
	pthread_rwlock_unlock(&s->lock);
	if (!known)
		unknown_seen(s->unknown, mac, ip, how, (int64_t)time(NULL));
}

/* Whether mac is one of the catalog's default-profile machines (queued or made).  Read
 * lock held; takes extra_lock. */
static int served(struct catalog *cat, const uint8_t mac[6])
{
	int yes = 0;

	pthread_mutex_lock(&cat->extra_lock);
	for (size_t i = 0; i < cat->nextra && !yes; i++)
		yes = !memcmp(cat->extra_m[i].mac, mac, 6);
	pthread_mutex_unlock(&cat->extra_lock);
	return yes;
}

/* One PC's object. */
static void pc_json(FILE *f, const struct unknown_pc *p, int is_served)
{
	char smac[18], ip[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = htonl(p->ip) };

	strata_mac_format(smac, p->mac);
	json_kv_str(f, "mac", smac, 1);
	json_kv_int(f, "first", p->first, 0);
	json_kv_int(f, "last", p->last, 0);
	json_key(f, "ip", 0);
	json_str(f, p->ip ? inet_ntop(AF_INET, &a, ip, sizeof(ip)) : NULL);
	json_kv_str(f, "how", unknown_how_name(p->how), 0);
	json_kv_int(f, "seen", (int64_t)p->seen, 0);
	fprintf(f, ",\"served\":%s", is_served ? "true" : "false");
}

/* The answer, a new string (NULL: no memory). */
static char *unknown_json(struct server *s, const struct unknown_pc *v, size_t n,
			  uint64_t forgotten, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fprintf(f, "{\"forgotten\":%llu,\"pcs\":[", (unsigned long long)forgotten);
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (inventory_find(s->cat->inv, v[i].mac))
			continue;   /* added to the inventory by hand since it was seen */
		fputs(k++ ? ",{" : "{", f);
		pc_json(f, &v[i], served(s->cat, v[i].mac));
		fputc('}', f);
	}
	pthread_rwlock_unlock(&s->lock);
	fputs("]}\n", f);
	if (fclose(f))
		return free(buf), NULL;
	return buf;
}

enum MHD_Result http_unknown(struct MHD_Connection *c, struct req *r, struct server *s)
{
	struct unknown_pc *v;
	uint64_t forgotten = 0;
	struct who by;
	const char *why;
	size_t n = 0, len = 0;
	char *body = NULL;
	int rc = http_authorize(c, s, r, &by, &why);

	if (rc)
		return http_fail(c, r, rc, why);
	v = calloc(UNKNOWN_MAX, sizeof(*v));
	if (v && s->unknown)
		n = unknown_list(s->unknown, v, UNKNOWN_MAX, &forgotten);
	if (v)
		body = unknown_json(s, v, n, forgotten, &len);
	free(v);
	return body ? http_owned(c, r, "application/json", body, len)
		    : http_fail(c, r, STRATA_ENOMEM, "out of memory");
}
