/* Flip-pool sizing: off, static, or dynamic per the seed's Algorithm 2. */
#include "nf_poolsize.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "nf_err.h"
#include "nf_units.h"

static const char *const mode_names[] = {"off", "static", "dynamic", NULL};

_Static_assert(sizeof(enum nf_pool_mode) == sizeof(int), "enum nf_pool_mode is not int-sized");

#define KEY(field, name, kind, ...)                                                                \
        NF_KEY_ENTRY(struct nf_pool_params, field, name, kind, __VA_ARGS__)
const struct nf_key nf_pool_keys[NF_POOL_KEYS] = {
    KEY(mode, "mode", NF_KEY_ENUM, .names = mode_names),
    KEY(size, "size", NF_KEY_PAGES),
    KEY(min, "min", NF_KEY_PAGES),
    KEY(max, "max", NF_KEY_PAGES, .min = 1),
    KEY(interval_ns, "interval", NF_KEY_DURATION, .min = NF_NS_PER_MS),
    KEY(grow_above, "grow_above", NF_KEY_SHARE, .fmax = 1.0),
    KEY(shrink_below, "shrink_below", NF_KEY_SHARE, .fmax = 1.0),
    KEY(step, "step", NF_KEY_SHARE, .fmin_open = true, .fmax = 1.0),
    KEY(nodes, "nodes", NF_KEY_NODES),
};
#undef KEY

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

int nf_poolsize_validate(const struct nf_pool_params *p, struct nf_check_error *e)
{
        char a[32], b[32];

        /* Values the key table bounds, checked again for parameters built in code. */
        if ((unsigned)p->mode > NF_POOL_DYNAMIC)
                return nf_check_fail(e, -EINVAL, "mode", NULL, "unknown pool mode %d",
                                     (int)p->mode);
        if (!nf_share_valid(p->grow_above))
                return nf_check_fail(e, -EINVAL, "grow_above", NULL, "%s is outside 0%%..100%%",
                                     nf_format_share(p->grow_above, a, sizeof(a)));
        if (!nf_share_valid(p->shrink_below))
                return nf_check_fail(e, -EINVAL, "shrink_below", NULL, "%s is outside 0%%..100%%",
                                     nf_format_share(p->shrink_below, a, sizeof(a)));
        if (!(p->step > 0.0 && p->step <= 1.0))
                return nf_check_fail(e, -EINVAL, "step", NULL,
                                     "%s is outside 0%%..100%% (exclusive of 0)",
                                     nf_format_share(p->step, a, sizeof(a)));
        if (p->interval_ns == 0)
                return nf_check_fail(e, -EINVAL, "interval", NULL, "must be above 0");
        if (p->max == 0)
                return nf_check_fail(e, -EINVAL, "max", NULL, "must be at least one page");
        if (p->min > p->max)
                return nf_check_fail(e, -EINVAL, "min", "max",
                                     "%llu pages is above max (%llu pages)",
                                     (unsigned long long)p->min, (unsigned long long)p->max);
        if (p->shrink_below >= p->grow_above)
                return nf_check_fail(e, -EINVAL, "shrink_below", "grow_above",
                                     "%s must be below grow_above (%s)",
                                     nf_format_share(p->shrink_below, a, sizeof(a)),
                                     nf_format_share(p->grow_above, b, sizeof(b)));
        /* A static pool is just size; only a dynamic one starts from size within bounds. */
        if (p->mode == NF_POOL_DYNAMIC && (p->size < p->min || p->size > p->max))
                return nf_check_fail(e, -EINVAL, "size", p->size < p->min ? "min" : "max",
                                     "%llu pages is outside min..max (%llu..%llu pages)",
                                     (unsigned long long)p->size, (unsigned long long)p->min,
                                     (unsigned long long)p->max);
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
        return (unsigned)m <= NF_POOL_DYNAMIC ? mode_names[m] : "unknown";
}

int nf_pool_mode_parse(const char *s, enum nf_pool_mode *out)
{
        int i = s ? nf_key_enum_index(mode_names, s) : -1;

        if (i < 0)
                return -EINVAL;
        *out = (enum nf_pool_mode)i;
        return 0;
}
