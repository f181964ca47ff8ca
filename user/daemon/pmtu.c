// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "base/log.h"
#include "pmtu.h"

#define STUN_A_PADDING 0x0026	/* RFC 5780 7.6 */
#define UDP_HLEN 8

static uint32_t ip_hlen(uint8_t family)
{
	return family == WGT_AF_INET ? 20 : 40;
}

int pmtu_build(uint8_t *buf, size_t cap, uint8_t family, uint32_t ip_size,
	       const uint8_t txid[STUN_TXID_LEN])
{
	static uint8_t zeros[PMTU_MAX];
	uint32_t over = ip_hlen(family) + UDP_HLEN + STUN_HDR_LEN + 4;
	struct stun_builder b;
	uint32_t pad;

	if (ip_size < over || ip_size - over > sizeof(zeros))
		return -1;
	/* attribute values are padded to 4: only sizes of 4n are exact */
	pad = (ip_size - over) & ~3u;
	stun_begin(&b, buf, cap, stun_type(STUN_BINDING, STUN_REQUEST), txid);
	stun_add(&b, STUN_A_PADDING, zeros, pad);
	return stun_finish(&b);
}

void pmtu_init(struct pmtu *p, pmtu_send_fn send, void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->send = send;
	p->ctx = ctx;
	snprintf(p->label, sizeof(p->label), "the relay");
}

static void send_probe(struct pmtu *p, uint64_t now)
{
	static uint8_t buf[PMTU_MAX];
	uint32_t wait = p->rtt_ms * 4 > PMTU_WAIT_MS ? p->rtt_ms * 4 :
						     PMTU_WAIT_MS;
	int len;

	if (!p->sends && stun_txid_new(p->txid))
		return;
	len = pmtu_build(buf + p->frame_hlen, sizeof(buf) - p->frame_hlen,
			 p->family, p->size - p->frame_hlen, p->txid);
	p->sends++;
	p->probes++;
	p->sent_ms = now;
	p->wait_until_ms = now + wait;
	/* EMSGSIZE: bigger than the device itself; it counts as lost */
	if (len > 0)
		p->send(p->ctx, buf, (size_t)len + p->frame_hlen);
}

/* The next size: the upper bound first, then halfway, 4-aligned. */
static void next(struct pmtu *p, uint64_t now)
{
	if (p->hi < p->lo + PMTU_STEP && (p->lo_seen || p->hi <= p->lo)) {
		uint32_t was = p->result;

		/* still there? else the losses were silence, not size */
		if (p->floor_first && p->lost_since_answer) {
			p->lost_since_answer = false;
			p->size = p->lo;
			p->sends = 0;
			send_probe(p, now);
			return;
		}

		p->result = p->lo;
		p->size = 0;
		p->took_ms = (uint32_t)(now - p->started_ms);
		p->next_search_ms = now + PMTU_REPROBE_MS;
		if (p->result != was)
			pr_info("path MTU to %s: %u (%u probes, %u ms)",
				p->label, p->result, p->probes, p->took_ms);
		return;
	}
	if (p->floor_first && !p->lo_seen)
		p->size = p->lo;
	else if (!p->tried_hi)
		p->size = p->hi;
	else
		p->size = (p->lo + p->hi + 1) / 2;
	p->tried_hi |= p->size == p->hi;
	if (p->hi < p->lo + PMTU_STEP)
		p->size = p->lo;	/* the floor itself, unconfirmed */
	p->size &= ~3u;
	if (p->size <= p->lo && p->lo_seen)
		p->size = p->lo + 4;
	p->sends = 0;
	send_probe(p, now);
}

void pmtu_search(struct pmtu *p, uint8_t family, uint32_t hi, uint64_t now)
{
	uint32_t floor = family == WGT_AF_INET ? PMTU_MIN4 : PMTU_MIN6;

	if (hi > PMTU_MAX)
		hi = PMTU_MAX;
	p->family = family;
	p->lo = floor < hi ? floor : hi;
	p->lo_seen = false;
	p->tried_hi = false;
	p->lost_since_answer = false;
	p->hi = hi;
	p->probes = 0;
	p->started_ms = now;
	next(p, now);
}

bool pmtu_input(struct pmtu *p, const uint8_t *buf, size_t len,
		uint64_t now)
{
	struct stun_msg m;

	if (!p->size || stun_parse(&m, buf, len) ||
	    memcmp(m.txid, p->txid, STUN_TXID_LEN) ||
	    (m.type != stun_type(STUN_BINDING, STUN_SUCCESS) &&
	     m.type != stun_type(STUN_BINDING, STUN_ERROR)))
		return false;
	/* any answer: the request of that size arrived */
	p->rtt_ms = (uint32_t)(now - p->sent_ms);
	p->lo = p->size;
	p->lo_seen = true;
	p->lost_since_answer = false;
	p->silent_runs = 0;
	next(p, now);
	return true;
}

void pmtu_tick(struct pmtu *p, uint64_t now, uint32_t (*ask_hi)(void *),
	       void *hi_ctx)
{
	if (!p->size) {
		if (p->next_search_ms && now >= p->next_search_ms)
			pmtu_search(p, p->family, ask_hi(hi_ctx), now);
		return;
	}
	if (now < p->wait_until_ms)
		return;
	if (p->sends < PMTU_TRIES) {
		send_probe(p, now);
		return;
	}
	/* too big; or even the floor gets nothing through: no answer is
	 * no measurement (the relay may be down), keep the last result */
	if (p->size <= p->lo) {
		uint64_t wait = p->retry_ms ? p->retry_ms : PMTU_RESEARCH_MS;

		p->size = 0;
		if (p->retry_max_ms) {
			for (uint32_t i = 0; i < p->silent_runs &&
			     wait < p->retry_max_ms; i++)
				wait *= 2;
			if (wait > p->retry_max_ms)
				wait = p->retry_max_ms;
			p->silent_runs++;
		}
		p->next_search_ms = now + wait;
		return;
	} else {
		uint32_t told = ask_hi(hi_ctx);

		p->hi = p->size - 1;
		p->lost_since_answer = true;
		/* an ICMP for the lost probe taught the kernel more */
		if (told < p->hi && told >= p->lo)
			p->hi = told;
	}
	next(p, now);
}

int pmtu_next_ms(const struct pmtu *p, uint64_t now)
{
	uint64_t t = p->size ? p->wait_until_ms : p->next_search_ms;

	if (!t)
		return -1;
	return t > now ? (int)(t - now) : 0;
}

uint32_t pmtu_value(const struct pmtu *p)
{
	return p->result;
}
