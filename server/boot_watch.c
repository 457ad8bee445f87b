/* Secure Boot state per machine, and the agent that was fetched but never started
 * (boot_watch.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "boot_watch.h"
#include "catalog.h"
#include "text.h"

int neigh_mac(const struct sockaddr *addr, uint8_t mac[6])
{
	char line[256], ip[64], hw[32], want[INET_ADDRSTRLEN];
	unsigned int type, flags;
	FILE *f;
	int rc = STRATA_ENOENT;

	if (!addr || addr->sa_family != AF_INET ||
	    !inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, want, sizeof(want)))
		return STRATA_ENOENT;
	f = fopen("/proc/net/arp", "r");
	if (!f)
		return STRATA_ENOENT;
	while (rc && fgets(line, sizeof(line), f)) {
		/* "IP address  HW type  Flags  HW address  Mask  Device"; flags 0: incomplete */
		if (sscanf(line, "%63s %x %x %31s", ip, &type, &flags, hw) == 4 && flags &&
		    !strcmp(ip, want) && strata_mac_parse(mac, hw, strlen(hw)) == 0)
			rc = 0;
	}
	fclose(f);
	return rc;
}

void boot_watch_fetched(struct server *s, const struct sockaddr *peer, const char *name)
{
	char mname[INV_NAME_MAX + 1];
	uint8_t mac[6];
	struct mstate *st;
	uint32_t addr;
	int known;

	if (strcmp(name, "strata.efi") || neigh_mac(peer, mac))
		return;
	/* neigh_mac found it, so peer is IPv4: its address places an unknown PC at its site. */
	addr = ntohl(((const struct sockaddr_in *)peer)->sin_addr.s_addr);
	pthread_rwlock_rdlock(&s->lock);
	known = catalog_name(s, mac, addr, mname, sizeof(mname));
	pthread_rwlock_unlock(&s->lock);
	if (!known)
		return;
	pthread_mutex_lock(&s->state->lock);
	st = state_get(s->state, mac);
	if (st)
		st->boot_fetched = time(NULL);
	pthread_mutex_unlock(&s->state->lock);
}

void boot_watch_agent(struct server *s, const uint8_t mac[6])
{
	struct mstate *st;

	pthread_mutex_lock(&s->state->lock);
	st = state_get(s->state, mac);
	if (st)
		st->agent_seen = time(NULL);
	pthread_mutex_unlock(&s->state->lock);
}

int boot_watch_secure_boot(struct server *s, const uint8_t mac[6], const char *word)
{
	struct mstate *st;

	if (strcmp(word, "enforcing") && strcmp(word, "setup") && strcmp(word, "off"))
		return STRATA_EINVAL;
	pthread_mutex_lock(&s->state->lock);
	st = state_get(s->state, mac);
	if (st)
		snprintf(st->secure_boot, sizeof(st->secure_boot), "%s", word);
	pthread_mutex_unlock(&s->state->lock);
	return 0;
}

void boot_watch_json(FILE *f, const char *name, const struct mstate *st, time_t now)
{
	struct tm tm;

	fprintf(f, ", \"secure_boot\": \"%s\"", st && st->secure_boot[0] ? st->secure_boot
									 : "unknown");
	if (!st || !st->boot_fetched || st->agent_seen >= st->boot_fetched ||
	    now - st->boot_fetched < BOOT_WATCH_SILENT_S)
		return;
	localtime_r(&st->boot_fetched, &tm);
	fprintf(f, ", \"boot_fetched\": %lld, \"note\": \"%s fetched strata.efi at %02d:%02d and "
		"never started: Secure Boot may have refused it; is the lab's db key enrolled?\"",
		(long long)st->boot_fetched, name, tm.tm_hour, tm.tm_min);
}
