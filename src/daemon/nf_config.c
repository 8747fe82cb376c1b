/* numaflipd configuration: INI file (inih) into a validated, immutable struct. */
#include "nf_config.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "nf_placement.h"
#include "nf_proto.h"
#include "nf_units.h"

#define SIM_VM_PREFIX "sim.vm "
#define VM_PREFIX "vm "
#define SIM_HOME_UNSET UINT_MAX

static const char *const field_names[NF_PF_COUNT] = {
    [NF_PF_MODE] = "mode",     [NF_PF_PERIOD] = "period",     [NF_PF_THRESHOLD] = "threshold",
    [NF_PF_TARGET] = "target", [NF_PF_COOLDOWN] = "cooldown", [NF_PF_RATE_LIMIT] = "rate_limit",
    [NF_PF_BATCH] = "batch",   [NF_PF_DRY_RUN] = "dry_run",
};

const char *nf_policy_field_name(enum nf_policy_field f)
{
        return f < NF_PF_COUNT ? field_names[f] : "?";
}

/* Parser state threaded through inih. */
struct parse_ctx {
        struct nf_config *c;
        const char *name; /* file name for messages */
        unsigned line;    /* line inih is handling (counted by our reader) */
        unsigned section_line;
        /* header lines of the sections whose cross-field errors are found at the end */
        unsigned defaults_line, pool_line, sim_line;
        unsigned sim_vm_line[NF_SIM_MAX_VMS];
        unsigned fail_line;
        int errnum; /* a read error */ /* line of the first error we reported */
        int failed;
        char *err;
        size_t errlen;
        /* the reader's source: a FILE or a string */
        FILE *fp;
        const char *text;
};

static void fail(struct parse_ctx *p, const char *section, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct parse_ctx *p, const char *section, const char *key, const char *fmt, ...)
{
        if (p->failed++)
                return; /* the first error is the one worth reading */
        p->fail_line = p->line;
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        char where[PATH_MAX + 16];
        if (p->line)
                snprintf(where, sizeof(where), "%s:%u", p->name, p->line);
        else
                snprintf(where, sizeof(where), "%s", p->name);
        if (!*section)
                snprintf(p->err, p->errlen, "%s: %s: %s", where, key, msg);
        else if (key)
                snprintf(p->err, p->errlen, "%s: [%s] %s: %s", where, section, key, msg);
        else
                snprintf(p->err, p->errlen, "%s: [%s]: %s", where, section, msg);
}

/* An error about a whole section, at its header's line. */
static void fail_header(struct parse_ctx *p, const char *section, const char *msg)
{
        unsigned line = p->line;
        p->line = p->section_line;
        fail(p, section, NULL, "%s", msg);
        p->line = line;
}

static void set_defaults(struct nf_config *c)
{
        snprintf(c->backend, sizeof(c->backend), "auto");
        snprintf(c->socket_path, sizeof(c->socket_path), "%s", NF_DEFAULT_SOCKET);
        c->socket_group[0] = '\0';
        c->socket_mode = 0660;
        c->poll_ns = 5 * NF_NS_PER_SEC;
        c->log_level = NF_LOG_INFO;
        c->global_rate_limit = 1024ull * 1024 * 1024; /* 1 GiB/s */
        c->batch_time_ns = 100 * NF_NS_PER_MS;
        memset(&c->defaults, 0, sizeof(c->defaults));
        nf_policy_defaults(&c->defaults.v);
        nf_poolsize_defaults(&c->pool);
        c->pool.mode = NF_POOL_OFF; /* pools need hypervisor support: opt in */
        c->pool_nodes = 0;
        nf_sim_config_defaults(&c->sim);
}

struct nf_config *nf_config_new(void)
{
        struct nf_config *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        set_defaults(c);
        return c;
}

void nf_config_free(struct nf_config *c)
{
        if (!c)
                return;
        free(c->vms);
        free(c);
}

/* A policy key in [defaults] or [vm NAME]; 1 when key was one, with errors reported. */
static int policy_key(struct parse_ctx *p, struct nf_policy_layer *l, const char *section,
                      const char *key, const char *value)
{
        char e[200];
        int rc = 0;
        enum nf_policy_field f;
        struct nf_policy_params *v = &l->v;
        int b = 0;

        if (strcmp(key, "mode") == 0) {
                f = NF_PF_MODE;
                if (nf_mode_parse(value, &v->mode) != 0) {
                        fail(p, section, key,
                             "invalid mode '%s' (expected off, monitor, periodic or threshold)",
                             value);
                        return 1;
                }
        } else if (strcmp(key, "period") == 0) {
                f = NF_PF_PERIOD;
                rc = nf_parse_duration(value, &v->period_ns, e, sizeof(e));
        } else if (strcmp(key, "threshold") == 0) {
                f = NF_PF_THRESHOLD;
                rc = nf_parse_share(value, &v->threshold, e, sizeof(e));
        } else if (strcmp(key, "target") == 0) {
                f = NF_PF_TARGET;
                rc = nf_parse_share(value, &v->target, e, sizeof(e));
        } else if (strcmp(key, "cooldown") == 0) {
                f = NF_PF_COOLDOWN;
                rc = nf_parse_duration(value, &v->cooldown_ns, e, sizeof(e));
        } else if (strcmp(key, "rate_limit") == 0) {
                f = NF_PF_RATE_LIMIT;
                rc = nf_parse_rate(value, &v->rate_limit, e, sizeof(e));
        } else if (strcmp(key, "batch") == 0) {
                f = NF_PF_BATCH;
                rc = nf_parse_pages(value, &v->batch_pages, e, sizeof(e));
                if (rc == 0 && v->batch_pages == 0) {
                        fail(p, section, key, "batch must be at least one page");
                        return 1;
                }
        } else if (strcmp(key, "dry_run") == 0) {
                f = NF_PF_DRY_RUN;
                rc = nf_parse_bool(value, &b, e, sizeof(e));
                v->dry_run = b;
        } else {
                return 0;
        }
        if (rc != 0) {
                fail(p, section, key, "%s", e);
                return 1;
        }
        l->set |= 1u << f;
        l->line[f] = p->line;
        return 1;
}

static struct nf_vm_config *vm_section(struct parse_ctx *p, const char *name)
{
        struct nf_config *c = p->c;
        for (size_t i = 0; i < c->nr_vms; i++)
                if (strcmp(c->vms[i].name, name) == 0)
                        return &c->vms[i];
        struct nf_vm_config *n = realloc(c->vms, (c->nr_vms + 1) * sizeof(*n));
        if (!n)
                return NULL;
        c->vms = n;
        struct nf_vm_config *vm = &c->vms[c->nr_vms++];
        memset(vm, 0, sizeof(*vm));
        snprintf(vm->name, sizeof(vm->name), "%s", name);
        vm->line = p->section_line;
        return vm;
}

static struct nf_sim_vm_config *sim_vm_section(struct parse_ctx *p, const char *section,
                                               const char *name)
{
        struct nf_sim_config *s = &p->c->sim;
        for (size_t i = 0; i < s->nr_vms; i++)
                if (strcmp(s->vm[i].name, name) == 0)
                        return &s->vm[i];
        if (s->nr_vms >= NF_SIM_MAX_VMS) {
                char msg[64];
                snprintf(msg, sizeof(msg), "too many simulated VMs (at most %d)", NF_SIM_MAX_VMS);
                fail_header(p, section, msg);
                return NULL;
        }
        p->sim_vm_line[s->nr_vms] = p->section_line;
        struct nf_sim_vm_config *vm = &s->vm[s->nr_vms++];
        memset(vm, 0, sizeof(*vm));
        snprintf(vm->name, sizeof(vm->name), "%s", name);
        vm->memory_pages = 262144; /* 1 GiB */
        vm->home = SIM_HOME_UNSET; /* [sim] nodes may come later in the file */
        vm->migratable = true;
        return vm;
}

/* A section name's argument ("vm web1 " -> "web1") into buf, checked for length and
 * emptiness; blanks around it would keep it from ever matching a guest. */
static const char *section_arg(struct parse_ctx *p, const char *section, const char *prefix,
                               char buf[NF_NAME_MAX])
{
        const char *name = section + strlen(prefix);
        name += strspn(name, " \t");
        size_t len = strlen(name);
        while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
                len--;
        if (!len) {
                char msg[64];
                snprintf(msg, sizeof(msg), "section needs a name, e.g. [%sweb1]", prefix);
                fail_header(p, section, msg);
                return NULL;
        }
        if (len >= NF_NAME_MAX) {
                char msg[64];
                snprintf(msg, sizeof(msg), "name longer than %d characters", NF_NAME_MAX - 1);
                fail_header(p, section, msg);
                return NULL;
        }
        memcpy(buf, name, len);
        buf[len] = '\0';
        return buf;
}

static int daemon_key(struct parse_ctx *p, const char *section, const char *key, const char *value)
{
        struct nf_config *c = p->c;
        char e[200];
        int rc = 0;
        if (strcmp(key, "backend") == 0) {
                if (strcmp(value, "auto") && strcmp(value, "sim") && strcmp(value, "xen") &&
                    strcmp(value, "linux")) {
                        fail(p, section, key,
                             "unknown backend '%s' (expected auto, xen, linux or sim)", value);
                        return 1;
                }
                snprintf(c->backend, sizeof(c->backend), "%s", value);
        } else if (strcmp(key, "socket") == 0) {
                if (value[0] != '/' || strlen(value) >= sizeof(c->socket_path)) {
                        fail(p, section, key, "socket must be an absolute path shorter than %zu",
                             sizeof(c->socket_path));
                        return 1;
                }
                snprintf(c->socket_path, sizeof(c->socket_path), "%s", value);
        } else if (strcmp(key, "socket_group") == 0) {
                if (strlen(value) >= sizeof(c->socket_group)) {
                        fail(p, section, key, "group name too long");
                        return 1;
                }
                snprintf(c->socket_group, sizeof(c->socket_group), "%s", value);
        } else if (strcmp(key, "socket_mode") == 0) {
                char *end;
                errno = 0;
                unsigned long m = strtoul(value, &end, 8);
                if (errno || end == value || *end || m > 0777 || (m & 0600) != 0600) {
                        fail(p, section, key,
                             "invalid mode '%s' (octal, at most 0777, owner rw required)", value);
                        return 1;
                }
                c->socket_mode = (mode_t)m;
        } else if (strcmp(key, "poll") == 0) {
                rc = nf_parse_duration(value, &c->poll_ns, e, sizeof(e));
                if (rc == 0 && c->poll_ns < NF_NS_PER_MS) {
                        fail(p, section, key, "poll interval '%s' is below 1ms", value);
                        return 1;
                }
        } else if (strcmp(key, "log_level") == 0) {
                if (nf_log_level_parse(value, &c->log_level) != 0) {
                        fail(p, section, key,
                             "invalid log level '%s' (expected err, warning, notice, info or "
                             "debug)",
                             value);
                        return 1;
                }
        } else if (strcmp(key, "rate_limit") == 0) {
                rc = nf_parse_rate(value, &c->global_rate_limit, e, sizeof(e));
        } else if (strcmp(key, "batch_time") == 0) {
                rc = nf_parse_duration(value, &c->batch_time_ns, e, sizeof(e));
                if (rc == 0 && c->batch_time_ns < NF_NS_PER_MS) {
                        fail(p, section, key, "batch_time '%s' is below 1ms", value);
                        return 1;
                }
        } else {
                fail(p, section, key, "unknown key");
                return 1;
        }
        if (rc)
                fail(p, section, key, "%s", e);
        return 1;
}

static int pool_key(struct parse_ctx *p, const char *section, const char *key, const char *value)
{
        struct nf_pool_params *pp = &p->c->pool;
        char e[200];
        int rc = 0;
        if (strcmp(key, "mode") == 0) {
                if (nf_pool_mode_parse(value, &pp->mode) != 0) {
                        fail(p, section, key,
                             "invalid pool mode '%s' (expected off, static or dynamic)", value);
                        return 1;
                }
        } else if (strcmp(key, "size") == 0) {
                rc = nf_parse_pages(value, &pp->size, e, sizeof(e));
        } else if (strcmp(key, "min") == 0) {
                rc = nf_parse_pages(value, &pp->min, e, sizeof(e));
        } else if (strcmp(key, "max") == 0) {
                rc = nf_parse_pages(value, &pp->max, e, sizeof(e));
        } else if (strcmp(key, "interval") == 0) {
                rc = nf_parse_duration(value, &pp->interval_ns, e, sizeof(e));
        } else if (strcmp(key, "grow_above") == 0) {
                rc = nf_parse_share(value, &pp->grow_above, e, sizeof(e));
        } else if (strcmp(key, "shrink_below") == 0) {
                rc = nf_parse_share(value, &pp->shrink_below, e, sizeof(e));
        } else if (strcmp(key, "step") == 0) {
                rc = nf_parse_share(value, &pp->step, e, sizeof(e));
        } else if (strcmp(key, "nodes") == 0) {
                rc = nf_nodemask_parse(value, NF_MAX_NODES, &p->c->pool_nodes, e, sizeof(e));
        } else {
                fail(p, section, key, "unknown key");
                return 1;
        }
        if (rc)
                fail(p, section, key, "%s", e);
        return 1;
}

static int sim_key(struct parse_ctx *p, const char *section, const char *key, const char *value)
{
        struct nf_sim_config *s = &p->c->sim;
        char e[200];
        int rc = 0;
        uint64_t u = 0;
        if (strcmp(key, "seed") == 0) {
                rc = nf_parse_u64(value, UINT64_MAX, &s->seed, e, sizeof(e));
        } else if (strcmp(key, "nodes") == 0) {
                rc = nf_parse_u64(value, NF_MAX_NODES, &u, e, sizeof(e));
                if (rc == 0 && u == 0) {
                        fail(p, section, key, "a host needs at least one node");
                        return 1;
                }
                s->nr_nodes = (unsigned)u;
        } else if (strcmp(key, "node_size") == 0) {
                rc = nf_parse_pages(value, &s->node_pages, e, sizeof(e));
        } else if (strcmp(key, "cvm_node") == 0) {
                rc = nf_parse_u64(value, NF_MAX_NODES - 1, &u, e, sizeof(e));
                s->cvm_node = (unsigned)u;
        } else if (strcmp(key, "cvm_memory") == 0) {
                rc = nf_parse_pages(value, &s->cvm_pages, e, sizeof(e));
        } else if (strcmp(key, "step") == 0) {
                rc = nf_parse_duration(value, &s->step_ns, e, sizeof(e));
        } else if (strcmp(key, "migrate_cost") == 0) {
                rc = nf_parse_duration(value, &s->migrate_cost_ns, e, sizeof(e));
                if (rc == 0 && s->migrate_cost_ns > NF_NS_PER_MS) {
                        fail(p, section, key, "migrate_cost '%s' is above 1ms per page", value);
                        return 1;
                }
        } else if (strcmp(key, "clock") == 0) {
                if (strcmp(value, "real") == 0)
                        s->clock = NF_SIM_CLOCK_REAL;
                else if (strcmp(value, "virtual") == 0)
                        s->clock = NF_SIM_CLOCK_VIRTUAL;
                else {
                        fail(p, section, key, "invalid clock '%s' (expected real or virtual)",
                             value);
                        return 1;
                }
        } else if (strcmp(key, "speed") == 0) {
                char *end;
                errno = 0;
                double d = strtod(value, &end);
                if (errno || end == value || *end || !(d > 0) || d > 1e6) {
                        fail(p, section, key,
                             "invalid speed '%s' (a factor above 0, at most 1000000)", value);
                        return 1;
                }
                s->speed = d;
        } else {
                fail(p, section, key, "unknown key");
                return 1;
        }
        if (rc)
                fail(p, section, key, "%s", e);
        return 1;
}

static int sim_vm_key(struct parse_ctx *p, const char *section, const char *name, const char *key,
                      const char *value)
{
        struct nf_sim_vm_config *vm = sim_vm_section(p, section, name);
        char e[200];
        int rc = 0, b = 0;
        uint64_t u = 0;
        if (!vm)
                return 1;
        if (strcmp(key, "memory") == 0) {
                rc = nf_parse_pages(value, &vm->memory_pages, e, sizeof(e));
        } else if (strcmp(key, "home") == 0) {
                rc = nf_parse_u64(value, NF_MAX_NODES - 1, &u, e, sizeof(e));
                vm->home = (unsigned)u;
        } else if (strcmp(key, "flip_rate") == 0) {
                rc = nf_parse_per_sec(value, &vm->flip_rate, e, sizeof(e));
        } else if (strcmp(key, "migratable") == 0) {
                rc = nf_parse_bool(value, &b, e, sizeof(e));
                vm->migratable = b;
        } else {
                fail(p, section, key, "unknown key");
                return 1;
        }
        if (rc)
                fail(p, section, key, "%s", e);
        return 1;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
        struct parse_ctx *p = user;
        struct nf_config *c = p->c;

        if (p->failed)
                return 1;
        if (strcmp(section, "daemon") == 0)
                return daemon_key(p, section, key, value);
        if (strcmp(section, "defaults") == 0) {
                if (!p->defaults_line)
                        p->defaults_line = p->section_line;
                if (!policy_key(p, &c->defaults, section, key, value))
                        fail(p, section, key, "unknown key");
                return 1;
        }
        if (strcmp(section, "pool") == 0) {
                if (!p->pool_line)
                        p->pool_line = p->section_line;
                return pool_key(p, section, key, value);
        }
        if (strcmp(section, "sim") == 0) {
                if (!p->sim_line)
                        p->sim_line = p->section_line;
                return sim_key(p, section, key, value);
        }
        if (strncmp(section, SIM_VM_PREFIX, strlen(SIM_VM_PREFIX)) == 0) {
                char buf[NF_NAME_MAX];
                const char *name = section_arg(p, section, SIM_VM_PREFIX, buf);
                return name ? sim_vm_key(p, section, name, key, value) : 1;
        }
        if (strncmp(section, VM_PREFIX, strlen(VM_PREFIX)) == 0) {
                char buf[NF_NAME_MAX];
                const char *name = section_arg(p, section, VM_PREFIX, buf);
                if (!name)
                        return 1;
                struct nf_vm_config *vm = vm_section(p, name);
                if (!vm) {
                        fail(p, section, key, "out of memory");
                        return 1;
                }
                if (policy_key(p, &vm->policy, section, key, value))
                        return 1;
                if (strcmp(key, "home") == 0) {
                        char e[200];
                        if (nf_nodemask_parse(value, NF_MAX_NODES, &vm->home, e, sizeof(e)))
                                fail(p, section, key, "%s", e);
                        return 1;
                }
                fail(p, section, key, "unknown key");
                return 1;
        }
        if (section[0] == '\0')
                fail(p, "", key, "key outside any section");
        else
                fail_header(p, section,
                            "unknown section (expected daemon, defaults, pool, sim, sim.vm NAME "
                            "or vm NAME)");
        return 1;
}

/* Longest section name inih keeps (its MAX_SECTION less the NUL); it cuts longer ones. */
#define INIH_SECTION_MAX 49

/* Skips the rest of an over-long line. */
static void skip_rest(struct parse_ctx *p, char *str, int num)
{
        if (p->fp) {
                while (fgets(str, num, p->fp) && !strchr(str, '\n'))
                        ;
                return;
        }
        const char *nl = strchr(p->text, '\n');
        p->text = nl ? nl + 1 : p->text + strlen(p->text);
}

/* Reports an error on the line just read and stops the parse. */
static char *reader_fail(struct parse_ctx *p, const char *what, int limit)
{
        if (!p->failed++) {
                snprintf(p->err, p->errlen, "%s:%u: %s longer than %d characters", p->name, p->line,
                         what, limit);
                p->fail_line = p->line;
        }
        return NULL;
}

/*
 * inih's reader: one line per call, counted so messages can name it. Leading blanks
 * are dropped, so an indented key is a key and not (as inih has it) the continuation
 * of the previous value. A line longer than inih's buffer is refused rather than read
 * as two lines, unless it is a comment.
 */
static char *reader(char *str, int num, void *stream)
{
        struct parse_ctx *p = stream;
        size_t n;
        int next; /* the character after what fitted in str */
        if (p->fp) {
                if (!fgets(str, num, p->fp)) {
                        if (ferror(p->fp) && !p->failed++) {
                                p->errnum = errno ? errno : EIO;
                                snprintf(p->err, p->errlen, "%s: cannot read: %s", p->name,
                                         strerror(p->errnum));
                        }
                        return NULL;
                }
                n = strlen(str);
                next = n == (size_t)num - 1 && str[n - 1] != '\n' ? fgetc(p->fp) : EOF;
                if (next != '\n' && next != EOF)
                        ungetc(next, p->fp);
        } else {
                if (!*p->text)
                        return NULL;
                const char *nl = strchr(p->text, '\n');
                n = nl ? (size_t)(nl - p->text + 1) : strlen(p->text);
                if (n > (size_t)num - 1)
                        n = (size_t)num - 1;
                memcpy(str, p->text, n);
                str[n] = '\0';
                p->text += n;
                next = str[n - 1] != '\n' && *p->text ? *p->text++ : EOF;
                if (next != '\n' && next != EOF)
                        p->text--;
        }
        p->line++;
        size_t blank = strspn(str, " \t");
        memmove(str, str + blank, n - blank + 1);
        if (next != '\n' && next != EOF) {
                if (*str != ';' && *str != '#')
                        return reader_fail(p, "line", num - 1);
                skip_rest(p, str, num);
                snprintf(str, (size_t)num, ";");
        }
        if (*str == '[') {
                p->section_line = p->line;
                size_t len = strcspn(str + 1, "]");
                if (str[1 + len] == ']' && len > INIH_SECTION_MAX)
                        return reader_fail(p, "section name", INIH_SECTION_MAX);
        }
        return str;
}

/* Where each field lives in struct nf_policy_params, so layers overlay field by field. */
#define FIELD(name)                                                                                \
        {                                                                                          \
                offsetof(struct nf_policy_params, name),                                           \
                    sizeof(((struct nf_policy_params *)0)->name)                                   \
        }
static const struct {
        size_t off, size;
} field_loc[NF_PF_COUNT] = {
    [NF_PF_MODE] = FIELD(mode),
    [NF_PF_PERIOD] = FIELD(period_ns),
    [NF_PF_THRESHOLD] = FIELD(threshold),
    [NF_PF_TARGET] = FIELD(target),
    [NF_PF_COOLDOWN] = FIELD(cooldown_ns),
    [NF_PF_RATE_LIMIT] = FIELD(rate_limit),
    [NF_PF_BATCH] = FIELD(batch_pages),
    [NF_PF_DRY_RUN] = FIELD(dry_run),
};
#undef FIELD

static void resolve(const struct nf_config *c, const struct nf_vm_config *vm,
                    struct nf_policy_params *out, struct nf_policy_sources *src)
{
        struct nf_policy_params builtin;
        nf_policy_defaults(&builtin);
        const struct nf_policy_layer *layers[2] = {&c->defaults, vm ? &vm->policy : NULL};
        *out = builtin;
        for (int f = 0; f < NF_PF_COUNT; f++) {
                src->kind[f] = NF_SOURCE_BUILTIN;
                src->line[f] = 0;
        }
        for (int i = 0; i < 2; i++) {
                const struct nf_policy_layer *l = layers[i];
                if (!l)
                        continue;
                for (int f = 0; f < NF_PF_COUNT; f++) {
                        if (!(l->set & (1u << f)))
                                continue;
                        src->kind[f] = i == 0 ? NF_SOURCE_DEFAULTS : NF_SOURCE_VM;
                        src->line[f] = l->line[f];
                        memcpy((char *)out + field_loc[f].off,
                               (const char *)&l->v + field_loc[f].off, field_loc[f].size);
                }
        }
}

void nf_config_policy(const struct nf_config *c, const char *name, struct nf_policy_params *out,
                      struct nf_policy_sources *src)
{
        struct nf_policy_sources tmp;
        resolve(c, name ? nf_config_vm(c, name) : NULL, out, src ? src : &tmp);
}

const struct nf_vm_config *nf_config_vm(const struct nf_config *c, const char *name)
{
        for (size_t i = 0; i < c->nr_vms; i++)
                if (strcmp(c->vms[i].name, name) == 0)
                        return &c->vms[i];
        return NULL;
}

char *nf_config_source_format(const struct nf_config *c, const char *vm,
                              const struct nf_policy_sources *src, enum nf_policy_field f,
                              char *buf, size_t len)
{
        switch (src->kind[f]) {
        case NF_SOURCE_BUILTIN:
                snprintf(buf, len, "built-in");
                break;
        case NF_SOURCE_DEFAULTS:
                snprintf(buf, len, "%s:%u [defaults]", c->path, src->line[f]);
                break;
        case NF_SOURCE_VM:
                snprintf(buf, len, "%s:%u [vm %s]", c->path, src->line[f], vm ? vm : "?");
                break;
        }
        return buf;
}

/*
 * A cross-field error found once the whole file is read. The checks start their
 * messages with the key at fault ("target: 5% is above ..."); it is named like a key
 * error, at the line of the section's header.
 */
static void fail_checked(struct parse_ctx *p, const char *section, unsigned line, const char *msg)
{
        char key[32];
        size_t n = strcspn(msg, ": ");
        p->line = line;
        if (n > 0 && n < sizeof(key) && strncmp(msg + n, ": ", 2) == 0) {
                memcpy(key, msg, n);
                key[n] = '\0';
                fail(p, section, key, "%s", msg + n + 2);
        } else {
                fail(p, section, NULL, "%s", msg);
        }
}

/* The sim's message names a VM as "vm 'NAME': "; that is the [sim.vm NAME] section. */
static void fail_sim(struct parse_ctx *p, const char *msg)
{
        const struct nf_sim_config *s = &p->c->sim;
        if (strncmp(msg, "vm '", 4) == 0) {
                const char *name = msg + 4, *q = strstr(name, "': ");
                for (size_t i = 0; q && i < s->nr_vms; i++) {
                        if (strlen(s->vm[i].name) == (size_t)(q - name) &&
                            strncmp(s->vm[i].name, name, (size_t)(q - name)) == 0) {
                                char sec[NF_NAME_MAX + 8];
                                snprintf(sec, sizeof(sec), SIM_VM_PREFIX "%s", s->vm[i].name);
                                fail_checked(p, sec, p->sim_vm_line[i], q + 3);
                                return;
                        }
                }
        }
        fail_checked(p, "sim", p->sim_line, msg);
}

/* Cross-field checks once the whole file is read. */
static int validate(struct parse_ctx *p)
{
        struct nf_config *c = p->c;
        struct nf_policy_params pp;
        struct nf_policy_sources src;
        char e[200];

        resolve(c, NULL, &pp, &src);
        if (nf_policy_validate(&pp, e, sizeof(e)) != 0) {
                fail_checked(p, "defaults", p->defaults_line, e);
                return -EINVAL;
        }
        for (size_t i = 0; i < c->nr_vms; i++) {
                resolve(c, &c->vms[i], &pp, &src);
                if (nf_policy_validate(&pp, e, sizeof(e)) != 0) {
                        char sec[NF_NAME_MAX + 4];
                        snprintf(sec, sizeof(sec), VM_PREFIX "%s", c->vms[i].name);
                        fail_checked(p, sec, c->vms[i].line, e);
                        return -EINVAL;
                }
        }
        if (nf_poolsize_validate(&c->pool, e, sizeof(e)) != 0) {
                fail_checked(p, "pool", p->pool_line, e);
                return -EINVAL;
        }
        /* A simulated VM without a home goes on node 1, away from the CVM, if there is one. */
        for (size_t i = 0; i < c->sim.nr_vms; i++)
                if (c->sim.vm[i].home == SIM_HOME_UNSET)
                        c->sim.vm[i].home = 1 < c->sim.nr_nodes ? 1 : 0;
        if (nf_sim_config_validate(&c->sim, e, sizeof(e)) != 0) {
                fail_sim(p, e);
                return -EINVAL;
        }
        return 0;
}

static int load(struct parse_ctx *p, struct nf_config **out)
{
        p->c = nf_config_new();
        if (!p->c) {
                snprintf(p->err, p->errlen, "%s: out of memory", p->name);
                return -ENOMEM;
        }
        snprintf(p->c->path, sizeof(p->c->path), "%s", p->name);
        int rc = ini_parse_stream(reader, p, handler, p);
        /* inih reports its own first error only at the end: keep whichever came first. */
        if (rc > 0 && (!p->failed || (unsigned)rc <= p->fail_line)) {
                /* inih reports the line of the first line it could not read. */
                snprintf(p->err, p->errlen,
                         "%s:%d: syntax error (expected [section], key = value or a comment)",
                         p->name, rc);
                p->failed = 1;
        } else if (rc < 0 && !p->failed) {
                snprintf(p->err, p->errlen, "%s: out of memory while parsing", p->name);
                p->failed = 1;
        }
        if (!p->failed)
                validate(p);
        if (p->failed) {
                nf_config_free(p->c);
                return p->errnum ? -p->errnum : -EINVAL;
        }
        *out = p->c;
        return 0;
}

int nf_config_load(const char *path, struct nf_config **out, char *err, size_t errlen)
{
        struct parse_ctx p = {.name = path, .err = err, .errlen = errlen};
        p.fp = fopen(path, "r");
        if (!p.fp) {
                int e = errno;
                snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
                return -e;
        }
        int rc = load(&p, out);
        fclose(p.fp);
        return rc;
}

int nf_config_load_string(const char *text, const char *name, struct nf_config **out, char *err,
                          size_t errlen)
{
        struct parse_ctx p = {.name = name, .err = err, .errlen = errlen, .text = text};
        return load(&p, out);
}
