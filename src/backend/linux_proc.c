/* linux_proc: parsing of /proc/PID/status and stat and of kernel list strings, and home rules. */
#include "linux_proc.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nf_err.h"

/* include/linux/sched.h: the task is exiting. */
#define LX_PF_EXITING 0x00000004ull

static int parse_num(const char **p, unsigned long *v)
{
        char *end;

        if (!isdigit((unsigned char)**p))
                return -EINVAL;
        errno = 0;
        *v = strtoul(*p, &end, 10);
        if (errno)
                return -ERANGE;
        *p = end;
        return 0;
}

int lx_parse_list(const char *s, uint64_t *bits, size_t nwords)
{
        const char *p = s;
        unsigned long lo, hi, limit = (unsigned long)nwords * 64;

        memset(bits, 0, nwords * sizeof(*bits));
        while (*p == ' ' || *p == '\t')
                p++;
        if (*p == '\0' || *p == '\n')
                return 0; /* an empty list is a list: no CPUs or nodes */
        for (;;) {
                if (parse_num(&p, &lo) < 0)
                        return -EINVAL;
                hi = lo;
                if (*p == '-') {
                        p++;
                        if (parse_num(&p, &hi) < 0 || hi < lo)
                                return -EINVAL;
                }
                if (hi >= limit)
                        return -ERANGE;
                for (unsigned long i = lo; i <= hi; i++)
                        bits[i / 64] |= (uint64_t)1 << (i % 64);
                if (*p == ',') {
                        p++;
                        continue;
                }
                while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                return *p == '\0' ? 0 : -EINVAL;
        }
}

int lx_status_field(const char *text, const char *field, char *out, size_t outlen)
{
        size_t flen = strlen(field);

        for (const char *line = text; line && *line;
             line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
                if (strncmp(line, field, flen) != 0 || line[flen] != ':')
                        continue;
                const char *v = line + flen + 1;
                while (*v == ' ' || *v == '\t')
                        v++;
                size_t len = strcspn(v, "\n");
                if (len >= outlen)
                        return -ERANGE;
                memcpy(out, v, len);
                out[len] = '\0';
                return 0;
        }
        return -ENOENT;
}

int lx_parse_status(const char *text, struct lx_status *st, char *err, size_t errlen)
{
        char v[4096];
        uint64_t mems[1];
        int rc;

        memset(st, 0, sizeof(*st));
        if ((rc = lx_status_field(text, "Mems_allowed_list", v, sizeof(v))) < 0 ||
            lx_parse_list(v, mems, 1) < 0)
                return nf_err(-EINVAL, err, errlen, "status: no valid Mems_allowed_list");
        st->mems = mems[0];
        /* Past LX_MAX_CPUS the set is cut short rather than refused: a huge host still works. */
        if (lx_status_field(text, "Cpus_allowed_list", v, sizeof(v)) < 0 ||
            ((rc = lx_parse_list(v, st->cpus.bits, LX_CPU_WORDS)) < 0 && rc != -ERANGE))
                return nf_err(-EINVAL, err, errlen, "status: no valid Cpus_allowed_list");
        if (lx_status_field(text, "VmRSS", v, sizeof(v)) == 0) {
                unsigned long long kb = strtoull(v, NULL, 10);
                st->rss_pages = kb / (NF_PAGE_SIZE / 1024);
        }
        if (lx_status_field(text, "Uid", v, sizeof(v)) == 0)
                st->uid = (uint32_t)strtoul(v, NULL, 10);
        else
                return nf_err(-EINVAL, err, errlen, "status: no Uid");
        if (lx_status_field(text, "CapEff", v, sizeof(v)) == 0)
                st->cap_eff = strtoull(v, NULL, 16);
        return 0;
}

int lx_parse_stat(const char *text, uint64_t *starttime, char *state, char *comm, size_t commlen)
{
        /* comm may hold spaces and parentheses: the last ')' ends it. */
        const char *open = strchr(text, '('), *close = strrchr(text, ')');
        const char *p;
        unsigned long long v = 0;

        if (!open || !close || close < open)
                return -EINVAL;
        if (comm && commlen) {
                size_t len = (size_t)(close - open - 1);
                if (len >= commlen)
                        len = commlen - 1;
                memcpy(comm, open + 1, len);
                comm[len] = '\0';
        }
        /* After ") " comes field 3 (state); starttime is field 22. */
        p = close + 1;
        for (int field = 3; field <= 22; field++) {
                while (*p == ' ')
                        p++;
                if (!*p)
                        return -EINVAL;
                if (field == 3 && state)
                        *state = *p;
                if (field == 22) {
                        char *end;
                        if (!isdigit((unsigned char)*p))
                                return -EINVAL;
                        v = strtoull(p, &end, 10);
                        break;
                }
                p += strcspn(p, " ");
        }
        *starttime = v;
        return 0;
}

bool lx_stat_exiting(const char *text)
{
        const char *p = strrchr(text, ')');

        if (!p)
                return false;
        p++;
        /* After ") " comes field 3; the flags are field 9. */
        for (int field = 3; field < 9; field++) {
                while (*p == ' ')
                        p++;
                p += strcspn(p, " ");
        }
        return (strtoull(p, NULL, 10) & LX_PF_EXITING) != 0;
}

nf_nodemask_t lx_home(const struct lx_status *st, const int *cpu_node, unsigned nr_cpus,
                      unsigned nr_nodes, const char **rule)
{
        nf_nodemask_t all =
            nr_nodes >= NF_MAX_NODES ? ~(nf_nodemask_t)0 : NF_NODE_BIT(nr_nodes) - 1;
        nf_nodemask_t cpu_nodes = 0;

        if ((st->mems & all) && (st->mems & all) != all) {
                *rule = "Mems_allowed";
                return st->mems & all;
        }
        for (unsigned c = 0; c < nr_cpus && c < LX_MAX_CPUS; c++)
                if ((st->cpus.bits[c / 64] >> (c % 64) & 1) && cpu_node[c] >= 0 &&
                    (unsigned)cpu_node[c] < nr_nodes)
                        cpu_nodes |= NF_NODE_BIT(cpu_node[c]);
        if (cpu_nodes && cpu_nodes != all) {
                *rule = "CPU affinity";
                return cpu_nodes;
        }
        *rule = "";
        return 0;
}
