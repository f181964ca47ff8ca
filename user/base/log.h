/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One logging function for every message, in the xdp-tools manner
 * (pr_warn, pr_info, pr_debug): to stderr, or to the system log once a
 * daemon runs in the background. libbpf's own messages only with -v.
 */
#ifndef WGT_LOG_H
#define WGT_LOG_H

enum wgt_log_level { WGT_LOG_ERR, WGT_LOG_WARN, WGT_LOG_INFO, WGT_LOG_DEBUG };

extern int log_verbose;

void log_msg(enum wgt_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_setup_libbpf(void);
/* From now on, messages go to syslog(3) as "wgturn[PID]: TAG: message"
 * (the daemon's TAG is its WireGuard interface), not to stderr. */
void log_to_syslog(const char *tag);

struct wgt_err;
/* Show what a library call left in e: its notes under -v, its warning,
 * and its error when failed. */
void log_report(const struct wgt_err *e, int failed);

#define pr_err(...) log_msg(WGT_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(WGT_LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(WGT_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(WGT_LOG_DEBUG, __VA_ARGS__)

#endif
