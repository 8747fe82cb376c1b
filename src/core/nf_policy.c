/* Migration policy per guest: periodic and threshold decisions, hysteresis, cooldown. */
#include "nf_policy.h"

#include <errno.h>
#include <string.h>

#include "nf_err.h"
#include "nf_units.h"

static const char *const mode_names[] = {"off", "monitor", "periodic", "threshold", NULL};
static const char *const phase_names[] = {"idle", "active", "cooldown"};
static const char *const trigger_names[] = {"none", "threshold", "periodic", "manual"};

/* ENUM keys are written as int. */
_Static_assert(sizeof(enum nf_mode) == sizeof(int), "enum nf_mode is not int-sized");

#define KEY(field, name, kind, ...)                                                                \
        NF_KEY_ENTRY(struct nf_policy_params, field, name, kind, __VA_ARGS__)
const struct nf_key nf_policy_keys[NF_PF_COUNT] = {
    [NF_PF_MODE] = KEY(mode, "mode", NF_KEY_ENUM, .names = mode_names),
    [NF_PF_PERIOD] = KEY(period_ns, "period", NF_KEY_DURATION, .min = NF_NS_PER_MS),
    [NF_PF_THRESHOLD] = KEY(threshold, "threshold", NF_KEY_SHARE, .fmax = 1.0),
    [NF_PF_TARGET] = KEY(target, "target", NF_KEY_SHARE, .fmax = 1.0),
    [NF_PF_COOLDOWN] = KEY(cooldown_ns, "cooldown", NF_KEY_DURATION),
    [NF_PF_RATE_LIMIT] = KEY(rate_limit, "rate_limit", NF_KEY_RATE),
    [NF_PF_BATCH] = KEY(batch_pages, "batch", NF_KEY_PAGES, .min = 1, .max = 1u << 24),
    [NF_PF_DRY_RUN] = KEY(dry_run, "dry_run", NF_KEY_BOOL),
};
#undef KEY

static uint64_t sat_add(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void nf_policy_init(struct nf_policy_state *st)
{
        memset(st, 0, sizeof(*st));
        st->phase = NF_PHASE_IDLE;
        st->trigger = NF_TRIGGER_NONE;
}

void nf_policy_defaults(struct nf_policy_params *p)
{
        memset(p, 0, sizeof(*p));
        p->mode = NF_MODE_THRESHOLD;
        p->period_ns = 5 * 60 * NF_NS_PER_SEC;
        p->threshold = 0.05;
        p->target = 0.02;
        p->cooldown_ns = 30 * NF_NS_PER_SEC;
        p->rate_limit = 256ull << 20;
        p->batch_pages = 4096;
        p->dry_run = false;
}

int nf_policy_validate(const struct nf_policy_params *p, struct nf_check_error *e)
{
        char a[32], b[32];

        /* Values the key table bounds, checked again for parameters built in code. */
        if ((unsigned)p->mode > NF_MODE_THRESHOLD)
                return nf_check_fail(e, -EINVAL, "mode", NULL, "unknown mode %d", (int)p->mode);
        if (p->period_ns == 0)
                return nf_check_fail(e, -EINVAL, "period", NULL, "must be above 0");
        if (!nf_share_valid(p->threshold))
                return nf_check_fail(e, -EINVAL, "threshold", NULL, "%s is outside 0%%..100%%",
                                     nf_format_share(p->threshold, a, sizeof(a)));
        if (!nf_share_valid(p->target))
                return nf_check_fail(e, -EINVAL, "target", NULL, "%s is outside 0%%..100%%",
                                     nf_format_share(p->target, a, sizeof(a)));
        if (p->batch_pages == 0)
                return nf_check_fail(e, -EINVAL, "batch", NULL, "must be at least one page");
        /* Hysteresis needs the stop point at or below the trigger point; other modes
         * never look at the threshold, so an inherited one does not get in the way. */
        if (p->mode == NF_MODE_THRESHOLD && p->target > p->threshold)
                return nf_check_fail(e, -EINVAL, "target", "threshold",
                                     "%s is above the threshold %s",
                                     nf_format_share(p->target, a, sizeof(a)),
                                     nf_format_share(p->threshold, b, sizeof(b)));
        return 0;
}

/* Advances the periodic schedule; true when an epoch boundary passed since the last
 * call. Missed boundaries collapse into one and the schedule keeps its alignment. */
static bool periodic_tick(uint64_t period, struct nf_policy_state *st, uint64_t now)
{
        uint64_t missed;

        if (period == 0)
                return false;
        /* Unanchored, or the period shrank (reload): start a fresh schedule from now. */
        if (st->next_period_ns == 0 || st->next_period_ns > sat_add(now, period)) {
                st->next_period_ns = sat_add(now, period);
                return false;
        }
        if (now < st->next_period_ns)
                return false;
        missed = (now - st->next_period_ns) / period;
        st->next_period_ns =
            sat_add(st->next_period_ns,
                    (missed + 1 > UINT64_MAX / period) ? UINT64_MAX : (missed + 1) * period);
        return true;
}

/* Pages still to move for the migration in flight: a manual one aims at no remote
 * pages at all, the others at the target share. */
static uint64_t goal_pages(const struct nf_policy_params *p, enum nf_trigger t,
                           const struct nf_sample *s)
{
        if (t == NF_TRIGGER_MANUAL)
                return s->remote_pages;
        return nf_placement_excess(s, p->target);
}

static void start(const struct nf_policy_params *p, struct nf_policy_state *st, enum nf_trigger t,
                  uint64_t pages, uint64_t now, const char *reason, struct nf_decision *d)
{
        d->action = NF_ACTION_START;
        d->trigger = t;
        d->pages = pages;
        d->dry_run = p->dry_run;
        d->reason = p->dry_run ? "dry run: would migrate" : reason;
        st->trigger = t;
        st->triggered[t]++;
        /* Nothing will move in dry-run, so there is nothing to wait for. */
        st->phase = p->dry_run ? NF_PHASE_COOLDOWN : NF_PHASE_ACTIVE;
        st->since_ns = now;
}

static void stop(struct nf_policy_state *st, uint64_t now, const char *reason,
                 struct nf_decision *d)
{
        d->action = NF_ACTION_STOP;
        d->trigger = st->trigger;
        d->pages = 0;
        d->reason = reason;
        st->phase = NF_PHASE_COOLDOWN;
        st->since_ns = now;
}

void nf_policy_decide(const struct nf_policy_params *p, const struct nf_policy_state *prev,
                      const struct nf_sample *s, uint64_t now_ns, struct nf_policy_state *next,
                      struct nf_decision *d)
{
        struct nf_policy_state st = *prev; /* prev and next may alias */
        bool epoch = false;
        uint64_t excess;

        memset(d, 0, sizeof(*d));
        d->action = NF_ACTION_NONE;
        d->trigger = NF_TRIGGER_NONE;
        d->reason = "";

        if (p->mode == NF_MODE_PERIODIC)
                epoch = periodic_tick(p->period_ns, &st, now_ns);
        else
                st.next_period_ns = 0; /* re-anchor if periodic mode comes back */

        if (st.phase == NF_PHASE_ACTIVE) {
                if (p->mode == NF_MODE_OFF || p->mode == NF_MODE_MONITOR) {
                        stop(&st, now_ns, "mode no longer migrates", d);
                } else if (p->dry_run) {
                        stop(&st, now_ns, "dry run: not moving", d);
                } else if ((excess = goal_pages(p, st.trigger, s)) == 0) {
                        stop(&st, now_ns, "target reached", d);
                } else {
                        d->action = NF_ACTION_CONTINUE;
                        d->trigger = st.trigger;
                        d->pages = excess;
                        d->reason = "migrating toward target";
                }
                *next = st;
                return;
        }

        if (st.phase == NF_PHASE_COOLDOWN && now_ns >= st.since_ns &&
            now_ns - st.since_ns >= p->cooldown_ns) {
                st.phase = NF_PHASE_IDLE;
                st.since_ns = sat_add(st.since_ns, p->cooldown_ns);
        }

        switch (p->mode) {
        case NF_MODE_OFF:
                d->reason = "mode off";
                break;
        case NF_MODE_MONITOR:
                d->reason = "monitor only";
                break;
        case NF_MODE_THRESHOLD:
                if (st.phase == NF_PHASE_COOLDOWN) {
                        d->reason = "cooling down";
                } else if (s->remote_share > p->threshold &&
                           (excess = nf_placement_excess(s, p->target)) > 0) {
                        start(p, &st, NF_TRIGGER_THRESHOLD, excess, now_ns,
                              "remote share above threshold", d);
                } else {
                        d->reason = "remote share at or below threshold";
                }
                break;
        case NF_MODE_PERIODIC:
                /* Periodic epochs ignore cooldown: the schedule is the rate control. */
                if (!epoch)
                        d->reason = "waiting for the next period";
                else if ((excess = nf_placement_excess(s, p->target)) > 0)
                        start(p, &st, NF_TRIGGER_PERIODIC, excess, now_ns, "period elapsed", d);
                else
                        d->reason = "period elapsed: at or below target";
                break;
        }
        *next = st;
}

void nf_policy_finished(const struct nf_policy_state *prev, uint64_t now_ns,
                        struct nf_policy_state *next)
{
        struct nf_policy_state st = *prev;

        /* A STOP from decide already ended it; finishing twice changes nothing. */
        if (st.phase == NF_PHASE_ACTIVE) {
                st.phase = NF_PHASE_COOLDOWN;
                st.since_ns = now_ns;
        }
        *next = st;
}

int nf_policy_manual(const struct nf_policy_params *p, const struct nf_policy_state *prev,
                     const struct nf_sample *s, uint64_t now_ns, struct nf_policy_state *next,
                     struct nf_decision *d)
{
        struct nf_policy_state st;

        memset(d, 0, sizeof(*d));
        d->action = NF_ACTION_NONE;
        d->trigger = NF_TRIGGER_NONE;
        if (p->mode == NF_MODE_OFF || p->mode == NF_MODE_MONITOR) {
                d->reason = "mode does not migrate";
                return -EPERM;
        }
        if (prev->phase == NF_PHASE_ACTIVE) {
                d->reason = "a migration is already in progress";
                return -EBUSY;
        }
        if (s->remote_pages == 0) {
                d->reason = "no remote pages";
                return -ENODATA;
        }
        st = *prev;
        start(p, &st, NF_TRIGGER_MANUAL, s->remote_pages, now_ns, "operator request", d);
        *next = st;
        return 0;
}

const char *nf_mode_name(enum nf_mode m)
{
        return (unsigned)m <= NF_MODE_THRESHOLD ? mode_names[m] : "unknown";
}

int nf_mode_parse(const char *s, enum nf_mode *out)
{
        int i = s ? nf_key_enum_index(mode_names, s) : -1;

        if (i < 0)
                return -EINVAL;
        *out = (enum nf_mode)i;
        return 0;
}

const char *nf_phase_name(enum nf_phase ph)
{
        return (unsigned)ph < sizeof(phase_names) / sizeof(phase_names[0]) ? phase_names[ph]
                                                                           : "unknown";
}

const char *nf_trigger_name(enum nf_trigger t)
{
        return (unsigned)t < sizeof(trigger_names) / sizeof(trigger_names[0]) ? trigger_names[t]
                                                                              : "unknown";
}
