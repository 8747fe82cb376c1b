/* Flip-pool sizing: off, static, or dynamic per the seed's Algorithm 2. */
#include "nf_poolsize.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "nf_err.h"
#include "nf_units.h"

static const char *const mode_names[] = {"off", "static", "dynamic"};

void nf_poolsize_defaults(struct nf_pool_params *p)
{
        memset(p, 0, sizeof(*p));
        p->mode = NF_POOL_DYNAMIC;
        p->size = 256;
        p->min = 64;
        p->max = 262144;
        p->grow_above = 0.90;
        p->shrink_below = 0.20;
        p->step = 0.10;
        p->interval_ns = 10 * NF_NS_PER_SEC;
}

int nf_poolsize_validate(const struct nf_pool_params *p, char *err, size_t errlen)
{
        char a[32], b[32];

        if (err && errlen)
                err[0] = '\0';
        if ((unsigned)p->mode > NF_POOL_DYNAMIC)
                return nf_err(-EINVAL, err, errlen, "mode: unknown pool mode %d", (int)p->mode);
        /* Off and static never look at the dynamic knobs. */
        if (p->mode != NF_POOL_DYNAMIC)
                return 0;
        if (p->max == 0)
                return nf_err(-EINVAL, err, errlen, "max: must be at least one page");
        if (p->min > p->max)
                return nf_err(-EINVAL, err, errlen, "min: %llu pages is above max (%llu pages)",
                              (unsigned long long)p->min, (unsigned long long)p->max);
        if (p->size < p->min || p->size > p->max)
                return nf_err(-EINVAL, err, errlen,
                              "size: %llu pages is outside min..max (%llu..%llu pages)",
                              (unsigned long long)p->size, (unsigned long long)p->min,
                              (unsigned long long)p->max);
        if (!nf_share_valid(p->grow_above))
                return nf_err(-EINVAL, err, errlen, "grow_above: %s is outside 0%%..100%%",
                              nf_format_share(p->grow_above, a, sizeof(a)));
        if (!nf_share_valid(p->shrink_below))
                return nf_err(-EINVAL, err, errlen, "shrink_below: %s is outside 0%%..100%%",
                              nf_format_share(p->shrink_below, a, sizeof(a)));
        if (p->shrink_below >= p->grow_above)
                return nf_err(-EINVAL, err, errlen,
                              "shrink_below: %s must be below grow_above (%s)",
                              nf_format_share(p->shrink_below, a, sizeof(a)),
                              nf_format_share(p->grow_above, b, sizeof(b)));
        if (!(p->step > 0.0 && p->step <= 1.0))
                return nf_err(-EINVAL, err, errlen,
                              "step: %s is outside 0%%..100%% (exclusive of 0)",
                              nf_format_share(p->step, a, sizeof(a)));
        if (p->interval_ns == 0)
                return nf_err(-EINVAL, err, errlen, "interval: must be above 0");
        return 0;
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
        if (v < lo)
                v = lo;
        if (v > hi)
                v = hi;
        return v;
}

uint64_t nf_poolsize_initial(const struct nf_pool_params *p)
{
        switch (p->mode) {
        case NF_POOL_STATIC:
                return p->size;
        case NF_POOL_DYNAMIC:
                return clamp(p->size, p->min, p->max);
        case NF_POOL_OFF:
        default:
                return 0;
        }
}

/* One step of size: step * size rounded down, but at least one page so that small
 * pools still move, and never more than the size itself. */
static uint64_t step_pages(const struct nf_pool_params *p, uint64_t size)
{
        double d = (double)size * p->step;

        if (!(d >= 1.0))
                return 1;
        if (d >= (double)size)
                return size;
        return (uint64_t)d;
}

uint64_t nf_poolsize_next(const struct nf_pool_params *p, uint64_t size, uint64_t handed)
{
        uint64_t n, delta;
        double used;

        switch (p->mode) {
        case NF_POOL_OFF:
                return 0;
        case NF_POOL_STATIC:
                return p->size;
        case NF_POOL_DYNAMIC:
                break;
        default:
                return 0;
        }
        if (size == 0) {
                /* No size to take a share of: any demand counts as full use (grow by the
                 * minimum step, one page), none as empty. */
                n = handed ? 1 : 0;
                return clamp(n, p->min, p->max);
        }
        /* handed may exceed size (frames come back and go out again within one interval):
         * that is simply "more than full", and growth stays one step, as in Algorithm 2. */
        used = (double)handed / (double)size;
        delta = step_pages(p, size);
        if (used > p->grow_above)
                n = size > UINT64_MAX - delta ? UINT64_MAX : size + delta;
        else if (used < p->shrink_below)
                n = size - delta;
        else
                n = size;
        return clamp(n, p->min, p->max);
}

const char *nf_pool_mode_name(enum nf_pool_mode m)
{
        return (unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "unknown";
}

int nf_pool_mode_parse(const char *s, enum nf_pool_mode *out)
{
        for (unsigned i = 0; s && i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
                const char *a = s, *b = mode_names[i];

                /* ASCII case-insensitive, independent of the locale. */
                while (*a && *b && ((*a >= 'A' && *a <= 'Z') ? *a - 'A' + 'a' : *a) == *b) {
                        a++;
                        b++;
                }
                if (!*a && !*b) {
                        *out = (enum nf_pool_mode)i;
                        return 0;
                }
        }
        return -EINVAL;
}
