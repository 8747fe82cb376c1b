/* Parser of Xen's 'u' debug-key dump: console text in, per-domain per-node page counts out. */
#include "xen_udump.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { OUTSIDE, HEADER, DOMAINS };

#define XEN_PREFIX "(XEN) "

void xen_udump_init(struct xen_udump *u, unsigned nr_nodes)
{
        memset(u, 0, sizeof(*u));
        u->nr_nodes = nr_nodes > NF_MAX_NODES ? NF_MAX_NODES : nr_nodes;
}

void xen_udump_free(struct xen_udump *u)
{
        free(u->cur);
        free(u->done);
        memset(u, 0, sizeof(*u));
}

static nf_nodemask_t all_nodes(const struct xen_udump *u)
{
        return u->nr_nodes >= NF_MAX_NODES ? ~(nf_nodemask_t)0 : NF_NODE_BIT(u->nr_nodes) - 1;
}

/* Reads an unsigned decimal at *s; advances *s. false when there is none or it overflows. */
static bool number(const char **s, uint64_t *v)
{
        const char *p = *s;
        uint64_t n = 0;

        if (*p < '0' || *p > '9')
                return false;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
                        return false;
                n = n * 10 + (uint64_t)(*p - '0');
        }
        *v = n;
        *s = p;
        return true;
}

/* Matches the literal lit at *s; advances *s. */
static bool literal(const char **s, const char *lit)
{
        size_t n = strlen(lit);

        if (strncmp(*s, lit, n) != 0)
                return false;
        *s += n;
        return true;
}

/* Only blanks (a CR from the serial line, say) may follow a line's last field. */
static bool at_end(const char *s)
{
        while (*s == ' ' || *s == '\r' || *s == '\t')
                s++;
        return *s == '\0';
}

/* The text of a line Xen wrote, after "(XEN) " and an optional "[timestamp] "; NULL for
 * any other line. */
static const char *xen_text(const char *line)
{
        const char *s = line;

        if (!literal(&s, XEN_PREFIX))
                return NULL;
        if (*s == '[') {
                const char *e = strchr(s, ']');

                if (!e || e[1] != ' ')
                        return NULL;
                s = e + 2;
        }
        return s;
}

/* Moves the dump being read to done. */
static void finish_dump(struct xen_udump *u)
{
        struct xen_udump_dom *t = u->done;
        size_t cap = u->cap_done;

        u->done = u->cur;
        u->cap_done = u->cap_cur;
        u->nr_done = u->nr_cur;
        u->done_online = u->cur_online;
        u->cur = t;
        u->cap_cur = cap;
        u->nr_cur = 0;
        u->finished++;
        u->state = OUTSIDE;
}

static void start_dump(struct xen_udump *u)
{
        if (u->state == DOMAINS)
                finish_dump(u);
        u->nr_cur = 0;
        u->header_nodes = 0;
        u->state = HEADER;
}

void xen_udump_expect(struct xen_udump *u)
{
        if (u->state == DOMAINS)
                finish_dump(u);
        u->nr_cur = 0;
        u->header_nodes = 0;
        u->cur_online = all_nodes(u);
        u->state = DOMAINS;
}

static int add_domain(struct xen_udump *u, uint32_t domid, uint64_t total)
{
        struct xen_udump_dom *d;

        if (u->nr_cur == u->cap_cur) {
                size_t cap = u->cap_cur ? 2 * u->cap_cur : 16;
                struct xen_udump_dom *n = realloc(u->cur, cap * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                u->cur = n;
                u->cap_cur = cap;
        }
        d = &u->cur[u->nr_cur++];
        memset(d, 0, sizeof(*d));
        d->domid = domid;
        d->total = total;
        return 0;
}

static int parse_line(struct xen_udump *u, const char *line)
{
        const char *s = xen_text(line);
        uint64_t a, b;

        if (!s)
                return 0; /* a guest's output, or a line cut by the ring */
        if (strstr(s, "'u' pressed -> dumping numa info")) {
                start_dump(u);
                return 0;
        }
        if (literal(&s, "NODE")) {
                /* "NODE0 start->0 size->262144 free->12345": one per online node */
                if (u->state == HEADER && number(&s, &a) && literal(&s, " start->") &&
                    a < u->nr_nodes)
                        u->header_nodes |= NF_NODE_BIT(a);
                return 0;
        }
        if (literal(&s, "Memory location of each domain:")) {
                if (u->state == DOMAINS)
                        finish_dump(u);
                else if (u->state != HEADER) /* the header was lost to the ring */
                        u->header_nodes = 0;
                u->nr_cur = 0;
                u->cur_online = u->header_nodes ? u->header_nodes : all_nodes(u);
                u->state = DOMAINS;
                return 0;
        }
        if (u->state != DOMAINS)
                return 0;
        if (literal(&s, "Domain ")) {
                if (number(&s, &a) && literal(&s, " (total: ") && number(&s, &b) &&
                    literal(&s, "):") && at_end(s) && a < UINT32_MAX)
                        return add_domain(u, (uint32_t)a, b);
                /* A mangled domain line: the node lines that follow belong to a domain
                 * whose id was lost, not to the one before; they go to one no id finds. */
                return add_domain(u, UINT32_MAX, 0);
        }
        if (literal(&s, "    Node ") && u->nr_cur) {
                struct xen_udump_dom *d = &u->cur[u->nr_cur - 1];

                if (number(&s, &a) && literal(&s, ": ") && number(&s, &b) && at_end(s) &&
                    a < u->nr_nodes && !(d->seen & NF_NODE_BIT(a))) {
                        d->pages[a] = b;
                        d->seen |= NF_NODE_BIT(a);
                }
        }
        return 0;
}

int xen_udump_feed(struct xen_udump *u, const char *buf, size_t len)
{
        int rc = 0;

        for (size_t i = 0; i < len; i++) {
                char c = buf[i];

                if (c == '\n') {
                        u->line[u->linelen] = '\0';
                        if (!u->overlong && parse_line(u, u->line) < 0)
                                rc = -ENOMEM;
                        u->linelen = 0;
                        u->overlong = false;
                        continue;
                }
                if (u->linelen + 1 >= sizeof(u->line)) {
                        u->overlong = true;
                        continue;
                }
                /* A guest's raw output may hold NULs: keep the line a string. */
                u->line[u->linelen++] = c ? c : ' ';
        }
        return rc;
}

unsigned xen_udump_take(struct xen_udump *u)
{
        unsigned n;

        if (u->state == DOMAINS)
                finish_dump(u);
        else if (u->state == HEADER)
                u->state = OUTSIDE; /* a header without its domain list: nothing to keep */
        n = u->finished;
        u->finished = 0;
        return n;
}

const struct xen_udump_dom *xen_udump_find(const struct xen_udump *u, uint32_t domid)
{
        if (domid == UINT32_MAX)
                return NULL; /* the stand-in for a domain whose line was mangled */
        for (size_t i = 0; i < u->nr_done; i++) {
                const struct xen_udump_dom *d = &u->done[i];

                if (d->domid == domid)
                        return (d->seen & u->done_online) == u->done_online ? d : NULL;
        }
        return NULL;
}

size_t xen_udump_count(const struct xen_udump *u)
{
        return u->nr_done;
}
