/* Numbers for people: sizes, ages, durations and progress, as strata-ctl prints them. */
#ifndef STRATA_CTL_FMT_H
#define STRATA_CTL_FMT_H

#include <stdint.h>
#include <time.h>

#define FMT_MAX 32

/** n bytes as "512 B", "1.4 MB", "2.6 GB" (powers of 1000, as disks are sold). */
void fmt_bytes(char out[FMT_MAX], uint64_t n);

/** How long ago at was, from now: "12 s ago", "5 min ago", "3 h ago", "2 d ago"; "never"
 * for 0. */
void fmt_age(char out[FMT_MAX], int64_t at, time_t now);

/** s seconds as "M:SS" or "H:MM:SS". */
void fmt_duration(char out[FMT_MAX], uint64_t s);

/** "45% of 2.6 GB", or "-" when total is 0. */
void fmt_progress(char out[FMT_MAX], uint64_t done, uint64_t total);

#endif /* STRATA_CTL_FMT_H */
