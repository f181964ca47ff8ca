/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `wgturn up` is told: from the command line or a wg-quick-style
 * INI file ([Interface] Uplink = ..., WireGuardConfig = PATH, XdpMode; one or more
 * [Relay] sections, tried in order, with Server = turn:HOST[:PORT],
 * Username, and PasswordFile or AuthSecretFile [CredentialLifetime];
 * [Rendezvous] Zone, Server, TsigKeyFile, Publish; Metrics, MetricsFile).
 */
#ifndef WGT_UPCONF_H
#define WGT_UPCONF_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wgturn.h"
#include "dp/xdp_mode.h"

#define UP_MAX_RELAYS 4
#define UP_HOST_MAX 256
#define UP_USER_MAX 256
#define UP_PASS_MAX 256

struct relay_conf {
	char host[UP_HOST_MAX];	/* name or address literal, no brackets */
	uint16_t port;		/* default 3478 */
	char username[UP_USER_MAX];
	char password_file[4096];	/* long-term credentials, or */
	char secret_file[4096];		/* TURN REST API credentials from
					 * coturn's static-auth-secret */
	uint32_t cred_lifetime;		/* their validity, s (default 1 day) */
};

#define UP_CRED_LIFETIME_DEFAULT 86400
#define UP_CRED_LIFETIME_MIN 10

/* [Rendezvous]: the DNS zone peers meet in (wgsd's layout). */
struct rdv_conf {
	char zone[UP_HOST_MAX];		/* empty: no rendezvous */
	char server[UP_HOST_MAX];	/* the zone's primary: name or address */
	uint16_t port;			/* default 53 */
	char tsig_file[4096];		/* needed to publish */
	bool publish;			/* default yes */
	bool publish_set;		/* Publish given */
	bool direct;			/* direct paths: default yes */
	bool direct_set;		/* Direct given */
};

struct up_conf {
	char wgif[IF_NAMESIZE];
	int n_uplinks;
	char uplinks[WGT_MAX_UPLINKS][IF_NAMESIZE];
	enum xdp_req xdp;	/* ingress hook: auto unless XdpMode says */
	int n_relays;
	struct relay_conf relays[UP_MAX_RELAYS];
	struct rdv_conf rdv;
	char wg_config[4096];	/* wg-quick config naming peers by DNS name;
				 * empty: /etc/wireguard/WGIF.conf if there */
	char metrics[UP_HOST_MAX];	/* ADDR:PORT of the metrics listener */
	char metrics_file[4096];	/* textfile for node_exporter */
	char config_path[4096];		/* the file read; empty: options
					 * only (a reload re-reads the
					 * credentials' files) */
	bool foreground;
};

/* Where `up WGIF` looks without options: $WGTURN_CONFIG_DIR or this. */
#define UP_CONFIG_DIR "/etc/wgturn"


/* RFC 7065 turn: URI, UDP only. 0, or -1 with a one-line reason. */
int turn_uri_parse(const char *uri, char *host, size_t hostlen,
		   uint16_t *port, char *why, size_t whylen);
/* Read a password file that only its owner can read; strips one
 * trailing newline. 0, or -1 with a one-line reason. */
int password_read(const char *path, char *buf, size_t len, char *why,
		  size_t whylen);
/* HOST, HOST:PORT, [V6]:PORT or a bare V6 address; port default 53. */
int dns_server_parse(const char *s, char *host, size_t hostlen,
		     uint16_t *port, char *why, size_t whylen);
/* The [Rendezvous] key (Zone, Server, TsigKeyFile, Publish) into r;
 * 0, 1 for an unknown key, -1 with a reason for a bad value. */
int rdv_conf_set(struct rdv_conf *r, const char *key, const char *value,
		 char *why, size_t whylen);
/* Complete and consistent: Zone and Server together, a key to publish. */
int rdv_conf_check(struct rdv_conf *r, char *why, size_t whylen);
/* CredentialLifetime: seconds, UP_CRED_LIFETIME_MIN up to ten years. */
int lifetime_parse(const char *s, uint32_t *out);
/* A relay's keys, complete and consistent (Server, Username, one kind
 * of credentials); fills in defaults. 0, or -1 with a reason. */
int relay_conf_check(struct relay_conf *r, char *why, size_t whylen);
/* Load an INI file into c (wgif is not touched). */
int up_conf_load(const char *path, struct up_conf *c, char *why,
		 size_t whylen);

#endif
