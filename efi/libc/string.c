/*
 * The string functions strata.efi's linked code needs and libefi lacks (see string.h).
 *
 * Plain byte loops: these run on manifests, PEM keys and OIDs of a few hundred bytes; bulk
 * data moves through memcpy/memset from libefi.  mk/efi.mk builds this file with
 * -fno-tree-loop-distribute-patterns so that GCC cannot turn a loop here back into a call
 * to the very function it implements.
 */
#include <stdint.h>
#include <string.h>

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* Copy backwards when dst overlaps the tail of src. */
	if ((uintptr_t)d - (uintptr_t)s < n) {
		while (n--)
			d[n] = s[n];
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	const unsigned char *x = (const void *)a, *y = (const void *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return (*x > *y) - (*x < *y);
}

char *strstr(const char *haystack, const char *needle)
{
	for (;; haystack++) {
		size_t i = 0;

		/* Stops at the first difference, so never reads past haystack's NUL. */
		while (needle[i] && haystack[i] == needle[i])
			i++;
		if (!needle[i])
			return (char *)haystack;
		if (!*haystack)
			return NULL;
	}
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (; n && *x && *x == *y; n--, x++, y++)
		;
	return n ? (*x > *y) - (*x < *y) : 0;
}

/* Whether c is one of the characters of set. */
static int in_set(const char *set, char c)
{
	while (*set && *set != c)
		set++;
	return *set != '\0';
}

size_t strspn(const char *s, const char *accept)
{
	size_t n = 0;

	while (s[n] && in_set(accept, s[n]))
		n++;
	return n;
}

size_t strcspn(const char *s, const char *reject)
{
	size_t n = 0;

	while (s[n] && !in_set(reject, s[n]))
		n++;
	return n;
}
