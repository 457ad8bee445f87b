/*
 * strata-ctl: options and dispatch (ctl.h).  One option table for every command; each
 * command names the options it takes, so "deploy --as x" is refused rather than ignored,
 * and every command answers --help.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl.h"
#include "text.h"

volatile sig_atomic_t ctl_interrupted;

#define LISTING (OPT_JSON)
#define ORDER (OPT_JSON | OPT_YES)

/** A command: its name, function, the options it takes, and its help. */
struct command {
	const char *name;
	ctl_cmd_fn fn;
	unsigned int opts;
	const char *usage;
	const char *help;
};

static const struct command commands[] = {
	{ "machines", cmd_machines, LISTING, "machines [--json]",
	  "List the machines with their state, progress, key and last capture (from\n"
	  "/machines.json; --json prints that document as the server sent it)." },
	{ "show", cmd_show, LISTING, "show NAME [--json]",
	  "One machine (by name or MAC): its state, last report, key, and generations." },
	{ "generations", cmd_generations, LISTING, "generations NAME [--json]",
	  "The generations captured of NAME's partitions (GET /api/generations/NAME)." },
	{ "deploy", cmd_deploy, ORDER | OPT_ALL | OPT_ROOM | OPT_AT | OPT_WAKE,
	  "deploy NAME... | --all | --room R [--at TIME [--wake]] [--yes]",
	  "Order a deploy at each machine's next network boot (POST /api/deploy/NAME).\n"
	  "Several names are ordered one by one: exit 7 when some were refused.  --room R\n"
	  "previews the room's order first (POST /api/orders/preview: the bytes each machine\n"
	  "fetches), asks with the total, then confirms that preview: one order.  --at TIME\n"
	  "schedules it instead (YYYY-MM-DDTHH:MM[:SS], then Z, +HH:MM or nothing for the\n"
	  "server's zone); --wake wakes the machines 5 minutes before and at the time." },
	{ "capture", cmd_capture, ORDER | OPT_AS | OPT_PREPARED | OPT_FORCE | OPT_AT | OPT_WAKE,
	  "capture NAME [--as PROFILE [--prepared]] [--force] [--at TIME [--wake]] [--yes]",
	  "Order a capture of NAME's own partitions, or with --as a gold capture of its\n"
	  "disk to become PROFILE; --prepared says the PC was generalized (asked on a\n"
	  "terminal, required elsewhere).  --force captures a filesystem strata.efi cannot\n"
	  "map whole.  Prints the task's token, for strata-image capture-disk." },
	{ "replace", cmd_replace, ORDER | OPT_MAC | OPT_AT, "replace NAME --mac MAC [--at TIME] [--yes]",
	  "A new PC (MAC) takes NAME over: its name, profile, layers and generations." },
	{ "restore", cmd_restore, ORDER | OPT_GENERATION | OPT_AT | OPT_WAKE,
	  "restore NAME --generation N [--at TIME [--wake]] [--yes]",
	  "Capture NAME's partitions, then restore them to generation N at its next boot." },
	{ "accept-key", cmd_accept_key, ORDER, "accept-key NAME [--yes]",
	  "Accept NAME's new or changed machine key (NAME may be a MAC or all)." },
	{ "cancel", cmd_cancel, ORDER, "cancel NAME [--yes]",
	  "End NAME's open capture task (its token is void from then on)." },
	{ "gc", cmd_gc, ORDER | OPT_DRY_RUN, "gc [--dry-run] [--yes] [--json]",
	  "Delete what no layer, profile or kept generation names; --dry-run only counts." },
	{ "watch", cmd_watch, LISTING | OPT_UNTIL_IDLE | OPT_INTERVAL,
	  "watch [--until-idle] [--interval SECONDS] [--json]",
	  "Follow the lab by polling /machines.json (every 1 s unless --interval):\n"
	  "progress bars on a terminal, one line\n"
	  "per change of a machine's state, progress decile or message elsewhere, one JSON\n"
	  "object per line with --json.  --until-idle ends once no machine is queued,\n"
	  "deploying or capturing: exit 0, or 8 if a machine failed meanwhile." },
	{ "wake", cmd_wake, ORDER | OPT_ROOM, "wake NAME... | --room R [--yes]",
	  "Wake-on-LAN: the server sends each machine's magic packet 3 times to its\n"
	  "network's broadcast address (POST /api/wake; docs/wol.md)." },
	{ "schedule", cmd_schedule, LISTING, "schedule [--json]",
	  "The orders scheduled with --at, newest first, with their state (pending, done,\n"
	  "failed, cancelled, missed) and result (GET /api/schedule)." },
	{ "schedule-cancel", cmd_schedule_cancel, ORDER, "schedule-cancel ID [--yes]",
	  "Cancel scheduled order ID before it runs (exit 5 once it ran)." },
	{ "unknown", cmd_unknown, LISTING, "unknown [--json]",
	  "The PCs that asked to boot and are not in the inventory (GET /api/unknown)." },
	{ "register", cmd_register, ORDER | OPT_PATTERN | OPT_PROFILE | OPT_START | OPT_ROOM |
	  OPT_SITE, "register MAC... --pattern P --profile X [--start N] [--room R] "
	  "[--site S] [--yes]",
	  "Name new PCs from a pattern (one run of #, like lab300-##, names in use\n"
	  "skipped) into the inventory's registered file (POST /api/register;\n"
	  "docs/registration.md)." },
	{ "profiles", cmd_profiles, LISTING, "profiles [--json]",
	  "Every profile: its machines, partitions (label:policy) and, for a captured one,\n"
	  "the machine and age of the capture (GET /api/profiles)." },
	{ "layers", cmd_layers, LISTING, "layers [--json]",
	  "Every store layer a profile names: its machines, profiles, partitions and, when\n"
	  "a captured profile names it, the machine and age of the capture (GET /api/layers)." },
	{ "library", cmd_library, LISTING, "library [--json]",
	  "The store's sizes: its layers' data, the bytes stored, the ratio; then each\n"
	  "layer's image size, stored bytes and unique bytes (GET /api/library)." },
};

static const char common_help[] =
	"Options of every command:\n"
	"  --server URL      the server's base URL (env STRATA_URL), e.g. http://192.0.2.10\n"
	"  --token FILE      a file holding an API token of the server's --api-tokens\n"
	"                    (env STRATA_TOKEN_FILE; never the token itself on the command line)\n"
	"  --cacert FILE     the CA that signed an https server's certificate\n"
	"  --timeout SECONDS each request's limit (default 30)\n"
	"  --help            this help, or a command's\n"
	"Orders (deploy, capture, replace, restore, accept-key, cancel, gc, wake, register,\n"
	"schedule-cancel) ask [y/N] on a terminal; elsewhere they need --yes.\n"
	"Exit codes: 0 ok; 1 other error; 2 usage, or not confirmed; 3 the token or the API\n"
	"refused (401/403); 4 no such machine (404); 5 the order refused (400/409); 6 server\n"
	"unreachable or TLS failed; 7 some machines of a bulk order refused; 8 watch\n"
	"--until-idle saw a failure; 130 interrupted.\n";

/* Top-level help: every command's usage line. */
static void usage_all(FILE *f)
{
	fprintf(f, "usage: strata-ctl [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  strata-ctl %s\n", commands[i].usage);
	fprintf(f, "\n%s", common_help);
}

static void usage_one(FILE *f, const struct command *cmd)
{
	fprintf(f, "usage: strata-ctl [OPTIONS] %s\n\n%s\n\n%s", cmd->usage, cmd->help,
		common_help);
}

static const struct option longopts[] = {
	{ "server", required_argument, NULL, 'S' }, { "token", required_argument, NULL, 'T' },
	{ "cacert", required_argument, NULL, 'C' }, { "timeout", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' }, { "yes", no_argument, NULL, 'y' },
	{ "all", no_argument, NULL, 'a' }, { "as", required_argument, NULL, 'A' },
	{ "force", no_argument, NULL, 'f' }, { "prepared", no_argument, NULL, 'p' },
	{ "mac", required_argument, NULL, 'm' }, { "generation", required_argument, NULL, 'g' },
	{ "dry-run", no_argument, NULL, 'd' }, { "until-idle", no_argument, NULL, 'u' },
	{ "interval", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' },
	{ "room", required_argument, NULL, 'r' }, { "at", required_argument, NULL, 'x' },
	{ "wake", no_argument, NULL, 'k' }, { "pattern", required_argument, NULL, 'P' },
	{ "profile", required_argument, NULL, 'o' }, { "start", required_argument, NULL, 's' },
	{ "site", required_argument, NULL, 'e' },
	{ NULL, 0, NULL, 0 },
};

/* The command-specific option bits of each letter, and their names for refusals. */
static const struct {
	int letter;
	unsigned int bit;
	const char *name;
} optbits[] = {
	{ 'j', OPT_JSON, "--json" }, { 'y', OPT_YES, "--yes" }, { 'a', OPT_ALL, "--all" },
	{ 'A', OPT_AS, "--as" }, { 'f', OPT_FORCE, "--force" }, { 'p', OPT_PREPARED, "--prepared" },
	{ 'm', OPT_MAC, "--mac" }, { 'g', OPT_GENERATION, "--generation" },
	{ 'd', OPT_DRY_RUN, "--dry-run" }, { 'u', OPT_UNTIL_IDLE, "--until-idle" },
	{ 'i', OPT_INTERVAL, "--interval" }, { 'r', OPT_ROOM, "--room" },
	{ 'x', OPT_AT, "--at" }, { 'k', OPT_WAKE, "--wake" },
	{ 'P', OPT_PATTERN, "--pattern" }, { 'o', OPT_PROFILE, "--profile" },
	{ 's', OPT_START, "--start" }, { 'e', OPT_SITE, "--site" },
};

/* A whole number of 1..max from an option's text; -1 if it is not one. */
static int64_t number(const char *s, uint64_t max)
{
	uint64_t v;

	if (strata_u64_parse(&v, s, strlen(s), max) || v == 0)
		return -1;
	return (int64_t)v;
}

/* The numeric and string options; 0, or CTL_EUSAGE having said which is wrong. */
static int take_value(struct ctl *c, int letter, const char *arg)
{
	int64_t v = 0;

	if (letter == 'S')
		c->server = arg;
	else if (letter == 'T')
		c->token_file = arg;
	else if (letter == 'C')
		c->cacert = arg;
	else if (letter == 'A')
		c->as = arg;
	else if (letter == 'm')
		c->mac = arg;
	else if (letter == 'r')
		c->room = arg;
	else if (letter == 'x')
		c->at = arg;
	else if (letter == 'P')
		c->pattern = arg;
	else if (letter == 'o')
		c->profile = arg;
	else if (letter == 'e')
		c->site = arg;
	else if (letter == 's' && (v = number(arg, 999999999)) > 0)
		c->start = (uint64_t)v;
	else if (letter == 't' && (v = number(arg, 86400)) > 0)
		c->timeout = (long)v;
	else if (letter == 'g' && (v = number(arg, INT64_MAX)) > 0)
		c->generation = (uint64_t)v;
	else if (letter == 'i' && (v = number(arg, 3600)) > 0)
		c->interval = (double)v;
	if (v >= 0)
		return 0;
	fprintf(stderr, "strata-ctl: --%s takes a whole number above 0, not '%s'\n",
		letter == 't' ? "timeout" : letter == 'g' ? "generation" :
		letter == 's' ? "start" : "interval", arg);
	return CTL_EUSAGE;
}

/* Parse every option, wherever it stands; operands are left from optind on.  0, or an
 * exit code (usage). */
static int parse(struct ctl *c, int argc, char **argv, int *help)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "hy", longopts, NULL)) != -1) {
		if (ch == '?')
			return CTL_EUSAGE;
		if (ch == 'h')
			*help = 1;
		for (size_t i = 0; i < sizeof(optbits) / sizeof(optbits[0]); i++)
			if (optbits[i].letter == ch)
				c->opts |= optbits[i].bit;
		if (strchr("STCAmtgirPoesx", ch) && take_value(c, ch, optarg))
			return CTL_EUSAGE;
	}
	return 0;
}

/* An option given to a command that does not take it: refused, naming both. */
static int check_opts(const struct ctl *c, const struct command *cmd)
{
	for (size_t i = 0; i < sizeof(optbits) / sizeof(optbits[0]); i++)
		if ((c->opts & optbits[i].bit) && !(cmd->opts & optbits[i].bit)) {
			fprintf(stderr, "strata-ctl %s: %s is not one of its options; usage: "
				"strata-ctl %s\n", cmd->name, optbits[i].name, cmd->usage);
			return CTL_EUSAGE;
		}
	return 0;
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void on_sigint(int sig)
{
	ctl_interrupted = 1;
}

/* SIGINT sets ctl_interrupted without SA_RESTART, so a wait or a read returns early. */
static void catch_sigint(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct ctl c = { .server = getenv("STRATA_URL"), .token_file = getenv("STRATA_TOKEN_FILE"),
			 .timeout = 30, .interval = 1 };
	const struct command *cmd;
	int help = 0, rc = parse(&c, argc, argv, &help);

	if (rc || optind >= argc) {
		usage_all(rc || !help ? stderr : stdout);
		return rc || !help ? CTL_EUSAGE : CTL_OK;
	}
	if (!(cmd = find(argv[optind]))) {
		fprintf(stderr, "strata-ctl: no command '%s'; strata-ctl --help lists them\n",
			argv[optind]);
		return CTL_EUSAGE;
	}
	if (help)
		return usage_one(stdout, cmd), CTL_OK;
	if ((rc = check_opts(&c, cmd)))
		return rc;
	if ((c.opts & OPT_WAKE) && !c.at)
		return fprintf(stderr, "strata-ctl %s: --wake goes with --at TIME\n", cmd->name),
		       CTL_EUSAGE;
	c.args = argv + optind + 1;
	c.nargs = argc - optind - 1;
	c.in_tty = isatty(STDIN_FILENO);
	c.out_tty = isatty(STDOUT_FILENO);
	catch_sigint();
	rc = cmd->fn(&c);
	return ctl_interrupted ? CTL_EINTR : rc;
}
