// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <bpf/libbpf.h>
#include "err.h"
#include "log.h"

int log_verbose;
static const char *syslog_tag;	/* set: messages go to syslog(3) */

static const int syslog_prio[] = {
	[WGT_LOG_ERR] = LOG_ERR,
	[WGT_LOG_WARN] = LOG_WARNING,
	[WGT_LOG_INFO] = LOG_INFO,
	[WGT_LOG_DEBUG] = LOG_DEBUG,
};

void log_to_syslog(const char *tag)
{
	syslog_tag = tag;
	/* Opened now, after the fork: the PID in the tag is the daemon's. */
	openlog("wgturn", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_msg(enum wgt_log_level lvl, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (lvl == WGT_LOG_DEBUG && !log_verbose)
		return;
	if (lvl == WGT_LOG_INFO && log_verbose < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (syslog_tag) {
		syslog(syslog_prio[lvl], "%s: %s%s", syslog_tag,
		       lvl == WGT_LOG_WARN ? "warning: " : "", msg);
		return;
	}
	fprintf(stderr, "wgturn: %s%s\n",
		lvl == WGT_LOG_WARN ? "warning: " : "", msg);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!log_verbose)
		return 0;
	if (syslog_tag) {
		vsyslog(LOG_DEBUG, fmt, ap);
		return 0;
	}
	return vfprintf(stderr, fmt, ap);
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

void log_report(const struct wgt_err *e, int failed)
{
	const char *s = e->notes, *nl;

	while ((nl = strchr(s, '\n'))) {
		pr_debug("%.*s", (int)(nl - s), s);
		s = nl + 1;
	}
	if (e->warn[0])
		pr_warn("%s", e->warn);
	if (failed)
		pr_err("%s", e->msg[0] ? e->msg : "failed (no reason given)");
}
