/* linux_guests: which processes are guests and what they are called, from /proc and cgroup text. */
#ifndef LINUX_GUESTS_H
#define LINUX_GUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether a command line (NUL-separated, as /proc/PID/cmdline) runs QEMU: its program is
 * qemu-system-ARCH or qemu-kvm, under any directory. */
bool lx_cmdline_is_qemu(const char *cmdline, size_t len);

/*
 * The guest name of QEMU's -name option ("-name guest=NAME,debug-threads=on" as libvirt
 * writes it, or "-name NAME"; "--name" and ",," for a comma in the name too) into name:
 * 0, -ENOENT when the command line has none, -EINVAL when the option is empty or
 * truncated.
 */
int lx_cmdline_name(const char *cmdline, size_t len, char *name, size_t namelen);

/* The guest name in a /proc/PID/cgroup text from libvirt's scope
 * "machine-qemu\x2dN\x2dNAME.scope" (systemd's \xNN escapes undone): 0 or -ENOENT. */
int lx_cgroup_name(const char *cgroup, char *name, size_t namelen);

/* The command line joined with spaces into out (cut short when it does not fit). */
void lx_cmdline_join(const char *cmdline, size_t len, char *out, size_t outlen);

/* A process's guest name: from -name, else from the libvirt scope, else "COMM-PID". Returns
 * which ("-name", "cgroup scope", "process name"). cgroup may be NULL. */
const char *lx_guest_name(const char *cmdline, size_t len, const char *cgroup, const char *comm,
                          uint32_t pid, char *name, size_t namelen);

#endif
