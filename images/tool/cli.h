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
 * then upload it under the capture task (upload.h) and commit it as a generation of part
 * when given; pubkey (a file, or NULL) checks the server's signature on the upload key's
 * handshake.  Returns the process's exit code: 0, 1 (failed, printed), 2 (usage).
 */
int build_upload(const char *url, const char *token, const char *part, const char *pubkey,
		 int json, const char *path, unsigned int shift, int level, unsigned int flags);
int cmd_apply(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_push(int argc, char **argv);

#endif /* STRATA_CLI_H */
