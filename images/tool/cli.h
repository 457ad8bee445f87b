/*
 * strata-image's command-line pieces: option parsing and the subcommands, one file each.
 * Each command returns the process exit status (0 ok, 1 failure, 2 usage error).
 */
#ifndef STRATA_CLI_H
#define STRATA_CLI_H

#include <stdint.h>
#include "host.h"

/** True when opt matches argv[*i] as "--opt VALUE" or "--opt=VALUE"; sets *val, advances i. */
int opt_value(int argc, char **argv, int *i, const char *opt, const char **val);

/** Parse a size such as 64K or 1M into bytes; prints an error naming what. */
int parse_size_arg(const char *what, const char *s, uint64_t *out);

int cmd_build(int argc, char **argv);
/**
 * `build --store URL --token TOKEN`: build path into a staging folder (removed after),
 * then upload it under the capture task (upload.h) and commit it as the layer of part
 * when given (force=yes when flags has LAYER_BUILD_FORCE); pubkey (a file, or NULL) checks
 * the server's signature on the upload key's handshake.  Returns the process's exit code:
 * 0, 1 (failed, printed), 2 (usage).
 */
int build_upload(const char *url, const char *token, const char *part, const char *pubkey,
		 int json, const char *path, unsigned int shift, int level, unsigned int flags);
/** strata-server's base URL from --store url, without trailing slashes, into out (cap
 *  bytes).  0, or 2 (usage, printed). */
int capture_base_url(const char *url, char *out, size_t cap);
/**
 * Build path (a partition's image) and upload it under the capture task token at
 * strata-server base, committed as partition label (capture-disk's step for each
 * partition); the layer id into id.  0 or 1 (printed).
 */
int capture_part_upload(const char *base, const char *token, const char *pubkey,
			const char *label, const char *path, unsigned int flags, uint8_t id[32]);
/** `capture-disk --store URL --token TOKEN [--keep LABEL].. DISK`: a gold capture of a
 *  whole disk (capture_disk.c). */
int cmd_capture_disk(int argc, char **argv);
/** `capture-done --store URL --token TOKEN [--layout FILE]`: end a capture task. */
int cmd_capture_done(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
/** `sb keygen DIR`: the lab's Secure Boot keys and enrollment payloads (sb_cmd.c). */
int cmd_sb(int argc, char **argv);
/** `push --store DIR --to s3://B/P` (or `--from`): a store to or from S3 (push_cmd.c). */
int cmd_push(int argc, char **argv);

#endif /* STRATA_CLI_H */
