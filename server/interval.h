/*
 * Interval captures (docs/retention.md, "Interval capture"): a machine whose profile or
 * machine line says capture-every=DURATION, and whose profile marks a part capture=yes,
 * is captured at its first network boot after DURATION has passed since its last
 * committed generation (or, with none, since it was first seen booting with the key).
 * The server opens the machine capture task itself, recorded like an admin's order by
 * the credential name "interval" (capture_task.h), and the machine's orders say
 * `action=capture kind=machine then=local`: capture, then boot the disk.  Before the
 * interval, the boot is unchanged.  A pending deploy goes first: no interval capture is
 * opened while one is pending, and an admin's open task is left alone.
 *
 * Why at the boot: the capture runs before the OS, for any OS, with no agent inside it.
 * "Now" is server_now() (clock.h), so a test moves it instead of waiting a day.
 */
#ifndef STRATA_INTERVAL_H
#define STRATA_INTERVAL_H

#include <stdint.h>

struct server;


/**
 * mac boots from the network: open its interval capture task when it is due.  Returns 1
 * when the machine has an open interval task (opened now or at an earlier boot), 0 when
 * not (no interval, not due, a deploy pending, another task open, or a failure, which is
 * logged).  Takes the catalog and state locks and the database's itself.
 */
int interval_boot(struct server *s, const uint8_t mac[6]);

/** Whether mac's open capture task, if any, is an interval capture (then the agent boots
 *  the disk after it: then=local).  1 or 0. */
int interval_is_open(struct server *s, const uint8_t mac[6]);

#endif /* STRATA_INTERVAL_H */
