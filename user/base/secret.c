// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "secret.h"

int secret_read(const char *path, const char *what, char *buf, size_t len,
		char *why, size_t whylen)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		snprintf(why, whylen, "cannot open %s %s: %s", what, path,
			 strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s %s is not a regular file", what,
			 path);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(why, whylen,
			 "%s %s is accessible by others (mode %04o): chmod 600 %s",
			 what, path, (unsigned)(st.st_mode & 07777), path);
		goto fail;
	}
	n = read(fd, buf, len - 1);
	if (n < 0) {
		snprintf(why, whylen, "cannot read %s %s: %s", what, path,
			 strerror(errno));
		goto fail;
	}
	if ((size_t)n == len - 1) {
		snprintf(why, whylen, "%s %s is too long", what, path);
		goto fail;
	}
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (n && buf[n - 1] == '\r')
		buf[--n] = 0;
	if (n == 0) {
		snprintf(why, whylen, "%s %s is empty", what, path);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}
