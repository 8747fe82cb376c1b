/* The linux backend: QEMU/KVM and configured processes as guests, observed and moved with
 * move_pages. */
#include "numaflip/backend.h"
#include "linux_guests.h"
#include "linux_proc.h"
#include "linux_scan.h"
#include "nf_err.h"
#include "nf_keys.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum lx_scan_kind {
        LX_SCAN_FULL,
        LX_SCAN_SAMPLE,
};

static const char *const scan_names[] = {"full", "sample", NULL};

_Static_assert(sizeof(enum lx_scan_kind) == sizeof(int), "enum lx_scan_kind is not int-sized");

/* A [vm NAME] section's way to find its process; the first that matches names it. */
struct lx_vm_match {
        char name[NF_NAME_MAX];
        unsigned pid;      /* pid = N */
        char pidfile[256]; /* pidfile = /run/x.pid */
        char cmdline[256]; /* cmdline = TEXT: a part of the command line, joined by spaces */
};

struct lx_conf {
        enum lx_scan_kind scan;
        uint64_t sample_pages;    /* resident pages a sampled scan asks about */
        uint64_t watermark_pages; /* free memory a migration leaves on its target node */
        bool qemu;                /* find QEMU processes by themselves */
        struct lx_vm_match *vm;
        size_t nr_vm;
};

#define LX_KEY(field, name, kind, ...) NF_KEY_ENTRY(struct lx_conf, field, name, kind, __VA_ARGS__)
static const struct nf_key linux_keys[] = {
    LX_KEY(scan, "scan", NF_KEY_ENUM, .names = scan_names),
    LX_KEY(sample_pages, "sample_pages", NF_KEY_U64, .min = 64, .max = 1u << 20),
    LX_KEY(watermark_pages, "free_watermark", NF_KEY_PAGES),
    LX_KEY(qemu, "qemu", NF_KEY_BOOL),
};
#undef LX_KEY

#define VM_KEY(field, name, kind, ...)                                                             \
        NF_KEY_ENTRY(struct lx_vm_match, field, name, kind, __VA_ARGS__)
static const struct nf_key linux_vm_keys[] = {
    VM_KEY(pid, "pid", NF_KEY_UINT, .min = 1),
    VM_KEY(pidfile, "pidfile", NF_KEY_PATH),
    VM_KEY(cmdline, "cmdline", NF_KEY_STRING),
};
#undef VM_KEY

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

/* Defaults: a sampled scan of 4096 resident pages (each node's share within 2.1%; its cost
 * does not grow with the guest, where a full scan of a 400 MiB guest each second took 7% of
 * a core in the benchmark VM), 64 MiB left free on a target node. */
#define LX_DEFAULT_SAMPLE 4096
#define LX_DEFAULT_WATERMARK (64ull * 1024 * 1024 / NF_PAGE_SIZE)
/* Pages one migrate call looks at beyond what it may move, so a guest with few remote
 * pages is walked in a few calls, each still short: 64 MiB of status queries cost about
 * 20 ms on a slow (emulated) host, where 256 MiB held the loop for 80 ms. */
#define LX_WINDOW_MIN 16384
#define LX_MIGRATE_MAX 65536
/* Pages of that window asked about between two looks at the clock. */
#define LX_COLLECT_STEP 4096
/* Pages per move_pages(2) call. Each call drains every CPU's LRU caches and waits for an
 * expedited RCU grace period before it moves anything, so small calls cost more than the
 * copy on a busy host; 16 MiB keeps the pages one call has unmapped at a time to a few
 * milliseconds of copying. */
#define LX_MOVE_CHUNK 4096

static const struct nf_key *linux_conf_keys(const char *kind, size_t *n)
{
        if (!kind) {
                *n = NKEYS(linux_keys);
                return linux_keys;
        }
        if (strcmp(kind, "vm") == 0) {
                *n = NKEYS(linux_vm_keys);
                return linux_vm_keys;
        }
        *n = 0;
        return NULL;
}

static void *linux_conf_new(void)
{
        struct lx_conf *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->scan = LX_SCAN_SAMPLE;
        c->sample_pages = LX_DEFAULT_SAMPLE;
        c->watermark_pages = LX_DEFAULT_WATERMARK;
        c->qemu = true;
        return c;
}

static void linux_conf_free(void *conf)
{
        struct lx_conf *c = conf;

        if (!c)
                return;
        free(c->vm);
        free(c);
}

static struct lx_vm_match *conf_vm(struct lx_conf *c, const char *name)
{
        struct lx_vm_match *vm;

        for (size_t i = c->nr_vm; i-- > 0;)
                if (strcmp(c->vm[i].name, name) == 0)
                        return &c->vm[i];
        vm = realloc(c->vm, (c->nr_vm + 1) * sizeof(*vm));
        if (!vm)
                return NULL;
        c->vm = vm;
        vm = &c->vm[c->nr_vm++];
        memset(vm, 0, sizeof(*vm));
        snprintf(vm->name, sizeof(vm->name), "%s", name);
        return vm;
}

static int linux_conf_key(void *conf, const char *kind, const char *arg, const char *key,
                          const char *value, char *err, size_t errlen)
{
        struct lx_conf *c = conf;
        const struct nf_key *k;

        if (!kind) {
                k = nf_key_find(linux_keys, NKEYS(linux_keys), key);
                return k ? nf_key_parse(k, c, value, err, errlen) : -ENOENT;
        }
        if (strcmp(kind, "vm") == 0 && arg) {
                struct lx_vm_match *vm;

                k = nf_key_find(linux_vm_keys, NKEYS(linux_vm_keys), key);
                if (!k)
                        return -ENOENT;
                if (k->kind == NF_KEY_STRING && !value[0])
                        return nf_err(-EINVAL, err, errlen, "must not be empty");
                vm = conf_vm(c, arg);
                if (!vm)
                        return nf_err(-ENOMEM, err, errlen, "out of memory");
                return nf_key_parse(k, vm, value, err, errlen);
        }
        return -ENOENT;
}

struct known {
        uint32_t pid;
        uint64_t start; /* with the pid, one process for its whole life */
};

struct linux_backend {
        struct nf_backend base; /* first: the daemon reaches ops through it */
        /* migrate runs on the daemon's worker thread (NF_CAP_MIGRATE_THREAD): what it
         * reads that other ops replace, known and conf, is swapped and read under lock.
         * Every other op runs on the loop's thread. */
        pthread_mutex_t lock;
        struct lx_conf *conf; /* a copy of the config's */
        unsigned nr_nodes;
        unsigned nr_cpus;
        int *cpu_node;
        struct lx_rng rng;
        uint32_t self;
        bool cap_nice, cap_ptrace;
        struct known *known;
        size_t nr_known;
        char priv[160]; /* what the missing privileges cost, for describe */
        char desc[320];
};

static struct linux_backend *to_lx(struct nf_backend *be)
{
        return (struct linux_backend *)be;
}

static struct lx_conf *conf_copy(const struct lx_conf *src)
{
        struct lx_conf *c = linux_conf_new();

        if (!c)
                return NULL;
        if (!src)
                return c;
        *c = *src;
        c->vm = NULL;
        if (src->nr_vm) {
                c->vm = malloc(src->nr_vm * sizeof(*c->vm));
                if (!c->vm) {
                        free(c);
                        return NULL;
                }
                memcpy(c->vm, src->vm, src->nr_vm * sizeof(*c->vm));
        }
        return c;
}

/* Reads a whole small file (procfs reports size 0) into a malloc'ed, NUL-terminated buffer
 * of *len bytes. 0 or -errno. */
static int read_file(const char *path, char **out, size_t *len)
{
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap + 1);
        int fd, rc = 0;

        *out = NULL;
        if (!buf)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                free(buf);
                return -errno;
        }
        for (;;) {
                ssize_t r = read(fd, buf + n, cap - n);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        rc = -errno;
                        break;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
                if (n == cap) {
                        char *nb = realloc(buf, cap * 2 + 1);
                        if (!nb) {
                                rc = -ENOMEM;
                                break;
                        }
                        buf = nb;
                        cap *= 2;
                }
        }
        close(fd);
        if (rc < 0) {
                free(buf);
                return rc;
        }
        buf[n] = '\0';
        *out = buf;
        if (len)
                *len = n;
        return 0;
}

static int read_proc(uint32_t pid, const char *what, char **out, size_t *len)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%u/%s", (unsigned)pid, what);
        int rc = read_file(path, out, len);
        return rc == -ENOENT ? -ESRCH : rc;
}

/* The process's start time; -ESRCH when it is gone or a zombie (its memory is gone with
 * its maps, and an empty scan must not pass for a finished migration). */
static int proc_start(uint32_t pid, uint64_t *start, char *comm, size_t commlen)
{
        char *text;
        char state = '?';
        int rc = read_proc(pid, "stat", &text, NULL);

        if (rc < 0)
                return rc;
        rc = lx_parse_stat(text, start, &state, comm, commlen);
        bool exiting = rc == 0 && lx_stat_exiting(text);
        free(text);
        return rc < 0 || state == 'Z' || state == 'X' || exiting ? -ESRCH : 0;
}

/* -ESRCH unless pid is still the process that was listed. */
static int check_known(struct linux_backend *lb, uint32_t pid)
{
        uint64_t start, want = 0;
        bool listed = false;

        pthread_mutex_lock(&lb->lock);
        for (size_t i = 0; i < lb->nr_known && !listed; i++)
                if (lb->known[i].pid == pid) {
                        listed = true;
                        want = lb->known[i].start;
                }
        pthread_mutex_unlock(&lb->lock);
        if (!listed || proc_start(pid, &start, NULL, 0) < 0 || start != want)
                return -ESRCH; /* gone, or the pid taken by another process */
        return 0;
}

static int query(void *arg, size_t count, void **addrs, int *status)
{
        int pid = (int)(intptr_t)arg;

        if (numa_move_pages(pid, (unsigned long)count, addrs, NULL, status, 0) < 0)
                return -errno;
        return 0;
}

static int get_ranges(uint32_t pid, struct lx_range **r, size_t *n)
{
        char *text;
        int rc = read_proc(pid, "maps", &text, NULL);

        if (rc < 0)
                return rc;
        rc = lx_parse_maps(text, r, n);
        free(text);
        return rc;
}

static void describe_config(struct linux_backend *lb)
{
        const struct lx_conf *c = lb->conf;

        if (c->scan == LX_SCAN_SAMPLE)
                snprintf(lb->desc, sizeof(lb->desc),
                         "linux: %u nodes, sampled move_pages scan of %llu resident pages (each "
                         "node's share within %.1f%% at %.0f%%)%s",
                         lb->nr_nodes, (unsigned long long)c->sample_pages,
                         100.0 * lx_sample_bound(c->sample_pages), 100.0 * LX_SAMPLE_CONFIDENCE,
                         lb->priv);
        else
                snprintf(lb->desc, sizeof(lb->desc), "linux: %u nodes, full move_pages scan%s",
                         lb->nr_nodes, lb->priv);
}

/* What the daemon may do to other processes: CAP_SYS_PTRACE for ptrace-level access to
 * processes of other users (move_pages checks PTRACE_MODE_READ_REALCREDS), CAP_SYS_NICE
 * to move pages other processes map too (MPOL_MF_MOVE_ALL). */
static void check_privileges(struct linux_backend *lb)
{
        struct lx_status st;
        char *text;
        char e[64];

        lb->priv[0] = '\0';
        if (read_file("/proc/self/status", &text, NULL) < 0)
                return;
        if (lx_parse_status(text, &st, e, sizeof(e)) == 0) {
                lb->cap_ptrace = st.cap_eff >> LX_CAP_SYS_PTRACE & 1;
                lb->cap_nice = st.cap_eff >> LX_CAP_SYS_NICE & 1;
        }
        free(text);
        if (!lb->cap_ptrace && !lb->cap_nice)
                snprintf(lb->priv, sizeof(lb->priv),
                         "; no CAP_SYS_PTRACE: only processes of uid %u; no CAP_SYS_NICE: "
                         "pages shared with other processes stay",
                         (unsigned)getuid());
        else if (!lb->cap_ptrace)
                snprintf(lb->priv, sizeof(lb->priv),
                         "; no CAP_SYS_PTRACE: only processes of uid %u", (unsigned)getuid());
        else if (!lb->cap_nice)
                snprintf(lb->priv, sizeof(lb->priv),
                         "; no CAP_SYS_NICE: pages shared with other processes stay");
}

static int linux_probe(char *why, size_t whylen)
{
        if (numa_available() < 0)
                return nf_err(-ENODEV, why, whylen, "the kernel has no NUMA support");
        return 0;
}

static int linux_open(const struct nf_backend_env *env, struct nf_backend **out, char *err,
                      size_t errlen)
{
        struct linux_backend *lb;
        int max;

        *out = NULL;
        if (numa_available() < 0)
                return nf_err(-ENODEV, err, errlen,
                              "linux: the kernel has no NUMA support (numa_available failed)");
        lb = calloc(1, sizeof(*lb));
        if (!lb)
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        lb->base.ops = &nf_backend_linux_ops;
        pthread_mutex_init(&lb->lock, NULL);
        lb->conf = conf_copy(env ? env->conf : NULL);
        max = numa_max_node() + 1;
        lb->nr_nodes = max > NF_MAX_NODES ? NF_MAX_NODES : (unsigned)max;
        max = numa_num_configured_cpus();
        lb->nr_cpus = max > LX_MAX_CPUS ? LX_MAX_CPUS : max > 0 ? (unsigned)max : 1;
        lb->cpu_node = calloc(lb->nr_cpus, sizeof(*lb->cpu_node));
        if (!lb->conf || !lb->cpu_node) {
                linux_conf_free(lb->conf);
                free(lb->cpu_node);
                free(lb);
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        }
        for (unsigned c = 0; c < lb->nr_cpus; c++)
                lb->cpu_node[c] = numa_node_of_cpu((int)c);
        lb->rng.state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        lb->self = (uint32_t)getpid();
        check_privileges(lb);
        describe_config(lb);
        *out = &lb->base;
        return 0;
}

static void linux_close(struct nf_backend *be)
{
        struct linux_backend *lb = to_lx(be);

        if (!lb)
                return;
        linux_conf_free(lb->conf);
        free(lb->cpu_node);
        free(lb->known);
        pthread_mutex_destroy(&lb->lock);
        free(lb);
}

static unsigned linux_caps(const struct nf_backend *be)
{
        (void)be;
        /* No flip pools on Linux. A migrate call can take a whole batch budget in
         * move_pages(2) alone, which need not hold up the loop. */
        return NF_CAP_OBSERVE | NF_CAP_MIGRATE | NF_CAP_MIGRATE_THREAD;
}

static int linux_topology(struct nf_backend *be, struct nf_topology *topo)
{
        struct linux_backend *lb = to_lx(be);

        memset(topo, 0, sizeof(*topo));
        topo->nr_nodes = lb->nr_nodes;
        for (unsigned i = 0; i < lb->nr_nodes; i++) {
                long long freeb = 0;
                long long size = numa_node_size64((int)i, &freeb);
                topo->node[i].total_pages = size > 0 ? (uint64_t)size / NF_PAGE_SIZE : 0;
                topo->node[i].free_pages = freeb > 0 ? (uint64_t)freeb / NF_PAGE_SIZE : 0;
                for (unsigned j = 0; j < lb->nr_nodes; j++) {
                        int dist = numa_distance((int)i, (int)j);
                        topo->distance[i][j] = dist > 0 && dist < 256 ? (uint8_t)dist
                                               : i == j               ? 10
                                                                      : 20;
                }
        }
        return 0;
}

/* The pid a pidfile names, or 0. */
static uint32_t pidfile_pid(const char *path)
{
        char *text;
        unsigned long v;
        char *end;

        if (read_file(path, &text, NULL) < 0)
                return 0;
        errno = 0;
        v = strtoul(text, &end, 10);
        bool ok = !errno && end != text && v > 0 && v < UINT32_MAX;
        free(text);
        return ok ? (uint32_t)v : 0;
}

/* The config section that names this process, or NULL. */
static const struct lx_vm_match *match_vm(const struct lx_conf *c, uint32_t pid, const char *joined)
{
        for (size_t i = 0; i < c->nr_vm; i++) {
                const struct lx_vm_match *m = &c->vm[i];
                if ((m->pid && m->pid == pid) ||
                    (m->pidfile[0] && pidfile_pid(m->pidfile) == pid) ||
                    (m->cmdline[0] && strstr(joined, m->cmdline)))
                        return m;
        }
        return NULL;
}

/* Fills g for process pid when it is a guest: 1, 0 when it is not one, -errno. */
static int describe_process(struct linux_backend *lb, uint32_t pid, struct nf_guest_info *g,
                            uint64_t *start)
{
        char comm[32], joined[1024], e[96];
        char *cmdline = NULL, *status = NULL, *cgroup = NULL;
        const struct lx_vm_match *m;
        struct lx_status st;
        size_t len = 0;
        int rc;

        if ((rc = read_proc(pid, "cmdline", &cmdline, &len)) < 0)
                return rc;
        if (len == 0) {
                free(cmdline); /* a kernel thread, or a process on its way out */
                return 0;
        }
        lx_cmdline_join(cmdline, len, joined, sizeof(joined));
        m = match_vm(lb->conf, pid, joined);
        if (!m && !(lb->conf->qemu && lx_cmdline_is_qemu(cmdline, len))) {
                free(cmdline);
                return 0;
        }
        if ((rc = proc_start(pid, start, comm, sizeof(comm))) < 0 ||
            (rc = read_proc(pid, "status", &status, NULL)) < 0)
                goto out;
        if (lx_parse_status(status, &st, e, sizeof(e)) < 0) {
                rc = -ESRCH; /* a zombie has no Mems_allowed: gone for our purposes */
                goto out;
        }
        memset(g, 0, sizeof(*g));
        g->id = pid;
        if (m) {
                snprintf(g->name, sizeof(g->name), "%s", m->name);
        } else {
                read_proc(pid, "cgroup", &cgroup, NULL);
                lx_guest_name(cmdline, len, cgroup, comm, pid, g->name, sizeof(g->name));
        }
        g->memory_pages = st.rss_pages;
        const char *rule;
        g->home = lx_home(&st, lb->cpu_node, lb->nr_cpus, lb->nr_nodes, &rule);
        snprintf(g->home_rule, sizeof(g->home_rule), "%s", rule);
        g->migratable = true;
        if (!lb->cap_ptrace && st.uid != (uint32_t)getuid()) {
                g->migratable = false;
                snprintf(g->why_not, sizeof(g->why_not),
                         "uid %u: moving its pages needs CAP_SYS_PTRACE", (unsigned)st.uid);
        }
        rc = 1;
out:
        free(cmdline);
        free(status);
        free(cgroup);
        return rc;
}

static int linux_list_guests(struct nf_backend *be, struct nf_guest_info *buf, size_t cap,
                             size_t *n)
{
        struct linux_backend *lb = to_lx(be);
        struct known *known = NULL;
        size_t nk = 0, ck = 0;
        struct dirent *de;
        DIR *dir = opendir("/proc");

        *n = 0;
        if (!dir)
                return -errno;
        while ((de = readdir(dir))) {
                struct nf_guest_info g;
                char *end;
                uint64_t start = 0;
                unsigned long pid;

                if (!isdigit((unsigned char)de->d_name[0]))
                        continue;
                pid = strtoul(de->d_name, &end, 10);
                if (*end || pid == lb->self || pid > UINT32_MAX)
                        continue;
                if (describe_process(lb, (uint32_t)pid, &g, &start) <= 0)
                        continue; /* not a guest, or gone since readdir */
                if (nk == ck) {
                        size_t nc = ck ? ck * 2 : 16;
                        struct known *nkn = realloc(known, nc * sizeof(*nkn));
                        if (!nkn) {
                                free(known);
                                closedir(dir);
                                return -ENOMEM;
                        }
                        known = nkn;
                        ck = nc;
                }
                known[nk].pid = g.id;
                known[nk].start = start;
                nk++;
                if (*n < cap)
                        buf[*n] = g;
                (*n)++;
        }
        closedir(dir);
        pthread_mutex_lock(&lb->lock);
        free(lb->known);
        lb->known = known;
        lb->nr_known = nk;
        pthread_mutex_unlock(&lb->lock);
        return 0;
}

static int linux_guest_pages(struct nf_backend *be, uint32_t id, uint64_t *pages, unsigned nr_nodes)
{
        struct linux_backend *lb = to_lx(be);
        struct lx_scan_result res;
        struct lx_range *r;
        size_t n;
        int rc;

        if ((rc = check_known(lb, id)) < 0 || (rc = get_ranges(id, &r, &n)) < 0)
                return rc;
        /* A process not much bigger than the sample is scanned whole: exact, and no
         * dearer. */
        if (lb->conf->scan == LX_SCAN_SAMPLE && lx_ranges_pages(r, n) > 2 * lb->conf->sample_pages)
                /* Mostly unpopulated address space (QEMU reserves much) costs tries, not
                 * time: stop after 64 tries per wanted page. */
                rc = lx_scan_sample(r, n, lb->nr_nodes, lb->conf->sample_pages,
                                    64 * lb->conf->sample_pages, &lb->rng, query,
                                    (void *)(intptr_t)id, &res);
        else
                rc = lx_scan_full(r, n, lb->nr_nodes, query, (void *)(intptr_t)id, &res);
        free(r);
        if (rc < 0)
                return rc == -ENOENT ? -ESRCH : rc;
        for (unsigned i = 0; i < nr_nodes; i++)
                pages[i] = i < lb->nr_nodes ? res.pages[i] : 0;
        return 0;
}

/* Pages node to can take now and keep the watermark free. */
static uint64_t room(struct linux_backend *lb, unsigned to)
{
        long long freeb = 0;

        if (numa_node_size64((int)to, &freeb) < 0 || freeb <= 0)
                return 0;
        uint64_t freep = (uint64_t)freeb / NF_PAGE_SIZE;
        pthread_mutex_lock(&lb->lock);
        uint64_t keep = lb->conf->watermark_pages;
        pthread_mutex_unlock(&lb->lock);
        return freep > keep ? freep - keep : 0;
}

static int move_errno(int rc, struct nf_migrate_result *res)
{
        if (rc == -EPERM || rc == -EACCES) {
                snprintf(res->why, sizeof(res->why),
                         "move_pages refused (%s): needs CAP_SYS_NICE and ptrace access",
                         strerror(-rc));
                return -EOPNOTSUPP;
        }
        return rc == -ENOENT ? -ESRCH : rc;
}

/* Scratch for one migrate call's moves: status, target (every entry the target node) and
 * -EBUSY indexes per page (room for the batch), and a chunk's re-queries. */
struct lx_moves {
        int *status, *nodes;
        size_t *busy;
        void **again;
        int *again_st;
};

/* Moves addrs[0..count) of process arg to node to, LX_MOVE_CHUNK pages per call, and adds
 * what happened to res; mv->status keeps each page's result. 0 or -errno for a call. */
static int move_list(void *arg, void **addrs, size_t count, unsigned to, struct lx_moves *mv,
                     struct nf_migrate_result *res)
{
        /* In chunks, so one call never holds the target's pages for long. */
        for (size_t done = 0; done < count;) {
                size_t k = count - done < LX_MOVE_CHUNK ? count - done : LX_MOVE_CHUNK;
                struct lx_tally t;
                if (numa_move_pages((int)(intptr_t)arg, (unsigned long)k, addrs + done,
                                    mv->nodes + done, mv->status + done, MPOL_MF_MOVE) < 0)
                        return -errno;
                lx_tally(mv->status + done, k, (int)to, &t, mv->busy);
                if (t.busy) {
                        /* A huge page's base pages queued with its head report -EBUSY:
                         * where they are now says whether they moved. */
                        for (size_t b = 0; b < t.busy; b++)
                                mv->again[b] = addrs[done + mv->busy[b]];
                        int rc = query(arg, t.busy, mv->again, mv->again_st);
                        if (rc < 0)
                                return rc;
                        for (size_t b = 0; b < t.busy; b++) {
                                if (mv->again_st[b] == (int)to)
                                        t.moved++;
                                else
                                        t.failed++;
                        }
                }
                res->moved += t.moved;
                res->failed += t.failed;
                res->skipped += t.skipped;
                done += k;
        }
        return 0;
}

static uint64_t lx_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One migrate call's progress against its time budget. Calls to move_pages(2) grow from
 * LX_STEP_FIRST units (a base page is one, a huge-page block LX_HEAD_UNITS) while they are
 * quick, and the batch ends before a call that, judged by the last one, would overrun
 * the budget: 4K pages cost far more per byte than huge pages (each is unmapped, flushed
 * from every TLB and copied on its own), so a count of pages alone cannot bound the time.
 * Steps are not made smaller than that: every move_pages(2) call first drains every
 * CPU's LRU caches, a fixed cost; in the emulated bench VM calls of 8 base pages took up
 * to 59 ms and calls of 64 from 69 to 417 ms, so smaller calls buy little. */
struct lx_steps {
        uint64_t start, budget, last;
        size_t units;
};

#define LX_STEP_FIRST 64
#define LX_HEAD_UNITS 8

static void step_done(struct lx_steps *st, uint64_t t0)
{
        uint64_t now = lx_now_ns();

        st->last = now - t0;
        if ((!st->budget || st->last < st->budget / 8) && st->units < LX_MOVE_CHUNK)
                st->units *= 2;
}

/* Whether the next step should wait for the next call. */
static bool steps_over(const struct lx_steps *st)
{
        return st->budget && lx_now_ns() - st->start + st->last > st->budget;
}

/* Moves base pages list[0..count) in steps; *done says how many were handled (fewer than
 * count when the budget ran out). 0 or -errno. */
static int move_steps(void *arg, void **list, size_t count, unsigned to, struct lx_steps *st,
                      struct lx_moves *mv, struct nf_migrate_result *res, size_t *done)
{
        for (*done = 0; *done < count;) {
                if (*done && steps_over(st))
                        return 0;
                size_t k = count - *done < st->units ? count - *done : st->units;
                uint64_t t0 = lx_now_ns();
                int rc = move_list(arg, list + *done, k, to, mv, res);
                if (rc < 0)
                        return rc;
                step_done(st, t0);
                *done += k;
        }
        return 0;
}

/* Moves the pages lx_collect gave (addrs, ascending), asking for each whole huge-page block
 * by its head (see lx_block_heads): a block whose last page went with its head was a huge
 * page and moved whole; the rest of any other block is moved page by page before going
 * on. *stop is 0 when all were handled, else the address to look again from: the budget
 * ran out and everything below it was handled. 0 or -errno. */
static int move_batch(void *arg, const struct lx_range *r, size_t n, void **addrs, size_t got,
                      nf_nodemask_t from, unsigned to, struct lx_steps *st, struct lx_moves *mv,
                      struct nf_migrate_result *res, uint64_t *stop)
{
        const size_t per = LX_HUGE_SIZE / NF_PAGE_SIZE;
        void **move = malloc(got * sizeof(*move));
        size_t *heads = malloc((got / per + 1) * sizeof(*heads));
        int *head_st = malloc((got / per + 1) * sizeof(*head_st));
        size_t nmove, nheads, i = 0, hi = 0;
        int rc = -ENOMEM;

        *stop = 0;
        if (!move || !heads || !head_st)
                goto out;
        lx_block_heads(r, n, addrs, got, move, &nmove, heads, &nheads);
        rc = 0;
        while (i < nmove) {
                if (i && steps_over(st)) {
                        *stop = (uint64_t)(uintptr_t)move[i];
                        break;
                }
                size_t j = i, units = 0, h0 = hi;
                while (j < nmove) {
                        size_t u = hi < nheads && heads[hi] == j ? LX_HEAD_UNITS : 1;
                        if (j > i && units + u > st->units)
                                break;
                        units += u;
                        hi += u > 1;
                        j++;
                }
                uint64_t t0 = lx_now_ns();
                if ((rc = move_list(arg, move + i, j - i, to, mv, res)) < 0)
                        goto out;
                step_done(st, t0);
                /* Where each block's last page is now says whether it moved whole. */
                size_t nh = hi - h0, rest = 0;
                for (size_t h = 0; h < nh; h++) {
                        head_st[h] = mv->status[heads[h0 + h] - i];
                        mv->again[h] = (char *)move[heads[h0 + h]] + LX_HUGE_SIZE - NF_PAGE_SIZE;
                }
                if (nh && (rc = query(arg, nh, mv->again, mv->again_st)) < 0)
                        goto out;
                /* addrs is free now: it holds the rest of the blocks that did not, those
                 * of their pages that are on a source node (a block taken whole on the
                 * word of its ends may have others). */
                for (size_t h = 0; h < nh; h++) {
                        uintptr_t base = (uintptr_t)move[heads[h0 + h]];
                        if (head_st[h] == (int)to && mv->again_st[h] == (int)to) {
                                res->moved += per - 1;
                                continue;
                        }
                        void **blk = addrs + rest;
                        for (size_t p = 1; p < per; p++)
                                blk[p - 1] = (void *)(base + p * NF_PAGE_SIZE);
                        if ((rc = query(arg, per - 1, blk, mv->status)) < 0)
                                goto out;
                        for (size_t p = 0; p < per - 1; p++)
                                if (lx_on(mv->status[p], from))
                                        addrs[rest++] = blk[p];
                }
                i = j;
                size_t done;
                if (rest && (rc = move_steps(arg, addrs, rest, to, st, mv, res, &done)) < 0)
                        goto out;
                if (rest && done < rest) {
                        *stop = (uint64_t)(uintptr_t)addrs[done];
                        break;
                }
        }
out:
        free(move);
        free(heads);
        free(head_st);
        return rc;
}

static int linux_migrate(struct nf_backend *be, uint32_t id, nf_nodemask_t from, unsigned to,
                         uint64_t max, struct nf_migrate_cursor *cursor,
                         struct nf_migrate_result *res)
{
        struct linux_backend *lb = to_lx(be);
        void *arg = (void *)(intptr_t)id;
        struct lx_range *r = NULL;
        void **addrs = NULL;
        int *status = NULL, *nodes = NULL;
        size_t *busy = NULL, n, got = 0;
        void **again = NULL;
        int *again_st = NULL;
        uint64_t space;
        int rc;

        struct lx_steps steps = {lx_now_ns(), cursor->budget_ns, 0,
                                 cursor->budget_ns ? LX_STEP_FIRST : LX_MOVE_CHUNK};

        memset(res, 0, sizeof(*res));
        if (to >= lb->nr_nodes)
                return -EINVAL;
        if ((rc = check_known(lb, id)) < 0)
                return rc;
        space = room(lb, to);
        if (space == 0)
                return -ENOMEM; /* the target is at its watermark: the mover backs off */
        if (max > space)
                max = space;
        if (max > LX_MIGRATE_MAX)
                max = LX_MIGRATE_MAX;
        if (max == 0) {
                res->more = true;
                return 0;
        }
        if ((rc = get_ranges(id, &r, &n)) < 0)
                return rc;
        addrs = malloc(max * sizeof(*addrs));
        status = malloc(max * sizeof(*status));
        nodes = malloc(max * sizeof(*nodes));
        busy = malloc(max * sizeof(*busy));
        again = malloc(LX_MOVE_CHUNK * sizeof(*again));
        again_st = malloc(LX_MOVE_CHUNK * sizeof(*again_st));
        if (!addrs || !status || !nodes || !busy || !again || !again_st) {
                rc = -ENOMEM;
                goto out;
        }
        /* The scan in windows too: where the guest is mostly home, finding the few remote
         * pages is the work, and it may take no more than half the budget. */
        uint64_t window = max * 8 > LX_WINDOW_MIN ? max * 8 : LX_WINDOW_MIN;
        for (uint64_t looked = 0; looked < window && got < max;) {
                uint64_t w = window - looked < LX_COLLECT_STEP ? window - looked : LX_COLLECT_STEP;
                size_t g;
                rc = lx_collect(r, n, from, &cursor->pos[0], w, (size_t)max - got, query, arg,
                                addrs + got, &g, &res->more);
                if (rc < 0)
                        goto out;
                got += g;
                looked += w;
                if (!res->more || (steps.budget && lx_now_ns() - steps.start > steps.budget / 2))
                        break;
        }
        /* A scan that found nothing may have raced the process's exit (its pages vanish
         * before it is a zombie): that is the guest gone, not a plan done. */
        if (!got && !res->more && (rc = check_known(lb, id)) < 0)
                goto out;
        /* A batch cut short (by max or by the window) may end inside a huge page, which
         * then moves whole: the rest of its block is looked at before and after, counted
         * where it moved (up to NF_HUGE_PAGES - 1 beyond max, as backend.h allows), and
         * passed over by the cursor. */
        void *tail[LX_HUGE_SIZE / NF_PAGE_SIZE];
        int tail_st[LX_HUGE_SIZE / NF_PAGE_SIZE];
        size_t ntail = 0;
        if (got && res->more) {
                uint64_t end = lx_block_end(r, n, cursor->pos[0]);
                size_t k = 0;
                for (uint64_t a = cursor->pos[0]; a < end; a += NF_PAGE_SIZE)
                        tail[k++] = (void *)(uintptr_t)a;
                if (k && (rc = query(arg, k, tail, tail_st)) < 0)
                        goto out;
                for (size_t i = 0; i < k; i++)
                        if (lx_on(tail_st[i], from))
                                tail[ntail++] = tail[i];
                cursor->pos[0] = end;
        }
        for (size_t i = 0; i < max; i++)
                nodes[i] = (int)to;
        struct lx_moves mv = {status, nodes, busy, again, again_st};
        uint64_t stop;
        if ((rc = move_batch(arg, r, n, addrs, got, from, to, &steps, &mv, res, &stop)) < 0)
                goto out;
        if (stop) {
                /* Out of time: the rest is looked at again next call, the cut block's
                 * tail with it. */
                cursor->pos[0] = stop;
                res->more = true;
                ntail = 0;
        }
        if (ntail) {
                if ((rc = query(arg, ntail, tail, tail_st)) < 0)
                        goto out;
                for (size_t i = 0; i < ntail; i++)
                        if (tail_st[i] == (int)to)
                                res->moved++;
        }
        rc = 0;
out:
        free(r);
        free(addrs);
        free(status);
        free(nodes);
        free(busy);
        free(again);
        free(again_st);
        return rc < 0 ? move_errno(rc, res) : 0;
}

static int linux_watch_fd(struct nf_backend *be)
{
        (void)be;
        return -1; /* processes are found by listing /proc every poll */
}

static int linux_reload(struct nf_backend *be, const void *conf, char *err, size_t errlen)
{
        struct linux_backend *lb = to_lx(be);
        struct lx_conf *c = conf_copy(conf);

        if (!c)
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        pthread_mutex_lock(&lb->lock);
        struct lx_conf *was = lb->conf;
        lb->conf = c;
        pthread_mutex_unlock(&lb->lock);
        linux_conf_free(was);
        describe_config(lb);
        return 0;
}

static const char *linux_describe(const struct nf_backend *be)
{
        return ((const struct linux_backend *)be)->desc;
}

const struct nf_backend_ops nf_backend_linux_ops = {
    .name = "linux",
    .compiled_in = true,
    .probe = linux_probe,
    .open = linux_open,
    .close = linux_close,
    .caps = linux_caps,
    .topology = linux_topology,
    .list_guests = linux_list_guests,
    .guest_pages = linux_guest_pages,
    .migrate = linux_migrate,
    .watch_fd = linux_watch_fd,
    .reload = linux_reload,
    .describe = linux_describe,
    .conf_sections = "linux",
    .conf_keys = linux_conf_keys,
    .conf_new = linux_conf_new,
    .conf_free = linux_conf_free,
    .conf_key = linux_conf_key,
};
