/* Random bytes from the firmware or the CPU (see rng.h). */
#include <efi.h>
#include <efilib.h>
#include <cpuid.h>
#include "efi_rc.h"
#include "log.h"
#include "rc.h"
#include "rng.h"

static EFI_GUID rng_guid = EFI_RNG_PROTOCOL_GUID;
static EFI_RNG_PROTOCOL *efi_rng;
static enum rng_source source;

/** Tries of RDSEED/RDRAND per word: Intel's guidance is 10 for RDRAND; RDSEED may run dry
 *  for longer under load, so it gets more and pauses between tries. */
#define CPU_RNG_TRIES 100

/* CPUID: RDRAND is leaf 1 ECX bit 30, RDSEED leaf 7 EBX bit 18. */
static int cpu_has(enum rng_source s)
{
	unsigned int a, b, c, d;

	if (s == RNG_RDRAND)
		return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 30));
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 18));
}

/* One 64-bit word from RDSEED or RDRAND; 1 when the CPU gave one (carry set). */
static int cpu_word(uint64_t *w)
{
	unsigned char ok;

	for (int i = 0; i < CPU_RNG_TRIES; i++) {
		if (source == RNG_RDSEED)
			__asm__ volatile("rdseed %0; setc %1" : "=r"(*w), "=qm"(ok));
		else
			__asm__ volatile("rdrand %0; setc %1" : "=r"(*w), "=qm"(ok));
		if (ok)
			return 1;
		__asm__ volatile("pause");
	}
	return 0;
}

static int cpu_read(uint8_t *buf, size_t n)
{
	uint64_t w;

	while (n) {
		size_t k = n < sizeof(w) ? n : sizeof(w);

		if (!cpu_word(&w))
			return log_fail(STRATA_EIO, "rng: %s gave no value", rng_source_name());
		for (size_t i = 0; i < k; i++)
			buf[i] = (uint8_t)(w >> (8 * i));
		buf += k;
		n -= k;
	}
	return 0;
}

int rng_open(void)
{
	if (!EFI_ERROR(BS->LocateProtocol(&rng_guid, NULL, (void **)&efi_rng)) && efi_rng)
		source = RNG_EFI;
	else if (cpu_has(RNG_RDSEED))
		source = RNG_RDSEED;
	else if (cpu_has(RNG_RDRAND))
		source = RNG_RDRAND;
	else
		return log_fail(STRATA_ENOTSUP, "rng: no source of randomness (no EFI_RNG_PROTOCOL, "
				"no RDSEED, no RDRAND): refusing to make or use a machine key");
	return 0;
}

const char *rng_source_name(void)
{
	static const char *const names[] = {
		[RNG_NONE] = "none", [RNG_EFI] = "EFI_RNG_PROTOCOL", [RNG_RDSEED] = "RDSEED",
		[RNG_RDRAND] = "RDRAND",
	};

	return names[source];
}

int rng_read(uint8_t *buf, size_t n)
{
	EFI_STATUS s;

	if (source == RNG_NONE)
		return STRATA_ENOTSUP;
	if (source != RNG_EFI)
		return cpu_read(buf, n);
	s = efi_rng->GetRNG(efi_rng, NULL, n, buf);   /* NULL: the firmware's default */
	return EFI_ERROR(s) ? efi_fail(s, "EFI_RNG_PROTOCOL GetRNG") : 0;
}

int rng_entropy(void *ctx, unsigned char *buf, size_t n)
{
	return rng_read(buf, n) ? -1 : 0;
}
