/* Token-bucket rate limiting for migrations; time is always an argument. */
#include "nf_rate.h"

#include <math.h>

#include "numaflip/backend.h"

#define NS_PER_SEC 1e9
#define U64_LIMIT 18446744073709551616.0 /* 2^64: doubles at or above it do not fit */

/* The bucket depth; a zero burst means one second's worth, never an empty bucket. */
static double depth(const struct nf_rate *r)
{
        return r->burst ? (double)r->burst : (double)r->rate;
}

/* The refill start: time never runs backwards for the bucket. */
static uint64_t from_ns(const struct nf_rate *r, uint64_t now_ns)
{
        return now_ns > r->last_ns ? now_ns : r->last_ns;
}

static double tokens_at(const struct nf_rate *r, uint64_t now_ns)
{
        double t = r->tokens;
        double d = depth(r);

        if (now_ns > r->last_ns)
                t += (double)r->rate * (double)(now_ns - r->last_ns) / NS_PER_SEC;
        return t > d ? d : t;
}

static void refill(struct nf_rate *r, uint64_t now_ns)
{
        r->tokens = tokens_at(r, now_ns);
        r->last_ns = from_ns(r, now_ns);
}

void nf_rate_init(struct nf_rate *r, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
        r->rate = rate;
        r->burst = burst;
        r->tokens = depth(r);
        r->last_ns = now_ns;
}

void nf_rate_set(struct nf_rate *r, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
        double d;

        /* An unlimited bucket kept no account: a new limit starts full. */
        if (r->rate == 0) {
                nf_rate_init(r, rate, burst, from_ns(r, now_ns));
                return;
        }
        refill(r, now_ns);
        r->rate = rate;
        r->burst = burst;
        d = depth(r);
        if (r->tokens > d)
                r->tokens = d;
}

uint64_t nf_rate_available(struct nf_rate *r, uint64_t now_ns)
{
        if (r->rate == 0)
                return UINT64_MAX;
        refill(r, now_ns);
        if (r->tokens <= 0)
                return 0;
        if (r->tokens >= U64_LIMIT)
                return UINT64_MAX;
        return (uint64_t)floor(r->tokens);
}

void nf_rate_consume(struct nf_rate *r, uint64_t bytes, uint64_t now_ns)
{
        if (r->rate == 0)
                return;
        refill(r, now_ns);
        r->tokens -= (double)bytes;
}

uint64_t nf_rate_delay_ns(const struct nf_rate *r, uint64_t bytes, uint64_t now_ns)
{
        uint64_t start, ns;
        double want, need, wait;

        if (r->rate == 0 || bytes == 0)
                return 0;
        /* The bucket never holds more than its depth: a bigger spend waits for a full
         * bucket and then overdraws it. */
        want = (double)bytes;
        if (want > depth(r))
                want = depth(r);
        if (tokens_at(r, now_ns) >= want)
                return 0;
        start = from_ns(r, now_ns);
        need = want - tokens_at(r, start);
        wait = ceil(need * NS_PER_SEC / (double)r->rate);
        if (wait >= U64_LIMIT || (uint64_t)wait > UINT64_MAX - now_ns - (start - now_ns))
                return UINT64_MAX;
        ns = (start - now_ns) + (uint64_t)wait;
        /* Rounding may leave a hair short of want; the answer must be enough. */
        for (int i = 0; i < 4 && ns < UINT64_MAX - now_ns && tokens_at(r, now_ns + ns) < want; i++)
                ns++;
        return ns;
}
