/* Flip-pool sizing: static, off, or dynamic per the seed's Algorithm 2. */
#ifndef NF_POOLSIZE_H
#define NF_POOLSIZE_H

#include <stddef.h>
#include <stdint.h>

#include "numaflip/backend.h"
#include "nf_err.h"
#include "nf_keys.h"

enum nf_pool_mode {
        NF_POOL_OFF,
        NF_POOL_STATIC,
        NF_POOL_DYNAMIC,
};

struct nf_pool_params {
        enum nf_pool_mode mode;
        uint64_t size;       /* static: the size; dynamic: the starting size (pages) */
        uint64_t min, max;   /* dynamic bounds (pages), min <= size <= max */
        double grow_above;   /* used share above which the pool grows (0.90) */
        double shrink_below; /* used share below which it shrinks (0.20) */
        double step;         /* share of the size to grow or shrink by (0.10) */
        uint64_t interval_ns;
        nf_nodemask_t nodes; /* the nodes whose pools are sized; 0: managed guests' homes */
};

#define NF_POOL_KEYS 9
/* The [pool] keys over struct nf_pool_params, bounds included. */
extern const struct nf_key nf_pool_keys[NF_POOL_KEYS];

void nf_poolsize_defaults(struct nf_pool_params *p);

/* 0, or -EINVAL with e naming the key at fault and the one it contradicts (e may be
 * NULL). Contradictions are errors in every mode: a file that says min > max is wrong
 * whether or not the pool is dynamic today. */
int nf_poolsize_validate(const struct nf_pool_params *p, struct nf_check_error *e);

/* The size a pool should start at (0 when off). */
uint64_t nf_poolsize_initial(const struct nf_pool_params *p);

/*
 * The next size from the current size and the pages handed out from the pool during
 * the last interval (the difference of the backend's cumulative counter). Dynamic: used = handed /
 * size; above grow_above the size grows by step (at least one page), below shrink_below it shrinks
 * by step (at least one page); the result is clamped to [min, max]. Static returns p->size, off 0.
 * handed above size is just "more than full": still one step of growth. A size of 0
 * becomes 1 when anything was handed out, else stays 0, before the clamp.
 */
uint64_t nf_poolsize_next(const struct nf_pool_params *p, uint64_t size, uint64_t handed);

const char *nf_pool_mode_name(enum nf_pool_mode m);
int nf_pool_mode_parse(const char *s, enum nf_pool_mode *out);

#endif
