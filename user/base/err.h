/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How library code (dp/, wg/, turn/) reports: it returns a negative errno
 * and leaves one line in a struct wgt_err for its caller, plus at most a
 * warning and some detail lines; it never prints. Only the CLI and the
 * daemon log (base/log.h: log_report).
 */
#ifndef WGT_ERR_H
#define WGT_ERR_H

#define WGT_ERR_LEN 512

struct wgt_err {
	char msg[WGT_ERR_LEN];		/* the error, one line */
	char warn[WGT_ERR_LEN];		/* a warning to show even on success */
	char notes[2048];		/* detail lines, for -v */
};

/* Set e's error (e may be NULL); returns err, a negative errno. */
int wgt_err_set(struct wgt_err *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void wgt_err_warn(struct wgt_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append one detail line (dropped when notes are full). */
void wgt_err_note(struct wgt_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
