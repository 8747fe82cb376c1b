/* linux_proc: parsing of /proc/PID/status and stat and of kernel list strings, and home rules. */
#ifndef LINUX_PROC_H
#define LINUX_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numaflip/backend.h"

/* CPUs the backend tracks: enough for the hosts it serves; higher CPUs are ignored. */
#define LX_MAX_CPUS 1024
#define LX_CPU_WORDS (LX_MAX_CPUS / 64)

struct lx_cpuset {
        uint64_t bits[LX_CPU_WORDS];
};

/* What /proc/PID/status says about where a process may run and allocate. */
struct lx_status {
        nf_nodemask_t mems;    /* Mems_allowed_list */
        struct lx_cpuset cpus; /* Cpus_allowed_list */
        uint64_t rss_pages;    /* VmRSS, 0 for kernel threads */
        uint32_t uid;          /* real uid, first of Uid: */
        uint64_t cap_eff;      /* CapEff */
};

/* Parses a kernel list ("0-3,8,10-11") into bits[0..nwords): 0, or -EINVAL when it is not
 * one, -ERANGE when a number is at or above nwords * 64. */
int lx_parse_list(const char *s, uint64_t *bits, size_t nwords);

/* The value of "Field:" in a status text into out (leading blanks dropped, up to the end of
 * its line): 0, -ENOENT when absent, -ERANGE when out is too small. */
int lx_status_field(const char *text, const char *field, char *out, size_t outlen);

/* Fills st from a /proc/PID/status text: 0, or -EINVAL naming the bad field in err. */
int lx_parse_status(const char *text, struct lx_status *st, char *err, size_t errlen);

/* The start time (field 22, clock ticks since boot) of a /proc/PID/stat text, which with the
 * pid names one process for its whole life, and its state letter ('Z' for a zombie): 0 or
 * -EINVAL. comm and state may be NULL. */
int lx_parse_stat(const char *text, uint64_t *starttime, char *state, char *comm, size_t commlen);

/* Whether a /proc/PID/stat text's flags (field 9) say the process is exiting (PF_EXITING):
 * its address space is being torn down, so its pages vanish under a scan. */
bool lx_stat_exiting(const char *text);

/*
 * The backend's home rules, after the config's: the allowed memory nodes when they are not
 * all nodes; else the nodes of the CPUs it may run on when they are not all nodes; else
 * none (0), and the daemon takes the node holding most of its memory when first seen.
 * cpu_node[c] is the node of CPU c (negative: unknown). Returns home, and the rule in rule.
 */
nf_nodemask_t lx_home(const struct lx_status *st, const int *cpu_node, unsigned nr_cpus,
                      unsigned nr_nodes, const char **rule);

#define LX_CAP_SYS_PTRACE 19
#define LX_CAP_SYS_NICE 23

#endif
