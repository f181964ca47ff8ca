// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "metrics.h"
#include "metrics_file.h"

int metrics_file_write(const char *path, const struct wgt_pins *p,
		       char *why, size_t whylen)
{
	char tmp[PATH_MAX], e[512];
	FILE *f;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(why, whylen, "metrics file '%s': name too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0) {
		snprintf(why, whylen, "metrics file: cannot create %s: %s",
			 tmp, strerror(errno));
		return -1;
	}
	fchmod(fd, 0644);	/* whatever the umask */
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(why, whylen, "metrics file: %s", strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	err = metrics_render(f, p, e, sizeof(e));
	if (err)
		snprintf(why, whylen, "%s", e);
	if (fclose(f) && !err) {
		err = -1;
		snprintf(why, whylen, "metrics file: cannot write %s: %s",
			 tmp, strerror(errno));
	}
	if (!err && rename(tmp, path)) {
		err = -1;
		snprintf(why, whylen, "metrics file: cannot rename %s to %s: %s",
			 tmp, path, strerror(errno));
	}
	if (err)
		unlink(tmp);
	return err;
}
