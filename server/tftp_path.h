/*
 * Resolve a TFTP filename to an open file under the served root.
 *
 * Why this is its own module: the filename is attacker-controlled, and "never open
 * anything outside the root" is the one property of the TFTP server that must hold even
 * when everything else is wrong.  It is fuzzed (tests/fuzz/fuzz_tftp.c) with a check that
 * every file it opens is one of the root's.
 *
 * Rules (decided here, documented once):
 *  - a leading '/' means "the root", as PXE clients and pxelinux configs write
 *    "/boot/x"; repeated '/' collapse; "." components are dropped;
 *  - '\' is converted to '/' before any other check, because Windows-style boot setups
 *    send "boot\x64\wdsmgfw.efi"; since conversion happens first, "..\" is still caught;
 *  - any ".." component is refused (even one that would stay inside the root), as is a
 *    NUL byte inside the name, an empty result, and names over 255 bytes;
 *  - the kernel then resolves the name with openat2(RESOLVE_BENEATH |
 *    RESOLVE_NO_MAGICLINKS): symlinks that stay inside the root work, any that would leave
 *    it (absolute, or through "..") fail.  Where openat2 is missing (Linux < 5.6, or a
 *    seccomp filter) every component is opened with O_NOFOLLOW instead, which refuses
 *    every symlink: stricter, never looser;
 *  - only regular files are served (opened O_NONBLOCK so a FIFO cannot stall the server).
 */
#ifndef STRATA_TFTP_PATH_H
#define STRATA_TFTP_PATH_H

#include <stddef.h>
#include <stdint.h>

/** Size of the buffer tftp_path_normalize writes: the longest name and its NUL. */
#define TFTP_PATH_BUF (255 + 1)

/**
 * Lexical half of the rules above: turn name[0..len) into a root-relative path in out
 * (caller's buffer of outsz >= TFTP_PATH_BUF bytes), or fail with a negative errno and a
 * static reason in *why.  Pure, so the fuzzer and unit tests can check it alone.
 */
int tftp_path_normalize(const char *name, size_t len, char *out, size_t outsz,
			const char **why);

/**
 * Open name[0..len) read-only under root_fd (a directory fd the caller keeps owning).
 * On success *fd_out is a new O_CLOEXEC descriptor that the caller owns and must close,
 * and *size is the file's size when opened.  Uses openat2 where the kernel has it.
 */
int tftp_path_open(int root_fd, const char *name, size_t len, int *fd_out, uint64_t *size,
		   const char **why);

/**
 * The same, always with the O_NOFOLLOW walk (the fallback of tftp_path_open), exposed so
 * tests can exercise the path a kernel without openat2 would take.
 */
int tftp_path_open_nofollow(int root_fd, const char *name, size_t len, int *fd_out,
			    uint64_t *size, const char **why);

#endif /* STRATA_TFTP_PATH_H */
