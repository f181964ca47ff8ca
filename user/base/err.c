// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "err.h"

int wgt_err_set(struct wgt_err *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

void wgt_err_warn(struct wgt_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->warn, sizeof(e->warn), fmt, ap);
	va_end(ap);
}

void wgt_err_note(struct wgt_err *e, const char *fmt, ...)
{
	size_t len;
	va_list ap;
	int n;

	if (!e)
		return;
	len = strlen(e->notes);
	va_start(ap, fmt);
	n = vsnprintf(e->notes + len, sizeof(e->notes) - len, fmt, ap);
	va_end(ap);
	/* A line that does not fit whole is dropped. */
	if (n < 0 || (size_t)n + 1 >= sizeof(e->notes) - len) {
		e->notes[len] = '\0';
		return;
	}
	e->notes[len + n] = '\n';
	e->notes[len + n + 1] = '\0';
}
