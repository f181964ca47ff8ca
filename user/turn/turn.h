/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TURN client (RFC 8656) for one allocation, without I/O: the caller
 * feeds it datagrams and the time, and gives it a function to send with.
 * Retransmission per RFC 8489 6.2.1 (RTO 500 ms, doubling, 7 sends, a
 * last wait of 16 RTO), long-term credentials with 401/438 handling,
 * refresh of the allocation, permissions and channels before they expire,
 * 437 -> reallocate, and Refresh with LIFETIME 0 on shutdown.
 *
 * It decides from evidence. An error answer without valid integrity to a
 * request that carried credentials is a hint: it is acted on only when
 * no authentic answer follows within TURN_HINT_MS. A relay that answers
 * nothing keeps the allocation until it expires (it may be back); a relay
 * that answers a Binding but not a Refresh sent after that answer has
 * lost the allocation (a restarted server that stays silent, as Pion's
 * does). A 401 to
 * credentials that have worked is retried with backoff, not final.
 */
#ifndef WGT_TURN_H
#define WGT_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stun.h"
#include "wgturn.h"

/* One peer per channel: an allocation has 4096 (0x4000-0x4FFF). */
#define TURN_MAX_PEERS (WGT_CHAN_MAX - WGT_CHAN_MIN + 1)
#define TURN_MAX_TX 16		/* transactions in flight */
#define TURN_MSG_MAX 1200	/* our requests are small */
#define TURN_PERM_LIFETIME_S 300
#define TURN_CHAN_LIFETIME_S 600
/* A channel given up on may go to another peer once its binding has
 * expired and 5 more minutes have passed (RFC 8656 12). */
#define TURN_CHAN_QUARANTINE_S (TURN_CHAN_LIFETIME_S + 300)
#define TURN_RTO_MS 500
#define TURN_RC 7		/* sends per request */
#define TURN_RM 16		/* last wait, in RTOs */
#define TURN_PROBE_MS 2000
#define TURN_KEEPALIVE_SLACK_MS 1000
#define TURN_PEER_REFRESH_MIN_MS 10000
#define TURN_LEARN_MS 5000
#define TURN_HINT_MS 1000	/* wait this for an authentic answer */
#define TURN_SILENT_WAIT_MS 1000 /* a Refresh sent once a Binding was
				  * answered, unanswered this long: lost */

enum turn_state {
	TURN_IDLE,
	TURN_ALLOCATING,
	TURN_ALLOCATED,
	TURN_FAILED,		/* error[] says why; reallocation may follow */
	TURN_CLOSED,
};

enum turn_bind {
	TB_NONE,
	TB_PENDING,
	TB_OK,
	TB_FAILED,
};

struct turn_peer {
	struct wgt_ep ep;
	uint16_t channel;
	uint8_t perm, chan;	/* enum turn_bind */
	bool wanted;
	uint64_t probe_ms;	/* no turn_peer_refresh() before this */
	uint64_t bound_ms;	/* the channel's last successful bind */
	uint64_t bind_sent_ms;	/* the last ChannelBind sent: the server
				 * may have renewed the binding then */
	uint64_t forced_ms;	/* turn_peer_refresh() on a silent path */
	uint64_t forced_age_ms;	/* how old the bind was then */
	uint32_t refresh_every_ms; /* learnt from a server that keeps them
				    * shorter than RFC 8656; 0: 240 s */
	uint64_t perm_refresh_ms, chan_refresh_ms;	/* when to renew */
};

struct turn_tx {
	bool active;
	uint16_t method;
	uint8_t txid[STUN_TXID_LEN];
	int peer;		/* index into peers, -1 for allocation */
	uint32_t lifetime;	/* Refresh: what was asked */
	bool authed;		/* sent with credentials */
	bool probe;		/* an Allocate with the next credentials, asking
				 * whether the allocation still lives */
	uint8_t auth_retries;	/* 401/438 answered so far in this chain */
	uint8_t sends;
	uint64_t start_ms;
	uint64_t last_send_ms;
	uint16_t hint_code;	/* an unauthenticated error, not yet acted on */
	uint64_t hint_ms;	/* act on it then */
	uint32_t verdict_wait;	/* Refresh, a Binding answered: resend,
				 * and expect the answer within this */
	uint64_t verdict_ms;	/* that resend unanswered by then: lost */
	char hint_text[200];
	uint32_t rto_ms;
	uint64_t next_ms;
	uint16_t len;
	uint8_t buf[TURN_MSG_MAX];
};

struct turn_client;
typedef int (*turn_send_fn)(void *ctx, const uint8_t *buf, size_t len);
/* A peer's channel became usable (bound) or stopped being so. */
typedef void (*turn_chan_fn)(void *ctx, const struct turn_peer *p, bool up);
/* The allocation changed state. */
typedef void (*turn_state_fn)(void *ctx, struct turn_client *c);

struct turn_client {
	struct wgt_ep server;
	char username[256];
	char password[256];
	char next_username[256];	/* turn_set_credentials(): for the */
	char next_password[256];	/* next Allocate */
	bool creds_pending;
	/* The allocation's own credentials have expired (REST ones; the
	 * caller knows): a relay that restarted would refuse them, and bind
	 * its new session to the first username it sees. While new ones
	 * wait, an Allocate with those asks first (turn.c, alive_probe). */
	bool creds_stale;
	uint8_t next_key[STUN_MD5_LEN];
	uint64_t alive_ms;	/* the probe last found the allocation alive */
	char realm[256];
	char nonce[256];
	uint8_t key[STUN_MD5_LEN];
	bool have_key;
	char software[32];

	enum turn_state state;
	struct wgt_ep relayed, mapped;
	uint32_t lifetime;		/* granted, seconds */
	uint32_t allocations;		/* times it became ALLOCATED */
	uint64_t expires_ms;		/* allocation expiry */
	uint64_t refresh_ms;		/* next Refresh */
	uint64_t retry_ms;		/* next Allocate after a failure */
	/* The 5-tuple never stays silent longer than this (0: Refresh only
	 * before expiry). An early Refresh keeps the NAT mapping alive and
	 * finds out soon that a restarted relay lost the allocation (437).
	 * It goes out TURN_KEEPALIVE_SLACK_MS early: a NAT that forgets
	 * after exactly this long must still see it in time. */
	uint32_t keepalive_ms;
	uint64_t probe_ms;		/* no turn_probe() before this */
	bool creds_worked;		/* an authentic success was seen */
	uint32_t auth_backoff_ms;	/* after a 401 to working credentials */
	bool unreachable;		/* a Refresh went unanswered */
	uint64_t binding_ok_ms;		/* last answered Binding */
	uint64_t last_ok_ms;		/* last authentic answer */
	uint32_t hints_ignored;		/* unauthenticated errors overruled */
	uint32_t answers;		/* answers to our requests, any kind */
	uint64_t answered_ms;		/* when the last one came */
	uint16_t error_code;
	char error[512];

	struct turn_peer peers[TURN_MAX_PEERS];
	int n_peers;
	uint32_t peers_gen;	/* bumped when a peer's channel state or
				 * address changes: watchers skip a scan */
	uint16_t next_channel;
	struct turn_tx tx[TURN_MAX_TX];

	turn_send_fn send;
	turn_chan_fn on_chan;
	turn_state_fn on_state;
	void *ctx;
};

void turn_init(struct turn_client *c, const struct wgt_ep *server,
	       const char *username, const char *password, turn_send_fn send,
	       void *ctx);
/* New credentials (a reload, REST credentials renewed before expiry):
 * the next Allocate uses them. An allocation keeps the credentials it was
 * made with, for its life: servers tie it to its USERNAME (RFC 8656 7.2,
 * 441 otherwise), and coturn checks a REST username's expiry only when
 * an allocation is made. Credentials that were refused are retried now. */
void turn_set_credentials(struct turn_client *c, const char *username,
			  const char *password, uint64_t now_ms);
/* Allocate (or, with a known relayed address, adopt by Refresh). */
int turn_start(struct turn_client *c, uint64_t now_ms);
/* Adopt an allocation a previous daemon made from this 5-tuple. */
void turn_preset(struct turn_client *c, const struct wgt_ep *relayed,
		 const struct wgt_ep *mapped, const char *realm,
		 const char *nonce);
/* A STUN datagram from the server. */
void turn_input(struct turn_client *c, const uint8_t *buf, size_t len,
		uint64_t now_ms);
/* Timers: retransmissions, refreshes, retries. */
void turn_tick(struct turn_client *c, uint64_t now_ms);
/* Milliseconds until turn_tick() has something to do (<= 1000). */
int turn_next_ms(const struct turn_client *c, uint64_t now_ms);
/* Keep a permission and a channel for ep; the channel is reused when a
 * peer comes back. A new peer gets a channel never used in this
 * allocation, else one given up on and out of quarantine. Returns the
 * peer, or NULL when all 4096 channels are taken or in quarantine. */
const struct turn_peer *turn_peer_want(struct turn_client *c,
				       const struct wgt_ep *ep,
				       uint16_t channel, uint64_t now_ms);
/* Stop refreshing ep (they expire on the server). */
void turn_peer_drop(struct turn_client *c, const struct wgt_ep *ep);
/* Our 5-tuple changed (the uplink's address did): the allocation is out
 * of reach; allocate anew now, keeping the peers wanted. */
void turn_restart(struct turn_client *c, uint64_t now_ms, const char *why);
/* Evidence says the relay may have lost us (a relayed path went
 * silent): Refresh now rather than at the next keepalive; at most one
 * probe per TURN_PROBE_MS. */
void turn_probe(struct turn_client *c, uint64_t now_ms);
/* Renew ep's permission and channel now (a relayed path went silent:
 * the server may keep them shorter than RFC 8656 says). */
void turn_peer_refresh(struct turn_client *c, const struct wgt_ep *ep,
		       uint64_t now_ms);
/* Traffic from ep arrives. Right after a turn_peer_refresh() (within
 * TURN_LEARN_MS) that is the evidence that the channel had expired before
 * its 240 s renewal: the server keeps them shorter, and from then on they
 * are renewed at half the time that one lasted (at least
 * TURN_PEER_REFRESH_MIN_MS). A path that stays silent teaches nothing. */
void turn_peer_alive(struct turn_client *c, const struct wgt_ep *ep,
		     uint64_t now_ms);
/* How long the oldest request sent since the server's last answer has
 * gone unanswered (0: none waiting): a relay that answers nothing. */
uint64_t turn_unanswered_ms(const struct turn_client *c, uint64_t now_ms);
/* Another relay takes over (failover, a reload): the channels go down
 * under the old server, and the same peers are bound on the new one
 * once it has allocated. */
void turn_move(struct turn_client *c, const struct wgt_ep *server,
	       const char *username, const char *password, uint64_t now_ms,
	       const char *why);
/* Refresh with LIFETIME 0, sent once. */
void turn_shutdown(struct turn_client *c, uint64_t now_ms);
const char *turn_state_str(enum turn_state s);

#endif
