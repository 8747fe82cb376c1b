/* The sim model: a count-based, seeded NUMA host whose guests' memory drifts under flipping. */
#include "nf_sim.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nf_err.h"

#define CVM_NAME "Domain-0"
#define CVM_UUID "00000000-0000-0000-0000-000000000000" /* dom0's uuid on Xen */
#define MAX_FLIP_RATE 1e6 /* flips/s; about a saturated 10GbE link of 1500-byte packets */
#define MAX_STEP_NS (60ull * 1000000000ull)

struct sim_vm {
        uint32_t id;
        char name[NF_NAME_MAX];
        char uuid[NF_UUID_LEN];
        uint64_t memory_pages;
        unsigned home;
        double rate;
        /* Flips due = carry + rate * since; counting from a base keeps rates like 73/s
         * exact over long runs, where adding 7.3 per step would drift. */
        double carry;      /* fraction of a flip owed when the base was set */
        uint64_t since_ns; /* model time since the base */
        uint64_t done;     /* flips made since the base */
        bool migratable;
        bool receiver;  /* frames it gives back refill the pools */
        uint64_t burst; /* packet frames received in the current step */
        uint64_t pages[NF_MAX_NODES];
};

struct sim_pool {
        bool enabled;
        uint64_t target;
        uint64_t held;
        uint64_t handed_out, hits, misses, fallbacks; /* since the model started */
};

struct nf_sim {
        /* Host shape: fixed for the model's life. */
        unsigned nr_nodes;
        uint64_t node_pages;
        unsigned cvm_node;
        uint64_t cvm_pages;

        uint64_t step_ns;
        uint64_t now_ns;
        uint64_t steps, flips, dropped;
        uint64_t rng[4]; /* xoshiro256** state */

        uint64_t free_pages[NF_MAX_NODES];
        struct sim_pool pool[NF_MAX_NODES];

        uint32_t next_id;
        size_t nr_vms, cap_vms;
        struct sim_vm *vm; /* in id order */
};

static uint64_t splitmix64(uint64_t *x)
{
        uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct nf_sim *s)
{
        uint64_t *r = s->rng;
        uint64_t out = rotl(r[1] * 5, 7) * 9;
        uint64_t t = r[1] << 17;

        r[2] ^= r[0];
        r[3] ^= r[1];
        r[1] ^= r[2];
        r[0] ^= r[3];
        r[2] ^= t;
        r[3] = rotl(r[3], 45);
        return out;
}

/* Uniform in [0, n), n > 0, without modulo bias. */
static uint64_t rng_below(struct nf_sim *s, uint64_t n)
{
        uint64_t limit = -n % n; /* values below this would bias the result */
        uint64_t x;

        do
                x = rng_next(s);
        while (x < limit);
        return x % n;
}

/* A stable uuid from a VM's name, so config can match by uuid across restarts and seeds. */
static void name_uuid(const char *name, char *out)
{
        uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
        uint64_t a, b;

        for (const unsigned char *p = (const unsigned char *)name; *p; p++)
                h = (h ^ *p) * 0x100000001b3ull;
        a = splitmix64(&h);
        b = splitmix64(&h);
        snprintf(out, NF_UUID_LEN, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
                 (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
                 (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
                 (unsigned long long)(b & 0xffffffffffffull));
}

void nf_sim_config_defaults(struct nf_sim_config *c)
{
        memset(c, 0, sizeof(*c)); /* VMs it had are not freed: see nf_sim_config_clear */
        c->seed = 1;
        c->nr_nodes = 2;
        c->node_pages = (8ull << 30) / NF_PAGE_SIZE;
        c->cvm_node = 0;
        c->cvm_pages = (2ull << 30) / NF_PAGE_SIZE;
        c->step_ns = 100000000ull;
        c->clock = NF_CLOCK_REAL;
        c->speed = 1.0;
}

void nf_sim_config_clear(struct nf_sim_config *c)
{
        free(c->vm);
        c->vm = NULL;
        c->nr_vms = c->cap_vms = 0;
}

/* Room for one more element in a growing array of size-byte elements. */
static int grow(void **arr, size_t *cap, size_t nr, size_t size)
{
        size_t n;
        void *p;

        if (nr < *cap)
                return 0;
        n = *cap ? *cap * 2 : 8;
        p = realloc(*arr, n * size);
        if (!p)
                return -ENOMEM;
        *arr = p;
        *cap = n;
        return 0;
}

struct nf_sim_vm_config *nf_sim_config_add_vm(struct nf_sim_config *c, const char *name)
{
        struct nf_sim_vm_config *v;

        if (grow((void **)&c->vm, &c->cap_vms, c->nr_vms, sizeof(*c->vm)) < 0)
                return NULL;
        v = &c->vm[c->nr_vms++];
        memset(v, 0, sizeof(*v));
        snprintf(v->name, sizeof(v->name), "%s", name);
        v->memory_pages = (1ull << 30) / NF_PAGE_SIZE;
        v->home = NF_SIM_HOME_AUTO;
        v->migratable = true;
        return v;
}

int nf_sim_config_copy(struct nf_sim_config *dst, const struct nf_sim_config *src)
{
        struct nf_sim_vm_config *vm = NULL;

        if (src->nr_vms) {
                vm = malloc(src->nr_vms * sizeof(*vm));
                if (!vm)
                        return -ENOMEM;
                memcpy(vm, src->vm, src->nr_vms * sizeof(*vm));
        }
        nf_sim_config_clear(dst);
        *dst = *src;
        dst->vm = vm;
        dst->cap_vms = src->nr_vms;
        return 0;
}

static unsigned vm_home(unsigned nr_nodes, const struct nf_sim_vm_config *v)
{
        if (v->home != NF_SIM_HOME_AUTO)
                return v->home;
        return nr_nodes > 1 ? 1 : 0;
}

/* A VM's error: in its [sim.vm NAME] section, against a key of [sim] when other is set. */
static int vm_fail(struct nf_check_error *e, const struct nf_sim_vm_config *v, const char *key,
                   const char *other, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int vm_fail(struct nf_check_error *e, const struct nf_sim_vm_config *v, const char *key,
                   const char *other, const char *fmt, ...)
{
        va_list ap;

        if (!e)
                return -EINVAL;
        nf_check_fail(e, -EINVAL, key, other, "%s", "");
        snprintf(e->section, sizeof(e->section), "sim.vm %s", v->name);
        if (other)
                snprintf(e->other_section, sizeof(e->other_section), "sim");
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        return -EINVAL;
}

int nf_sim_config_validate(const struct nf_sim_config *c, struct nf_check_error *e)
{
        uint64_t *used;
        int rc = 0;

        if (c->nr_nodes < 1 || c->nr_nodes > NF_MAX_NODES)
                return nf_check_fail(e, -EINVAL, "nodes", NULL, "must be 1..%d (got %u)",
                                     NF_MAX_NODES, c->nr_nodes);
        if (c->node_pages == 0)
                return nf_check_fail(e, -EINVAL, "node_size", NULL, "must be positive");
        if (c->cvm_node >= c->nr_nodes)
                return nf_check_fail(e, -EINVAL, "cvm_node", "nodes",
                                     "%u is not a node (the host has %u)", c->cvm_node,
                                     c->nr_nodes);
        if (c->cvm_pages > c->node_pages)
                return nf_check_fail(e, -EINVAL, "cvm_memory", "node_size",
                                     "%llu pages exceed node_size (%llu pages)",
                                     (unsigned long long)c->cvm_pages,
                                     (unsigned long long)c->node_pages);
        if (c->step_ns == 0 || c->step_ns > MAX_STEP_NS)
                return nf_check_fail(e, -EINVAL, "step", NULL, "must be 1ns..60s (got %llu ns)",
                                     (unsigned long long)c->step_ns);
        if (c->clock != NF_CLOCK_REAL && c->clock != NF_CLOCK_VIRTUAL)
                return nf_check_fail(e, -EINVAL, "clock", NULL, "must be real or virtual");
        if (c->clock == NF_CLOCK_REAL && !(c->speed > 0 && isfinite(c->speed)))
                return nf_check_fail(e, -EINVAL, "speed", NULL,
                                     "must be a positive number (got %g)", c->speed);
        used = calloc(NF_MAX_NODES, sizeof(*used));
        if (!used)
                return nf_check_fail(e, -ENOMEM, NULL, NULL, "out of memory");
        used[c->cvm_node] = c->cvm_pages;
        for (size_t i = 0; i < c->nr_vms && rc == 0; i++) {
                const struct nf_sim_vm_config *v = &c->vm[i];
                unsigned home = vm_home(c->nr_nodes, v);

                if (memchr(v->name, '\0', sizeof(v->name)) == NULL) {
                        rc = nf_check_fail(e, -EINVAL, NULL, NULL,
                                           "vm[%zu]: name is longer than %d characters", i,
                                           NF_NAME_MAX - 1);
                } else if (v->name[0] == '\0') {
                        rc = nf_check_fail(e, -EINVAL, NULL, NULL, "vm[%zu]: name is empty", i);
                } else if (strcmp(v->name, CVM_NAME) == 0) {
                        rc = vm_fail(e, v, NULL, NULL, "name is taken by the control domain");
                } else if (v->memory_pages == 0) {
                        rc = vm_fail(e, v, "memory", NULL, "must be positive");
                } else if (home >= c->nr_nodes) {
                        rc = vm_fail(e, v, "home", "nodes", "%u is not a node (the host has %u)",
                                     home, c->nr_nodes);
                } else if (!(v->flip_rate >= 0 && v->flip_rate <= MAX_FLIP_RATE)) {
                        rc = vm_fail(e, v, "flip_rate", NULL, "must be 0..%.0f/s (got %g)",
                                     MAX_FLIP_RATE, v->flip_rate);
                } else if (v->memory_pages > c->node_pages - used[home]) {
                        rc = vm_fail(e, v, "memory", "node_size",
                                     "%llu pages do not fit on node %u (%llu pages, %llu already "
                                     "used)",
                                     (unsigned long long)v->memory_pages, home,
                                     (unsigned long long)c->node_pages,
                                     (unsigned long long)used[home]);
                }
                for (size_t j = 0; j < i && rc == 0; j++)
                        if (strcmp(c->vm[j].name, v->name) == 0)
                                rc = vm_fail(e, v, NULL, NULL, "name is used twice");
                if (rc == 0)
                        used[home] += v->memory_pages;
        }
        free(used);
        return rc;
}

/* VMs are kept in id order (ids only grow, removal keeps the order): binary search. */
static struct sim_vm *find_vm(const struct nf_sim *s, uint32_t id)
{
        size_t lo = 0, hi = s->nr_vms;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (s->vm[mid].id == id)
                        return &s->vm[mid];
                if (s->vm[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static struct sim_vm *find_vm_name(const struct nf_sim *s, const char *name)
{
        for (size_t i = 0; i < s->nr_vms; i++)
                if (strcmp(s->vm[i].name, name) == 0)
                        return &s->vm[i];
        return NULL;
}

static uint64_t total_free(const struct nf_sim *s)
{
        uint64_t sum = 0;

        for (unsigned n = 0; n < s->nr_nodes; n++)
                sum += s->free_pages[n];
        return sum;
}

/*
 * Creates a VM: its memory goes on its home node, and when that node is short (flips
 * and pools move free memory around) the rest comes from the next nodes in turn, as
 * a hypervisor building a domain under memory pressure would do.
 */
static int add_vm(struct nf_sim *s, const struct nf_sim_vm_config *v, char *err, size_t errlen)
{
        struct sim_vm *vm;
        uint64_t left = v->memory_pages;
        unsigned home = vm_home(s->nr_nodes, v);

        if (total_free(s) < v->memory_pages) {
                return nf_err(-ENOMEM, err, errlen,
                              "sim.vm %s: memory: %llu pages exceed the host's free memory",
                              v->name, (unsigned long long)v->memory_pages);
        }
        if (grow((void **)&s->vm, &s->cap_vms, s->nr_vms, sizeof(*s->vm)) < 0)
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        vm = &s->vm[s->nr_vms++];
        memset(vm, 0, sizeof(*vm));
        vm->id = s->next_id++;
        snprintf(vm->name, sizeof(vm->name), "%s", v->name);
        name_uuid(vm->name, vm->uuid);
        vm->memory_pages = v->memory_pages;
        vm->home = home;
        vm->rate = v->flip_rate;
        vm->migratable = v->migratable;
        for (unsigned k = 0; k < s->nr_nodes && left > 0; k++) {
                unsigned n = (home + k) % s->nr_nodes;
                uint64_t take = left < s->free_pages[n] ? left : s->free_pages[n];

                vm->pages[n] += take;
                s->free_pages[n] -= take;
                left -= take;
        }
        return 0;
}

static void remove_vm(struct nf_sim *s, size_t idx)
{
        for (unsigned n = 0; n < s->nr_nodes; n++)
                s->free_pages[n] += s->vm[idx].pages[n];
        memmove(&s->vm[idx], &s->vm[idx + 1], (s->nr_vms - idx - 1) * sizeof(s->vm[0]));
        s->nr_vms--;
}

int nf_sim_new(const struct nf_sim_config *c, uint64_t now_ns, struct nf_sim **out, char *err,
               size_t errlen)
{
        struct nf_check_error ce;
        struct nf_sim *s;
        uint64_t x;
        int rc;

        *out = NULL;
        if (nf_sim_config_validate(c, &ce) < 0)
                return nf_err(-EINVAL, err, errlen, "%s%s%s%s%s", ce.section,
                              ce.section[0] ? ": " : "", ce.key ? ce.key : "", ce.key ? ": " : "",
                              ce.msg);
        s = calloc(1, sizeof(*s));
        if (!s) {
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        }
        s->nr_nodes = c->nr_nodes;
        s->node_pages = c->node_pages;
        s->cvm_node = c->cvm_node;
        s->cvm_pages = c->cvm_pages;
        s->step_ns = c->step_ns;
        s->now_ns = now_ns;
        x = c->seed;
        for (int i = 0; i < 4; i++)
                s->rng[i] = splitmix64(&x); /* never all zero: splitmix64 is a bijection */
        for (unsigned n = 0; n < s->nr_nodes; n++)
                s->free_pages[n] = s->node_pages;
        s->free_pages[s->cvm_node] -= s->cvm_pages;
        s->next_id = 1;
        for (size_t i = 0; i < c->nr_vms; i++) {
                rc = add_vm(s, &c->vm[i], err, errlen); /* validation made them fit */
                if (rc < 0) {
                        nf_sim_free(s);
                        return rc;
                }
        }
        *out = s;
        return 0;
}

void nf_sim_free(struct nf_sim *s)
{
        if (!s)
                return;
        free(s->vm);
        free(s);
}

/*
 * Takes one ordinary packet frame for a flip: from the CVM node, or when it has no free
 * page, from the next node with one (node order, wrapping). Returns the node, or -1
 * when the whole host is out of free memory.
 */
static int take_ordinary_frame(struct nf_sim *s)
{
        for (unsigned k = 0; k < s->nr_nodes; k++) {
                unsigned n = (s->cvm_node + k) % s->nr_nodes;

                if (s->free_pages[n] > 0) {
                        s->free_pages[n]--;
                        return (int)n;
                }
        }
        return -1;
}

/* The packet-frame half of a VM's flips in one step. */
static void take_frames(struct nf_sim *s, struct sim_vm *vm, uint64_t n)
{
        struct sim_pool *p = &s->pool[vm->home];
        uint64_t from_pool = p->enabled ? (n < p->held ? n : p->held) : 0;

        p->held -= from_pool;
        p->handed_out += from_pool;
        p->hits += from_pool;
        vm->pages[vm->home] += from_pool;
        vm->burst = from_pool;
        for (uint64_t i = from_pool; i < n; i++) {
                int node = take_ordinary_frame(s);

                if (node < 0) {
                        s->dropped += n - i; /* no frame anywhere: the packets are lost */
                        break;
                }
                if (p->enabled)
                        p->fallbacks++;
                if ((unsigned)node == vm->home)
                        p->hits++;
                else
                        p->misses++;
                vm->pages[node]++;
                vm->burst++;
        }
}

/* The other half: the VM gives back as many frames, each picked weighted by its pages. */
static void return_frames(struct nf_sim *s, struct sim_vm *vm)
{
        uint64_t total = vm->memory_pages + vm->burst;

        for (uint64_t i = 0; i < vm->burst; i++) {
                uint64_t r = rng_below(s, total);
                unsigned n = 0;
                struct sim_pool *p;

                while (r >= vm->pages[n])
                        r -= vm->pages[n++];
                vm->pages[n]--;
                total--;
                p = &s->pool[n];
                if (vm->receiver && p->enabled && p->held < p->target)
                        p->held++;
                else
                        s->free_pages[n]++;
        }
        s->flips += vm->burst;
        vm->burst = 0;
}

/* Moves a VM's flip base to now, keeping the fraction of a flip it is owed. */
static void rebase(struct sim_vm *vm)
{
        double owed = vm->carry + vm->rate * ((double)vm->since_ns / 1e9) - (double)vm->done;

        vm->carry = owed > 0 && owed < 1 ? owed : 0;
        vm->since_ns = 0;
        vm->done = 0;
}

/* Flips of a VM in the step that ends now: rate * step, the fraction carried over. */
static uint64_t flips_due(struct sim_vm *vm, uint64_t step_ns)
{
        uint64_t due, n;

        if (vm->since_ns > (1ull << 52))
                rebase(vm); /* before a double can no longer count nanoseconds */
        vm->since_ns += step_ns;
        due = (uint64_t)(vm->carry + vm->rate * (double)vm->since_ns / 1e9);
        n = due > vm->done ? due - vm->done : 0;
        vm->done += n;
        return n;
}

static void step(struct nf_sim *s)
{
        /* Every packet frame of the step goes out before any frame comes back. */
        for (size_t i = 0; i < s->nr_vms; i++)
                take_frames(s, &s->vm[i], flips_due(&s->vm[i], s->step_ns));
        for (size_t i = 0; i < s->nr_vms; i++)
                return_frames(s, &s->vm[i]);
        s->steps++;
        s->now_ns += s->step_ns;
}

void nf_sim_advance(struct nf_sim *s, uint64_t now_ns)
{
        bool busy = false;

        if (now_ns <= s->now_ns || now_ns - s->now_ns < s->step_ns)
                return;
        for (size_t i = 0; i < s->nr_vms; i++)
                busy |= s->vm[i].rate > 0;
        if (!busy) {
                /* Nothing flips: skip the steps in one go (a long idle run stays cheap). */
                uint64_t k = (now_ns - s->now_ns) / s->step_ns;

                for (size_t i = 0; i < s->nr_vms; i++)
                        s->vm[i].since_ns += k * s->step_ns;
                s->steps += k;
                s->now_ns += k * s->step_ns;
                return;
        }
        while (now_ns - s->now_ns >= s->step_ns)
                step(s);
}

/* The host's shape is fixed while it runs; only its guests may come and go. */
static int same_shape(const struct nf_sim *s, const struct nf_sim_config *c, char *err,
                      size_t errlen)
{
        if (c->nr_nodes != s->nr_nodes) {
                return nf_err(-EINVAL, err, errlen, "nodes: cannot change while running (%u -> %u)",
                              s->nr_nodes, c->nr_nodes);
        }
        if (c->node_pages != s->node_pages) {
                return nf_err(-EINVAL, err, errlen,
                              "node_size: cannot change while running (%llu -> %llu pages)",
                              (unsigned long long)s->node_pages, (unsigned long long)c->node_pages);
        }
        if (c->cvm_node != s->cvm_node) {
                return nf_err(-EINVAL, err, errlen,
                              "cvm_node: cannot change while running (%u -> %u)", s->cvm_node,
                              c->cvm_node);
        }
        if (c->cvm_pages != s->cvm_pages) {
                return nf_err(-EINVAL, err, errlen,
                              "cvm_memory: cannot change while running (%llu -> %llu pages)",
                              (unsigned long long)s->cvm_pages, (unsigned long long)c->cvm_pages);
        }
        return 0;
}

int nf_sim_reconfigure(struct nf_sim *s, const struct nf_sim_config *c, char *err, size_t errlen)
{
        struct nf_check_error ce;
        struct nf_sim t;
        int rc;

        if (nf_sim_config_validate(c, &ce) < 0)
                return nf_err(-EINVAL, err, errlen, "%s%s%s%s%s", ce.section,
                              ce.section[0] ? ": " : "", ce.key ? ce.key : "", ce.key ? ": " : "",
                              ce.msg);
        rc = same_shape(s, c, err, errlen);
        if (rc < 0)
                return rc;
        /* Work on a copy so a failure leaves the running model untouched. */
        t = *s;
        t.vm = malloc((s->cap_vms ? s->cap_vms : 1) * sizeof(*t.vm));
        if (!t.vm) {
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        }
        if (s->nr_vms)
                memcpy(t.vm, s->vm, s->nr_vms * sizeof(*t.vm));
        for (size_t i = t.nr_vms; i-- > 0;) {
                bool keep = false;

                for (size_t j = 0; j < c->nr_vms && !keep; j++)
                        keep = strcmp(t.vm[i].name, c->vm[j].name) == 0;
                if (!keep)
                        remove_vm(&t, i);
        }
        for (size_t j = 0; j < c->nr_vms && rc == 0; j++) {
                const struct nf_sim_vm_config *v = &c->vm[j];
                struct sim_vm *vm = find_vm_name(&t, v->name);

                if (!vm) {
                        rc = add_vm(&t, v, err, errlen);
                } else if (vm->memory_pages != v->memory_pages) {
                        rc = nf_err(-EINVAL, err, errlen,
                                    "sim.vm %s: memory: cannot change while it runs "
                                    "(remove it and add it again)",
                                    v->name);
                } else {
                        if (vm->rate != v->flip_rate) {
                                rebase(vm); /* the owed fraction survives a new rate */
                                vm->rate = v->flip_rate;
                        }
                        vm->migratable = v->migratable;
                        /* vCPUs re-pinned: memory stays where it is */
                        vm->home = vm_home(t.nr_nodes, v);
                }
        }
        if (rc == 0) {
                t.step_ns = c->step_ns;
                free(s->vm);
                *s = t;
        } else {
                free(t.vm);
        }
        return rc;
}

void nf_sim_topology(const struct nf_sim *s, struct nf_topology *t)
{
        memset(t, 0, sizeof(*t));
        t->nr_nodes = s->nr_nodes;
        for (unsigned i = 0; i < s->nr_nodes; i++) {
                t->node[i].total_pages = s->node_pages;
                t->node[i].free_pages = s->free_pages[i];
                for (unsigned j = 0; j < s->nr_nodes; j++)
                        t->distance[i][j] = i == j ? 10 : 20;
        }
}

size_t nf_sim_guests(const struct nf_sim *s, struct nf_guest_info *buf, size_t cap)
{
        size_t total = s->nr_vms + 1;

        if (cap > 0) {
                struct nf_guest_info *g = &buf[0];

                memset(g, 0, sizeof(*g));
                g->id = 0;
                snprintf(g->name, sizeof(g->name), "%s", CVM_NAME);
                snprintf(g->uuid, sizeof(g->uuid), "%s", CVM_UUID);
                g->memory_pages = s->cvm_pages;
                g->home = NF_NODE_BIT(s->cvm_node);
                snprintf(g->home_rule, sizeof(g->home_rule), "vCPUs");
                g->control = true;
                g->migratable = false;
                snprintf(g->why_not, sizeof(g->why_not), "control domain");
        }
        for (size_t i = 0; i < s->nr_vms && i + 1 < cap; i++) {
                const struct sim_vm *vm = &s->vm[i];
                struct nf_guest_info *g = &buf[i + 1];

                memset(g, 0, sizeof(*g));
                g->id = vm->id;
                snprintf(g->name, sizeof(g->name), "%s", vm->name);
                snprintf(g->uuid, sizeof(g->uuid), "%s", vm->uuid);
                g->memory_pages = vm->memory_pages;
                g->home = NF_NODE_BIT(vm->home);
                snprintf(g->home_rule, sizeof(g->home_rule), "vCPUs");
                g->migratable = vm->migratable;
                if (!vm->migratable)
                        snprintf(g->why_not, sizeof(g->why_not),
                                 "PV guest: frames are visible to the guest kernel");
        }
        return total;
}

int nf_sim_guest_pages(const struct nf_sim *s, uint32_t id, uint64_t *pages, unsigned nr_nodes)
{
        const struct sim_vm *vm = NULL;

        if (id != 0) {
                vm = find_vm(s, id);
                if (!vm)
                        return -ESRCH;
        }
        if (nr_nodes < s->nr_nodes)
                return -EINVAL;
        for (unsigned n = 0; n < nr_nodes; n++) {
                if (n >= s->nr_nodes)
                        pages[n] = 0;
                else if (vm)
                        pages[n] = vm->pages[n];
                else
                        pages[n] = n == s->cvm_node ? s->cvm_pages : 0;
        }
        return 0;
}

int nf_sim_migrate(struct nf_sim *s, uint32_t id, nf_nodemask_t from, unsigned to, uint64_t max,
                   struct nf_migrate_result *res)
{
        struct sim_vm *vm;
        uint64_t done = 0, left = 0;
        bool full = false;

        memset(res, 0, sizeof(*res));
        if (id == 0)
                return -EPERM;
        vm = find_vm(s, id);
        if (!vm)
                return -ESRCH;
        if (to >= s->nr_nodes)
                return -EINVAL;
        if (!vm->migratable) {
                snprintf(res->why, sizeof(res->why),
                         "PV guest: frames are visible to the guest kernel");
                return -EOPNOTSUPP;
        }
        for (unsigned n = 0; n < s->nr_nodes; n++) {
                uint64_t room = s->free_pages[to];
                uint64_t k;

                if (n == to || !(from & NF_NODE_BIT(n)) || vm->pages[n] == 0)
                        continue;
                k = vm->pages[n] < max - done ? vm->pages[n] : max - done;
                if (k > room) {
                        k = room;
                        full = true;
                }
                vm->pages[n] -= k;
                vm->pages[to] += k;
                s->free_pages[n] += k;
                s->free_pages[to] -= k;
                done += k;
                left += vm->pages[n];
        }
        res->moved = done;
        res->more = left > 0;
        return full ? -ENOMEM : 0;
}

int nf_sim_pool_get(const struct nf_sim *s, unsigned node, struct nf_pool_info *info)
{
        const struct sim_pool *p;

        if (node >= s->nr_nodes)
                return -EINVAL;
        p = &s->pool[node];
        memset(info, 0, sizeof(*info));
        info->enabled = p->enabled;
        info->target = p->target;
        info->held = p->held;
        info->handed_out = p->handed_out;
        info->hits = p->hits;
        info->misses = p->misses;
        info->fallbacks = p->fallbacks;
        return 0;
}

int nf_sim_pool_set(struct nf_sim *s, unsigned node, uint64_t target)
{
        struct sim_pool *p;

        if (node >= s->nr_nodes || target > s->node_pages)
                return -EINVAL;
        p = &s->pool[node];
        p->target = target;
        if (p->held > target) {
                s->free_pages[node] += p->held - target;
                p->held = target;
        } else {
                uint64_t want = target - p->held;
                uint64_t k = want < s->free_pages[node] ? want : s->free_pages[node];

                s->free_pages[node] -= k;
                p->held += k;
        }
        return 0;
}

int nf_sim_pool_enable(struct nf_sim *s, unsigned node, bool enable)
{
        if (node >= s->nr_nodes)
                return -EINVAL;
        s->pool[node].enabled = enable;
        return 0;
}

int nf_sim_set_receiver(struct nf_sim *s, uint32_t id, bool receiver)
{
        struct sim_vm *vm;

        if (id == 0)
                return -EPERM;
        vm = find_vm(s, id);
        if (!vm)
                return -ESRCH;
        vm->receiver = receiver;
        return 0;
}

void nf_sim_stats(const struct nf_sim *s, struct nf_sim_stats *st)
{
        memset(st, 0, sizeof(*st));
        st->now_ns = s->now_ns;
        st->steps = s->steps;
        st->flips = s->flips;
        st->dropped = s->dropped;
}

int nf_sim_check(const struct nf_sim *s, char *err, size_t errlen)
{
        for (size_t i = 0; i < s->nr_vms; i++) {
                const struct sim_vm *vm = &s->vm[i];
                uint64_t sum = 0;

                for (unsigned n = 0; n < s->nr_nodes; n++)
                        sum += vm->pages[n];
                if (sum != vm->memory_pages) {
                        return nf_err(-EFAULT, err, errlen,
                                      "vm '%s': %llu pages on nodes, memory_pages %llu", vm->name,
                                      (unsigned long long)sum,
                                      (unsigned long long)vm->memory_pages);
                }
                for (unsigned n = s->nr_nodes; n < NF_MAX_NODES; n++) {
                        if (vm->pages[n]) {
                                return nf_err(-EFAULT, err, errlen,
                                              "vm '%s': pages on missing node %u", vm->name, n);
                        }
                }
        }
        for (unsigned n = 0; n < s->nr_nodes; n++) {
                const struct sim_pool *p = &s->pool[n];
                uint64_t used = s->free_pages[n] + p->held;

                /* Each part on its own first: a wrapped counter could fake the sum. */
                if (s->free_pages[n] > s->node_pages || p->held > s->node_pages) {
                        return nf_err(-EFAULT, err, errlen,
                                      "node %u: %llu free and %llu pooled pages, size %llu", n,
                                      (unsigned long long)s->free_pages[n],
                                      (unsigned long long)p->held,
                                      (unsigned long long)s->node_pages);
                }
                for (size_t i = 0; i < s->nr_vms; i++) {
                        if (s->vm[i].pages[n] > s->node_pages) {
                                return nf_err(-EFAULT, err, errlen,
                                              "node %u: vm '%s' has %llu pages, size %llu", n,
                                              s->vm[i].name, (unsigned long long)s->vm[i].pages[n],
                                              (unsigned long long)s->node_pages);
                        }
                }
                if (n == s->cvm_node)
                        used += s->cvm_pages;
                for (size_t i = 0; i < s->nr_vms; i++)
                        used += s->vm[i].pages[n];
                if (used != s->node_pages) {
                        return nf_err(-EFAULT, err, errlen,
                                      "node %u: free+pool+guests = %llu pages, node has %llu", n,
                                      (unsigned long long)used, (unsigned long long)s->node_pages);
                }
                if (p->held > p->target) {
                        return nf_err(-EFAULT, err, errlen,
                                      "node %u: pool holds %llu pages, target %llu", n,
                                      (unsigned long long)p->held, (unsigned long long)p->target);
                }
        }
        return 0;
}
