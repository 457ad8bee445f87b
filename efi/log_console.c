/*
 * The log's outputs on UEFI (log_write, see log.h): the firmware console (ConOut) and, when
 * it answers, QEMU's and Bochs's debug port 0xe9.
 */
#include <stddef.h>
#include <efi.h>
#include <efilib.h>
#include "log.h"

/** QEMU's and Bochs's debug console port. */
#define DEBUGCON_PORT 0xe9

/** Whether port 0xe9 is a debug console (set by log_init). */
static int debugcon_present;

static inline uint8_t port_in8(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void port_out8(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

void log_init(void)
{
	/* QEMU's and Bochs's debugcon read back as 0xe9, which is how OVMF's own
	 * PlatformDebugLibIoPort detects it; an unclaimed port on real hardware reads 0xff. */
	debugcon_present = port_in8(DEBUGCON_PORT) == DEBUGCON_PORT;
}

static void debugcon_write(const char *s, size_t n)
{
	if (!debugcon_present)
		return;
	for (size_t i = 0; i < n; i++)
		port_out8(DEBUGCON_PORT, (uint8_t)s[i]);
	port_out8(DEBUGCON_PORT, '\n');
}

/* ConOut takes UCS-2 and wants CR LF; convert in small pieces to keep the stack small. */
static void console_write(const char *s, size_t n)
{
	CHAR16 wide[64 + 3];
	size_t i = 0, k;

	if (!ST || !ST->ConOut)
		return;
	do {
		for (k = 0; k < 64 && i < n; k++)
			wide[k] = (CHAR16)(unsigned char)s[i++];
		if (i == n) {
			wide[k++] = L'\r';
			wide[k++] = L'\n';
		}
		wide[k] = 0;
		ST->ConOut->OutputString(ST->ConOut, wide);
	} while (i < n);
}

void log_write(const char *line, size_t n)
{
	debugcon_write(line, n);
	console_write(line, n);
}
