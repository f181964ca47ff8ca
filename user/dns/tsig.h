/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A TSIG key (RFC 8945) from a file of one line ALGORITHM:NAME:SECRET,
 * the form `knsupdate -y` and `nsupdate -y` take, e.g.
 * hmac-sha256:wgturn-key:BASE64SECRET. The file is readable by its owner
 * only; the secret never appears in a message.
 */
#ifndef WGT_DNS_TSIG_H
#define WGT_DNS_TSIG_H

#include <stddef.h>

struct dns_tsig {
	char algorithm[32];	/* ldns spelling: "hmac-sha256." */
	char name[256];		/* key name, absolute ("wgturn-key.") */
	char secret[256];	/* base64, as in the file */
};

/* Parse one ALGORITHM:NAME:SECRET line (ALGORITHM: defaults to
 * hmac-sha256). 0, or -1 with a reason that does not quote the secret. */
int tsig_parse(const char *line, struct dns_tsig *k, char *why, size_t len);
/* secret_read() then tsig_parse(); the reason names the file. */
int tsig_read(const char *path, struct dns_tsig *k, char *why, size_t len);

#endif
