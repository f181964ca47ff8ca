// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "usage.h"

#define WRAP_COL 78

/* Append word to the line being printed, wrapping under the command. */
static void word(FILE *f, const char *w, int *col, int indent)
{
	int len = (int)strlen(w);

	if (*col + 1 + len > WRAP_COL && *col > indent) {
		fprintf(f, "\n%*s", indent, "");
		*col = indent;
	} else {
		fputc(' ', f);
		(*col)++;
	}
	fputs(w, f);
	*col += len;
}

static void form_line(FILE *f, const struct cli_cmd *cmd, int form)
{
	int indent = 2 + (int)strlen(cmd->name) + 1, col;
	char buf[160];

	col = fprintf(f, "  %s", cmd->name);
	if (cmd->forms[form][0])
		word(f, cmd->forms[form], &col, indent);
	for (const struct cli_opt *o = cmd->opts; o->name; o++) {
		bool req = o->required & (1u << form);
		const char *arg = o->metavar ? o->metavar : "";
		const char *sep = o->metavar ? " " : "";

		if (!(o->forms & (1u << form)))
			continue;
		if (req) {
			snprintf(buf, sizeof(buf), "--%s%s%s", o->name, sep, arg);
			word(f, buf, &col, indent);
		}
		if (!req || o->repeat) {
			snprintf(buf, sizeof(buf), "[--%s%s%s]%s", o->name, sep,
				 arg, o->repeat ? "..." : "");
			word(f, buf, &col, indent);
		}
	}
	fputc('\n', f);
}

void cli_usage(FILE *f, const struct cli_cmd *cmds, size_t n,
	       const struct cli_cmd *cmd)
{
	for (size_t i = 0; i < n; i++) {
		if (cmd && cmd != &cmds[i])
			continue;
		for (int form = 0; form < CLI_MAX_FORMS && cmds[i].forms[form];
		     form++)
			form_line(f, &cmds[i], form);
	}
}

void cli_getopt_table(const struct cli_cmd *cmd,
		      struct option out[CLI_MAX_OPTS + 1])
{
	int n = 0;

	for (const struct cli_opt *o = cmd->opts; o->name; o++, n++)
		out[n] = (struct option){ o->name,
					  o->metavar ? required_argument :
						       no_argument,
					  NULL, o->val };
	out[n] = (struct option){ 0 };
}

void cli_option_name(const char *arg, char *out, size_t len)
{
	size_t n = strcspn(arg, "=");

	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), arg);
}

int cli_find_abbrev(const struct cli_cmd *cmd, int argc, char **argv,
		    char *bad, size_t len)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];
		size_t n = strcspn(a, "=");
		bool full = false, abbrev = false;

		if (strncmp(a, "--", 2) || n <= 2)
			continue;
		for (const struct cli_opt *o = cmd->opts; o->name; o++) {
			if (strlen(o->name) == n - 2 && !strncmp(o->name, a + 2, n - 2))
				full = true;
			else if (o->exact && strlen(o->name) > n - 2 &&
				 !strncmp(o->name, a + 2, n - 2))
				abbrev = true;
		}
		if (abbrev && !full) {
			cli_option_name(a, bad, len);
			return i;
		}
	}
	return 0;
}
