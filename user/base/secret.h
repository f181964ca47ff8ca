/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Secrets in files (TURN passwords, TSIG keys): a regular file only its
 * owner can read, one line. Messages name the file, never its content.
 */
#ifndef WGT_SECRET_H
#define WGT_SECRET_H

#include <stddef.h>

/* Read the file at path into buf, one trailing newline stripped; what
 * names it in messages ("password file"). 0, or -1 with a reason. */
int secret_read(const char *path, const char *what, char *buf, size_t len,
		char *why, size_t whylen);

#endif
