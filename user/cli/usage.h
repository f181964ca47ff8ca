/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CLI's commands, declared once: each command's forms (its positional
 * arguments) and options. Usage text and getopt_long's tables are both
 * generated from them, so `wgturn CMD --help` cannot drift from what
 * CMD accepts.
 */
#ifndef WGT_USAGE_H
#define WGT_USAGE_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_MAX_FORMS 4
#define CLI_MAX_OPTS 24

struct cli_opt {
	const char *name;	/* --name */
	const char *metavar;	/* its argument; NULL: none */
	int val;		/* what getopt_long returns for it */
	unsigned forms;		/* bit i: allowed in form i */
	unsigned required;	/* bit i: required in form i */
	bool repeat;		/* may be given more than once */
	bool exact;		/* never abbreviated: it names a secret's
				 * file, and --password SECRET must not be
				 * taken for --password-file SECRET */
};

struct cli_cmd {
	const char *name;
	const char *forms[CLI_MAX_FORMS];	/* positional synopsis per form */
	struct cli_opt opts[CLI_MAX_OPTS];	/* ends at a NULL name: at most
						 * CLI_MAX_OPTS - 1 options */
	int (*fn)(const struct cli_cmd *cmd, int argc, char **argv);
};

/* Usage lines of cmd (or of every command in cmds when cmd is NULL). */
void cli_usage(FILE *f, const struct cli_cmd *cmds, size_t n,
	       const struct cli_cmd *cmd);
/* getopt_long's table for cmd's options, NULL-terminated. */
void cli_getopt_table(const struct cli_cmd *cmd,
		      struct option out[CLI_MAX_OPTS + 1]);

/* argv's first abbreviation of an exact option of cmd (its name up to
 * any '=' into bad), or 0 when there is none. */
int cli_find_abbrev(const struct cli_cmd *cmd, int argc, char **argv,
		    char *bad, size_t len);
/* The option getopt_long stopped at (argv[optind - 1]), up to any '=':
 * an error message never shows an option's value. */
void cli_option_name(const char *arg, char *out, size_t len);

#endif
