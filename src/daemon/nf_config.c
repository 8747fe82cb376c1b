/* numaflipd configuration: INI file (inih) into a validated, immutable struct. */
#include "nf_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "nf_err.h"
#include "nf_keys.h"
#include "nf_placement.h"
#include "nf_proto.h"
#include "nf_units.h"

#define SECTION_MAX 80 /* a section's name as kept: kind, a blank, its argument */

/*
 * Where each section header and key was written, found by (section, key) through a
 * small open-addressing index: a file with a thousand [vm] sections must not take
 * quadratic time to check for duplicates.
 */
struct origin {
        char section[SECTION_MAX];
        char key[32]; /* empty: the section's header */
        unsigned line;
};

struct nf_config_origins {
        struct origin *v;
        size_t nr, cap;
        uint32_t *index; /* slots: 1 + position in v, 0 free */
        size_t slots;
};

static uint64_t origin_hash(const char *section, const char *key)
{
        uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a over "section\0key" */

        for (const char *s = section; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
        h = (h ^ 0xff) * 0x100000001b3ull;
        for (const char *s = key; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
        return h;
}

static const struct origin *origin_find(const struct nf_config_origins *o, const char *section,
                                        const char *key)
{
        if (!o || !o->slots)
                return NULL;
        key = key ? key : "";
        for (size_t i = origin_hash(section, key) & (o->slots - 1);; i = (i + 1) & (o->slots - 1)) {
                uint32_t at = o->index[i];

                if (!at)
                        return NULL;
                if (strcmp(o->v[at - 1].section, section) == 0 &&
                    strcmp(o->v[at - 1].key, key) == 0)
                        return &o->v[at - 1];
        }
}

static void origin_slot(struct nf_config_origins *o, size_t at)
{
        const struct origin *r = &o->v[at];
        size_t i = origin_hash(r->section, r->key) & (o->slots - 1);

        while (o->index[i])
                i = (i + 1) & (o->slots - 1);
        o->index[i] = (uint32_t)(at + 1);
}

/* Records a header (key NULL) or a key; -EEXIST with *first when it was there before. */
static int origin_add(struct nf_config_origins *o, const char *section, const char *key,
                      unsigned line, const struct origin **first)
{
        const struct origin *old = origin_find(o, section, key);

        if (old) {
                *first = old;
                return -EEXIST;
        }
        if (o->nr == o->cap) {
                size_t cap = o->cap ? o->cap * 2 : 64;
                struct origin *v = realloc(o->v, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                o->v = v;
                o->cap = cap;
        }
        if ((o->nr + 1) * 2 > o->slots) {
                size_t slots = o->slots ? o->slots * 2 : 128;
                uint32_t *index = calloc(slots, sizeof(*index));

                if (!index)
                        return -ENOMEM;
                free(o->index);
                o->index = index;
                o->slots = slots;
                for (size_t i = 0; i < o->nr; i++)
                        origin_slot(o, i);
        }
        struct origin *r = &o->v[o->nr];
        snprintf(r->section, sizeof(r->section), "%s", section);
        snprintf(r->key, sizeof(r->key), "%s", key ? key : "");
        r->line = line;
        origin_slot(o, o->nr++);
        return 0;
}

static void origins_free(struct nf_config_origins *o)
{
        if (!o)
                return;
        free(o->v);
        free(o->index);
        free(o);
}

static unsigned origin_line(const struct nf_config *c, const char *section, const char *key)
{
        const struct origin *r = origin_find(c->origins, section, key);

        return r ? r->line : 0;
}

/* Parser state threaded through inih. */
struct parse_ctx {
        struct nf_config *c;
        const char *name; /* file name for messages */
        unsigned line;    /* line inih is handling (counted by our reader) */
        /* The section being read, from its header: its kind ("vm", "sim.vm"), its
         * argument, and both as kept ("vm web1"). */
        char kind[SECTION_MAX], arg[SECTION_MAX], section[SECTION_MAX];
        unsigned section_line;
        bool section_bad; /* its header was refused: skip its keys */
        unsigned fail_line;
        int errnum; /* a read error */
        int failed;
        char *err;
        size_t errlen;
        /* the reader's source: a FILE or a string */
        FILE *fp;
        const char *text;
};

static void fail_at(struct parse_ctx *p, unsigned line, const char *section, const char *key,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Reports the first error: "FILE:LINE: [SECTION] KEY: message". */
static void fail_at(struct parse_ctx *p, unsigned line, const char *section, const char *key,
                    const char *fmt, ...)
{
        char msg[NF_ERR_MAX / 2], where[PATH_MAX + 16];
        va_list ap;

        if (p->failed++)
                return; /* the first error is the one worth reading */
        p->fail_line = line;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (line)
                snprintf(where, sizeof(where), "%s:%u", p->name, line);
        else
                snprintf(where, sizeof(where), "%s", p->name);
        if (!section || !*section)
                nf_err(0, p->err, p->errlen, "%s: %s: %s", where, key, msg);
        else if (key)
                nf_err(0, p->err, p->errlen, "%s: [%s] %s: %s", where, section, key, msg);
        else
                nf_err(0, p->err, p->errlen, "%s: [%s]: %s", where, section, msg);
}

/* An error about the key on the line being read. */
#define fail_key(p, key, ...) fail_at((p), (p)->line, (p)->section, (key), __VA_ARGS__)
/* An error about the section being read, at its header's line. */
#define fail_section(p, ...) fail_at((p), (p)->section_line, (p)->section, NULL, __VA_ARGS__)

/* The log level by name (syslog's names; "error" too). */
static int parse_log_level(const char *value, void *field, char *err, size_t errlen)
{
        if (nf_log_level_parse(value, field) == 0)
                return 0;
        return nf_err(-EINVAL, err, errlen,
                      "invalid log level '%s' (expected err, warning, notice, info or debug)",
                      value);
}

static int parse_backend(const char *value, void *field, char *err, size_t errlen)
{
        if (strcmp(value, "auto") && !nf_backend_find(value))
                return nf_err(-EINVAL, err, errlen,
                              "unknown backend '%s' (expected auto, xen, linux or sim)", value);
        snprintf(field, 16, "%s", value);
        return 0;
}

/* Owner read and write at least: the daemon must be able to use its own socket. */
static int parse_socket_mode(const char *value, void *field, char *err, size_t errlen)
{
        char *end;
        unsigned long m;

        errno = 0;
        m = strtoul(value, &end, 8);
        if (errno || end == value || *end || m > 0777 || (m & 0600) != 0600)
                return nf_err(-EINVAL, err, errlen,
                              "invalid mode '%s' (octal, at most 0777, owner rw required)", value);
        *(mode_t *)field = (mode_t)m;
        return 0;
}

_Static_assert(sizeof(enum nf_log_level) == sizeof(int), "enum nf_log_level is not int-sized");

#define DKEY(field, name, kind, ...) NF_KEY_ENTRY(struct nf_config, field, name, kind, __VA_ARGS__)
static const struct nf_key daemon_keys[] = {
    DKEY(backend, "backend", NF_KEY_STRING, .parse = parse_backend),
    DKEY(socket_path, "socket", NF_KEY_PATH),
    DKEY(socket_group, "socket_group", NF_KEY_STRING),
    DKEY(socket_mode, "socket_mode", NF_KEY_OCTAL, .parse = parse_socket_mode),
    DKEY(poll_ns, "poll", NF_KEY_DURATION, .min = NF_NS_PER_MS),
    DKEY(log_level, "log_level", NF_KEY_UINT, .parse = parse_log_level),
    DKEY(global_rate_limit, "rate_limit", NF_KEY_RATE),
    DKEY(batch_time_ns, "batch_time", NF_KEY_DURATION, .min = NF_NS_PER_MS),
    DKEY(metrics_file, "metrics_file", NF_KEY_PATH),
};
#undef DKEY

/* What [vm NAME] holds besides the policy keys. */
static const struct nf_key vm_keys[] = {
    NF_KEY_ENTRY(struct nf_vm_config, home, "home", NF_KEY_NODES),
};

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

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
}

struct nf_config *nf_config_new(void)
{
        size_t nb;
        const struct nf_backend_ops *const *be = nf_backends(&nb);
        struct nf_config *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        set_defaults(c);
        c->origins = calloc(1, sizeof(*c->origins));
        if (!c->origins) {
                free(c);
                return NULL;
        }
        for (size_t i = 0; i < nb && i < NF_CONFIG_MAX_BACKENDS; i++) {
                if (!be[i]->compiled_in || !be[i]->conf_new)
                        continue;
                c->backend_conf[i] = be[i]->conf_new();
                if (!c->backend_conf[i]) {
                        nf_config_free(c);
                        return NULL;
                }
        }
        return c;
}

void nf_config_free(struct nf_config *c)
{
        size_t nb;
        const struct nf_backend_ops *const *be = nf_backends(&nb);

        if (!c)
                return;
        for (size_t i = 0; i < nb && i < NF_CONFIG_MAX_BACKENDS; i++)
                if (c->backend_conf[i])
                        be[i]->conf_free(c->backend_conf[i]);
        origins_free(c->origins);
        free(c->vms);
        free(c);
}

const void *nf_config_backend(const struct nf_config *c, const struct nf_backend_ops *ops)
{
        size_t nb;
        const struct nf_backend_ops *const *be = nf_backends(&nb);

        for (size_t i = 0; i < nb && i < NF_CONFIG_MAX_BACKENDS; i++)
                if (be[i] == ops)
                        return c->backend_conf[i];
        return NULL;
}

/* A policy key into a layer; -ENOENT when key is not one. */
static int policy_key(struct parse_ctx *p, struct nf_policy_layer *l, const char *key,
                      const char *value)
{
        char e[NF_ERR_MAX / 4];
        const struct nf_key *k = nf_key_find(nf_policy_keys, NF_PF_COUNT, key);

        if (!k)
                return -ENOENT;
        if (nf_key_parse(k, &l->v, value, e, sizeof(e)) < 0) {
                fail_key(p, key, "%s", e);
                return -EINVAL;
        }
        l->set |= 1u << (k - nf_policy_keys);
        l->line[k - nf_policy_keys] = p->line;
        return 0;
}

/* A key of a table over base; -ENOENT when key is not in it. */
static int table_key(struct parse_ctx *p, const struct nf_key *table, size_t n, void *base,
                     const char *key, const char *value)
{
        char e[NF_ERR_MAX / 4];
        const struct nf_key *k = nf_key_find(table, n, key);

        if (!k)
                return -ENOENT;
        if (nf_key_parse(k, base, value, e, sizeof(e)) < 0) {
                fail_key(p, key, "%s", e);
                return -EINVAL;
        }
        return 0;
}

static struct nf_vm_config *vm_section(struct parse_ctx *p, const char *name)
{
        struct nf_config *c = p->c;

        /* Keys of one section come together, and a name has one section. */
        if (c->nr_vms && strcmp(c->vms[c->nr_vms - 1].name, name) == 0)
                return &c->vms[c->nr_vms - 1];
        if ((c->nr_vms & (c->nr_vms - 1)) == 0) { /* 0, 1, 2, 4, ...: grow by doubling */
                struct nf_vm_config *n =
                    realloc(c->vms, (c->nr_vms ? c->nr_vms * 2 : 1) * sizeof(*n));
                if (!n)
                        return NULL;
                c->vms = n;
        }
        struct nf_vm_config *vm = &c->vms[c->nr_vms++];
        memset(vm, 0, sizeof(*vm));
        snprintf(vm->name, sizeof(vm->name), "%.*s", NF_NAME_MAX - 1, name);
        vm->line = p->section_line;
        return vm;
}

static void each_in(const struct nf_key *t, size_t n, const char *section,
                    void (*fn)(const char *, const char *, void *), void *arg)
{
        for (size_t i = 0; t && i < n; i++)
                fn(section, t[i].name, arg);
}

/* A backend's keys of one kind: NULL for [NAME], else a kind of its own or "vm". */
static void each_backend_key(const struct nf_backend_ops *ops, const char *kind,
                             void (*fn)(const char *, const char *, void *), void *arg)
{
        size_t n = 0;
        const struct nf_key *t = ops->conf_keys(kind, &n);

        each_in(t, n, kind ? kind : ops->name, fn, arg);
}

void nf_config_each_key(void (*fn)(const char *section, const char *key, void *arg), void *arg)
{
        size_t nb;
        const struct nf_backend_ops *const *be = nf_backends(&nb);

        each_in(daemon_keys, NKEYS(daemon_keys), "daemon", fn, arg);
        each_in(nf_policy_keys, NF_PF_COUNT, "defaults", fn, arg);
        each_in(vm_keys, NKEYS(vm_keys), "vm", fn, arg);
        each_in(nf_pool_keys, NF_POOL_KEYS, "pool", fn, arg);
        for (size_t i = 0; i < nb; i++) {
                const struct nf_backend_ops *ops = be[i];

                if (!ops->compiled_in || !ops->conf_keys)
                        continue;
                each_backend_key(ops, NULL, fn, arg);
                each_backend_key(ops, "vm", fn, arg);
                /* Its sub-kinds, from "sim, sim.vm NAME": each word after a ", ". */
                const char *s = ops->conf_sections ? ops->conf_sections : "";
                while ((s = strstr(s, ", ")) != NULL) {
                        char kind[32];

                        s += 2;
                        snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(s, " ,"), s);
                        each_backend_key(ops, kind, fn, arg);
                }
        }
}

/* The backend owning sections of kind ("sim" or "sim.vm"); NULL when none does. */
static const struct nf_backend_ops *section_backend(const char *kind, size_t *idx)
{
        size_t nb;
        const struct nf_backend_ops *const *be = nf_backends(&nb);

        for (size_t i = 0; i < nb; i++) {
                size_t n = strlen(be[i]->name);

                if (strncmp(kind, be[i]->name, n) == 0 && (kind[n] == '\0' || kind[n] == '.')) {
                        *idx = i;
                        return be[i];
                }
        }
        return NULL;
}

/* A key of a backend's section, or one of [vm NAME] the daemon does not know. */
static void backend_key(struct parse_ctx *p, size_t i, const char *kind, const char *key,
                        const char *value)
{
        size_t nb;
        const struct nf_backend_ops *ops = nf_backends(&nb)[i];
        char e[NF_ERR_MAX / 4] = "";
        int rc = -ENOENT;

        if (p->c->backend_conf[i])
                rc = ops->conf_key(p->c->backend_conf[i], kind, p->arg[0] ? p->arg : NULL, key,
                                   value, e, sizeof(e));
        if (rc == -ENOENT)
                fail_key(p, key, "unknown key");
        else if (rc < 0)
                fail_key(p, key, "%s", e[0] ? e : strerror(-rc));
}

/* A key the daemon does not know in [vm NAME]: one of a backend's, or unknown. */
static void vm_backend_key(struct parse_ctx *p, const char *key, const char *value)
{
        size_t nb;
        const struct nf_backend_ops *const *be = nf_backends(&nb);
        char e[NF_ERR_MAX / 4] = "";

        for (size_t i = 0; i < nb && i < NF_CONFIG_MAX_BACKENDS; i++) {
                if (!p->c->backend_conf[i])
                        continue;
                int rc =
                    be[i]->conf_key(p->c->backend_conf[i], "vm", p->arg, key, value, e, sizeof(e));
                if (rc == -ENOENT)
                        continue;
                if (rc < 0)
                        fail_key(p, key, "%s", e[0] ? e : strerror(-rc));
                return;
        }
        fail_key(p, key, "unknown key");
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
        struct parse_ctx *p = user;
        struct nf_config *c = p->c;
        const struct origin *first;
        size_t bi;
        int rc;

        (void)section; /* the reader split the header into kind and argument already */
        if (p->failed || p->section_bad)
                return 1;
        if (!p->section[0]) {
                fail_at(p, p->line, "", key, "key outside any section");
                return 1;
        }
        rc = origin_add(c->origins, p->section, key, p->line, &first);
        if (rc == -EEXIST) {
                fail_key(p, key, "set twice in this section (first at line %u)", first->line);
                return 1;
        }
        if (rc < 0) {
                fail_key(p, key, "out of memory");
                return 1;
        }
        if (strcmp(p->kind, "daemon") == 0) {
                if (table_key(p, daemon_keys, NKEYS(daemon_keys), c, key, value) == -ENOENT)
                        fail_key(p, key, "unknown key");
        } else if (strcmp(p->kind, "defaults") == 0) {
                if (policy_key(p, &c->defaults, key, value) == -ENOENT)
                        fail_key(p, key, "unknown key");
        } else if (strcmp(p->kind, "pool") == 0) {
                if (table_key(p, nf_pool_keys, NF_POOL_KEYS, &c->pool, key, value) == -ENOENT)
                        fail_key(p, key, "unknown key");
        } else if (strcmp(p->kind, "vm") == 0) {
                struct nf_vm_config *vm = vm_section(p, p->arg);

                if (!vm)
                        fail_key(p, key, "out of memory");
                else if (table_key(p, vm_keys, NKEYS(vm_keys), vm, key, value) == -ENOENT &&
                         policy_key(p, &vm->policy, key, value) == -ENOENT)
                        vm_backend_key(p, key, value);
        } else if (section_backend(p->kind, &bi)) {
                backend_key(p, bi, strchr(p->kind, '.') ? p->kind : NULL, key, value);
        }
        return 1;
}

/* The expected sections, for the message about an unknown one. */
static char *known_sections(char *buf, size_t len)
{
        size_t nb;
        const struct nf_backend_ops *const *be = nf_backends(&nb);

        snprintf(buf, len, "daemon, defaults, pool, vm NAME");
        for (size_t i = 0; i < nb; i++) {
                size_t used = strlen(buf);

                if (be[i]->compiled_in && be[i]->conf_sections)
                        snprintf(buf + used, len - used, ", %s", be[i]->conf_sections);
        }
        return buf;
}

/*
 * A section header, as the reader sees it: splits it into kind and argument, checks
 * both, and records it, so a section written twice is caught even when it is empty.
 */
static void section_begin(struct parse_ctx *p, const char *hdr, size_t len)
{
        const struct origin *first;
        char raw[SECTION_MAX];
        size_t bi;

        p->section_line = p->line;
        p->section_bad = true;
        snprintf(raw, sizeof(raw), "%.*s", (int)(len < sizeof(raw) ? len : sizeof(raw) - 1), hdr);
        char *s = raw + strspn(raw, " \t"), *e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                *--e = '\0';
        size_t kl = strcspn(s, " \t");
        snprintf(p->kind, sizeof(p->kind), "%.*s", (int)kl, s);
        const char *a = s + kl + strspn(s + kl, " \t");
        snprintf(p->arg, sizeof(p->arg), "%s", a);
        if (p->arg[0]) /* inih keeps at most INIH_SECTION_MAX characters of a header */
                snprintf(p->section, sizeof(p->section), "%.24s %.54s", p->kind, p->arg);
        else
                snprintf(p->section, sizeof(p->section), "%s", p->kind);

        bool named = strcmp(p->kind, "vm") == 0 || strchr(p->kind, '.');
        const struct nf_backend_ops *ops = section_backend(p->kind, &bi);
        bool known = strcmp(p->kind, "daemon") == 0 || strcmp(p->kind, "defaults") == 0 ||
                     strcmp(p->kind, "pool") == 0 || strcmp(p->kind, "vm") == 0 || ops;
        if (!known) {
                char list[256];
                fail_section(p, "unknown section (expected %s)",
                             known_sections(list, sizeof(list)));
                return;
        }
        if (named && !p->arg[0]) {
                fail_section(p, "section needs a name, e.g. [%s web1]", p->kind);
                return;
        }
        if (!named && p->arg[0]) {
                fail_section(p, "[%s] takes no name", p->kind);
                return;
        }
        if (strlen(p->arg) >= NF_NAME_MAX) {
                fail_section(p, "name longer than %d characters", NF_NAME_MAX - 1);
                return;
        }
        int rc = origin_add(p->c->origins, p->section, NULL, p->line, &first);
        if (rc == -EEXIST) {
                fail_section(p, "second section of that name (the first is at line %u)",
                             first->line);
                return;
        }
        if (rc < 0) {
                fail_section(p, "out of memory");
                return;
        }
        if (ops && !ops->compiled_in) {
                /* Written for a build that has it; this one passes it over, and says so. */
                if (!p->c->ignored[0])
                        snprintf(p->c->ignored, sizeof(p->c->ignored),
                                 "[%s] (line %u): backend %s is not compiled in", p->section,
                                 p->line, ops->name);
                return;
        }
        p->section_bad = false;
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
                p->fail_line = p->line;
                nf_err(0, p->err, p->errlen, "%s:%u: %s longer than %d characters", p->name,
                       p->line, what, limit);
        }
        return NULL;
}

/*
 * inih's reader: one line per call, counted so messages can name it. Leading blanks
 * are dropped, so an indented key is a key and not (as inih has it) the continuation
 * of the previous value. A line longer than inih's buffer is refused rather than read
 * as two lines, unless it is a comment. Section headers are taken here.
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
                                nf_err(0, p->err, p->errlen, "%s: cannot read: %s", p->name,
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
        if (*str == '[' && !p->failed) {
                size_t len = strcspn(str + 1, "]");
                if (str[1 + len] == ']') {
                        if (len > INIH_SECTION_MAX)
                                return reader_fail(p, "section name", INIH_SECTION_MAX);
                        section_begin(p, str + 1, len);
                }
        }
        return str;
}

static int vm_cmp(const void *a, const void *b)
{
        return strcmp(((const struct nf_vm_config *)a)->name,
                      ((const struct nf_vm_config *)b)->name);
}

static void resolve(const struct nf_config *c, const struct nf_vm_config *vm,
                    struct nf_policy_params *out, struct nf_policy_sources *src)
{
        const struct nf_policy_layer *layers[2] = {&c->defaults, vm ? &vm->policy : NULL};

        nf_policy_defaults(out);
        for (int f = 0; f < NF_PF_COUNT; f++) {
                src->kind[f] = NF_SOURCE_BUILTIN;
                src->line[f] = 0;
        }
        for (int i = 0; i < 2; i++) {
                const struct nf_policy_layer *l = layers[i];
                if (!l)
                        continue;
                for (int f = 0; f < NF_PF_COUNT; f++) {
                        const struct nf_key *k = &nf_policy_keys[f];
                        if (!(l->set & (1u << f)))
                                continue;
                        src->kind[f] = i == 0 ? NF_SOURCE_DEFAULTS : NF_SOURCE_VM;
                        src->line[f] = l->line[f];
                        memcpy((char *)out + k->offset, (const char *)&l->v + k->offset, k->size);
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
        struct nf_vm_config key;

        if (!c->nr_vms || strlen(name) >= sizeof(key.name))
                return NULL;
        snprintf(key.name, sizeof(key.name), "%s", name);
        return bsearch(&key, c->vms, c->nr_vms, sizeof(*c->vms), vm_cmp);
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

/* Where a key's value came from, for a message: "line 8", "[defaults] line 8", "built-in". */
static char *where(const struct nf_config *c, const char *here, const char *section,
                   const char *key, char *buf, size_t len)
{
        unsigned line = origin_line(c, section, key);

        if (!line && strncmp(section, "vm ", 3) == 0) {
                /* A [vm] policy key not set there comes from [defaults]. */
                section = "defaults";
                line = origin_line(c, section, key);
        }
        if (!line)
                snprintf(buf, len, "built-in");
        else if (strcmp(section, here) == 0)
                snprintf(buf, len, "line %u", line);
        else
                snprintf(buf, len, "[%s] line %u", section, line);
        return buf;
}

/*
 * Reports a check's error: at the key's line in the section at fault when it was set
 * there, else at the section's header; naming where the key came from when that was
 * elsewhere, and where the key it contradicts was set.
 */
static void fail_check(struct parse_ctx *p, const char *section, const struct nf_check_error *e)
{
        const struct nf_config *c = p->c;
        const char *sec = e->section[0] ? e->section : section;
        const char *osec = e->other_section[0] ? e->other_section : sec;
        unsigned line = e->key ? origin_line(c, sec, e->key) : 0;
        char a[96] = "", b[96] = "", w[64];

        if (!line)
                line = origin_line(c, sec, NULL);
        if (e->key && !origin_line(c, sec, e->key)) {
                where(c, sec, sec, e->key, w, sizeof(w));
                snprintf(a, sizeof(a), " (%s: %s)", e->key, w);
        }
        if (e->other_key)
                snprintf(b, sizeof(b), " (%s: %s)", e->other_key,
                         where(c, sec, osec, e->other_key, w, sizeof(w)));
        fail_at(p, line, sec, e->key, "%s%s%s", e->msg, a, b);
}

/* Cross-key checks once the whole file is read. */
static int validate(struct parse_ctx *p)
{
        struct nf_config *c = p->c;
        struct nf_policy_params pp;
        struct nf_policy_sources src;
        struct nf_check_error e;
        size_t nb;
        const struct nf_backend_ops *const *be = nf_backends(&nb);

        resolve(c, NULL, &pp, &src);
        if (nf_policy_validate(&pp, &e) != 0) {
                fail_check(p, "defaults", &e);
                return -EINVAL;
        }
        for (size_t i = 0; i < c->nr_vms; i++) {
                char sec[SECTION_MAX];
                resolve(c, &c->vms[i], &pp, &src);
                if (nf_policy_validate(&pp, &e) != 0) {
                        snprintf(sec, sizeof(sec), "vm %s", c->vms[i].name);
                        fail_check(p, sec, &e);
                        return -EINVAL;
                }
        }
        if (nf_poolsize_validate(&c->pool, &e) != 0) {
                fail_check(p, "pool", &e);
                return -EINVAL;
        }
        /* The socket's group may change things: it must be able to connect at all. */
        if (c->socket_group[0] && (c->socket_mode & 0060) != 0060) {
                nf_check_fail(&e, -EINVAL, "socket_mode", "socket_group",
                              "0%03o gives socket_group '%s' no read and write access",
                              (unsigned)c->socket_mode, c->socket_group);
                fail_check(p, "daemon", &e);
                return -EINVAL;
        }
        for (size_t i = 0; i < nb && i < NF_CONFIG_MAX_BACKENDS; i++) {
                if (!c->backend_conf[i] || !be[i]->conf_check)
                        continue;
                memset(&e, 0, sizeof(e));
                if (be[i]->conf_check(c->backend_conf[i], &e) != 0) {
                        fail_check(p, be[i]->name, &e);
                        return -EINVAL;
                }
        }
        if (c->nr_vms > 1)
                qsort(c->vms, c->nr_vms, sizeof(*c->vms), vm_cmp);
        return 0;
}

static int load(struct parse_ctx *p, struct nf_config **out)
{
        p->c = nf_config_new();
        if (!p->c) {
                nf_err(0, p->err, p->errlen, "%s: out of memory", p->name);
                return -ENOMEM;
        }
        snprintf(p->c->path, sizeof(p->c->path), "%s", p->name);
        int rc = ini_parse_stream(reader, p, handler, p);
        /* inih reports its own first error only at the end: keep whichever came first. */
        if (rc > 0 && (!p->failed || (unsigned)rc <= p->fail_line)) {
                /* inih reports the line of the first line it could not read. */
                nf_err(0, p->err, p->errlen,
                       "%s:%d: syntax error (expected [section], key = value or a comment)",
                       p->name, rc);
                p->failed = 1;
        } else if (rc < 0 && !p->failed) {
                nf_err(0, p->err, p->errlen, "%s: out of memory while parsing", p->name);
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
                return nf_err(-e, err, errlen, "%s: cannot open: %s", path, strerror(e));
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
