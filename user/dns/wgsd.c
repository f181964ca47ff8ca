// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <ldns/ldns.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include "base/addr.h"
#include "wgsd.h"

#define SERVICE "_wireguard._udp."

static const char *dot(const char *zone)
{
	size_t n = strlen(zone);

	return n && zone[n - 1] == '.' ? "" : ".";
}

int wgsd_service(const char *zone, char *out, size_t len)
{
	int n = snprintf(out, len, SERVICE "%s%s", zone, dot(zone));

	return n > 0 && (size_t)n < len ? 0 : -1;
}

int wgsd_instance(const uint8_t key[WGSD_KEY_LEN], const char *zone,
		  char *out, size_t len)
{
	char b32[64];
	int n = ldns_b32_ntop(key, WGSD_KEY_LEN, b32, sizeof(b32));

	if (n <= 0)
		return -1;
	b32[n] = 0;
	for (char *p = b32; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	n = snprintf(out, len, "%s." SERVICE "%s%s", b32, zone, dot(zone));
	return n > 0 && (size_t)n < len ? 0 : -1;
}

static void add(char out[][64], int n, int *i, const char *key,
		const struct wgt_ep *ep)
{
	char a[EP_STRLEN];

	if (*i < n && ep->family)
		snprintf(out[(*i)++], 64, "%s=%s", key,
			 ep_str(ep, a, sizeof(a)));
}

int wgsd_txt_strings(const struct wgsd_record *rec, char out[][64], int n)
{
	char b64[48];
	int i = 0;

	if (n < 3)
		return -1;
	EVP_EncodeBlock((unsigned char *)b64, rec->pubkey, WGSD_KEY_LEN);
	snprintf(out[i++], 64, "txtvers=%d", WGSD_TXT_VERSION);
	snprintf(out[i++], 64, "pub=%s", b64);
	snprintf(out[i++], 64, "wgturn=%d", WGSD_CAND_VERSION);
	add(out, n, &i, "relay", &rec->relayed);
	add(out, n, &i, "srflx", &rec->srflx);
	for (int h = 0; h < rec->n_host; h++)
		add(out, n, &i, "host", &rec->host[h]);
	return i;
}

void wgsd_txt_take(struct wgsd_record *rec, const char *s, size_t len)
{
	char buf[64], why[64];
	const char *eq;
	struct wgt_ep ep;

	if (len >= sizeof(buf))
		return;
	memcpy(buf, s, len);
	buf[len] = 0;
	eq = strchr(buf, '=');
	if (!eq)
		return;
	if (ep_parse(eq + 1, &ep, why, sizeof(why)))
		return;
	if (!strncmp(buf, "relay=", 6))
		rec->relayed = ep;
	else if (!strncmp(buf, "srflx=", 6))
		rec->srflx = ep;
	else if (!strncmp(buf, "host=", 5) && rec->n_host < WGSD_MAX_HOST)
		rec->host[rec->n_host++] = ep;
	else
		return;
	rec->has_txt = true;
}
