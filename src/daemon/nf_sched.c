/* Timers in daemon time: real, accelerated (sim speed) or virtual (advanced on request). */
#include "nf_sched.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "nf_units.h"

/* Events one advance may fire at a single instant before we call it a loop. */
#define NF_SCHED_MAX_SAME_INSTANT 1000000

struct nf_timer {
        struct nf_sched *sched;
        nf_timer_cb cb;
        void *arg;
        struct event *ev; /* real mode */
        bool pending;
        uint64_t deadline;
        uint64_t seq;          /* arm order: ties fire first-armed first */
        struct nf_timer *next; /* virtual mode: all timers, unordered */
};

struct nf_sched {
        struct event_base *base;
        enum nf_sched_mode mode;
        double speed;
        uint64_t start_ns; /* monotonic */
        uint64_t vnow;
        uint64_t seq;
        struct nf_timer *timers;
        struct nf_clock clock;
};

uint64_t nf_clock_monotonic(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * NF_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t monotonic_now(const struct nf_clock *c)
{
        (void)c;
        return nf_clock_monotonic();
}

const struct nf_clock nf_monotonic_clock = {.now_ns = monotonic_now};

uint64_t nf_sched_now(const struct nf_sched *s)
{
        if (s->mode == NF_SCHED_VIRTUAL)
                return s->vnow;
        uint64_t real = nf_clock_monotonic() - s->start_ns;
        if (s->speed == 1.0)
                return real;
        return (uint64_t)((double)real * s->speed);
}

static uint64_t clock_now(const struct nf_clock *c)
{
        return nf_sched_now(c->arg);
}

struct nf_sched *nf_sched_new(struct event_base *base, enum nf_sched_mode mode, double speed)
{
        struct nf_sched *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->base = base;
        s->mode = mode;
        s->speed = speed > 0 ? speed : 1.0;
        s->start_ns = nf_clock_monotonic();
        s->clock.now_ns = clock_now;
        s->clock.arg = s;
        return s;
}

void nf_sched_free(struct nf_sched *s)
{
        free(s);
}

enum nf_sched_mode nf_sched_mode(const struct nf_sched *s)
{
        return s->mode;
}

double nf_sched_speed(const struct nf_sched *s)
{
        return s->speed;
}

const struct nf_clock *nf_sched_clock(const struct nf_sched *s)
{
        return &s->clock;
}

static void real_fire(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct nf_timer *t = arg;
        t->pending = false;
        t->cb(t, t->arg);
}

struct nf_timer *nf_timer_new(struct nf_sched *s, nf_timer_cb cb, void *arg)
{
        struct nf_timer *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->sched = s;
        t->cb = cb;
        t->arg = arg;
        if (s->mode == NF_SCHED_REAL) {
                t->ev = evtimer_new(s->base, real_fire, t);
                if (!t->ev) {
                        free(t);
                        return NULL;
                }
        } else {
                t->next = s->timers;
                s->timers = t;
        }
        return t;
}

void nf_timer_free(struct nf_timer *t)
{
        if (!t)
                return;
        if (t->ev)
                event_free(t->ev);
        if (t->sched->mode == NF_SCHED_VIRTUAL) {
                struct nf_timer **pp = &t->sched->timers;
                while (*pp && *pp != t)
                        pp = &(*pp)->next;
                if (*pp)
                        *pp = t->next;
        }
        free(t);
}

void nf_timer_arm(struct nf_timer *t, uint64_t delay_ns)
{
        struct nf_sched *s = t->sched;
        t->deadline = nf_sched_now(s) + delay_ns;
        t->seq = ++s->seq;
        t->pending = true;
        if (s->mode == NF_SCHED_REAL) {
                /* Clamp: a slow clock (speed < 1) must not overflow the conversion. */
                double real = (double)delay_ns / s->speed;
                uint64_t ns = real >= 1e18 ? (uint64_t)1e18 : (uint64_t)real;
                ns += 999; /* round up: never fire before the deadline */
                struct timeval tv = {.tv_sec = (time_t)(ns / NF_NS_PER_SEC),
                                     .tv_usec = (suseconds_t)((ns % NF_NS_PER_SEC) / 1000)};
                evtimer_add(t->ev, &tv);
        }
}

void nf_timer_cancel(struct nf_timer *t)
{
        t->pending = false;
        if (t->ev)
                evtimer_del(t->ev);
}

bool nf_timer_pending(const struct nf_timer *t)
{
        return t->pending;
}

uint64_t nf_timer_deadline(const struct nf_timer *t)
{
        return t->deadline;
}

static struct nf_timer *earliest(struct nf_sched *s)
{
        struct nf_timer *best = NULL;
        for (struct nf_timer *t = s->timers; t; t = t->next) {
                if (!t->pending)
                        continue;
                if (!best || t->deadline < best->deadline ||
                    (t->deadline == best->deadline && t->seq < best->seq))
                        best = t;
        }
        return best;
}

int nf_sched_advance(struct nf_sched *s, uint64_t by_ns)
{
        if (s->mode != NF_SCHED_VIRTUAL)
                return -EINVAL;
        uint64_t end = s->vnow + by_ns;
        unsigned same = 0;
        for (;;) {
                struct nf_timer *t = earliest(s);
                if (!t || t->deadline > end)
                        break;
                if (t->deadline > s->vnow) {
                        s->vnow = t->deadline;
                        same = 0;
                } else if (++same > NF_SCHED_MAX_SAME_INSTANT) {
                        return -ELOOP;
                }
                t->pending = false;
                t->cb(t, t->arg);
        }
        s->vnow = end;
        return 0;
}
