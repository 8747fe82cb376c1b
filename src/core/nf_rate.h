/* Token-bucket rate limiting for migrations, pure: time is always an argument. */
#ifndef NF_RATE_H
#define NF_RATE_H

#include <stdint.h>

struct nf_rate {
        uint64_t rate;  /* bytes per second; 0 = unlimited */
        uint64_t burst; /* bucket depth in bytes; 0 = one second's worth of rate */
        double tokens;  /* bytes available at last_ns */
        uint64_t last_ns;
};

/* A full bucket at now_ns. */
void nf_rate_init(struct nf_rate *r, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* Changes rate and burst (on reload) keeping the tokens earned so far, clamped to burst.
 * Coming from unlimited, the bucket starts full. */
void nf_rate_set(struct nf_rate *r, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* Bytes that may be spent at now_ns; UINT64_MAX when unlimited. Refills the bucket. */
uint64_t nf_rate_available(struct nf_rate *r, uint64_t now_ns);

/* Spends bytes at now_ns (may go below zero: a batch that overran is paid back later). */
void nf_rate_consume(struct nf_rate *r, uint64_t bytes, uint64_t now_ns);

/* Nanoseconds from now_ns until bytes may be spent; 0 when they may now (or bytes is 0).
 * More than the burst waits for a full bucket, then overdraws it; UINT64_MAX when the
 * wait does not fit. */
uint64_t nf_rate_delay_ns(const struct nf_rate *r, uint64_t bytes, uint64_t now_ns);

#endif
