/* linux_guests: which processes are guests and what they are called, from /proc and cgroup text. */
#include "linux_guests.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The argument after p in a NUL-separated buffer, or NULL at its end. */
static const char *next_arg(const char *p, const char *end)
{
        p += strnlen(p, (size_t)(end - p)) + 1;
        return p < end ? p : NULL;
}

bool lx_cmdline_is_qemu(const char *cmdline, size_t len)
{
        const char *base;
        size_t n;

        if (!cmdline || len == 0)
                return false;
        n = strnlen(cmdline, len);
        base = memrchr(cmdline, '/', n);
        base = base ? base + 1 : cmdline;
        n -= (size_t)(base - cmdline);
        return (n > 12 && strncmp(base, "qemu-system-", 12) == 0) ||
               (n == 8 && strncmp(base, "qemu-kvm", 8) == 0);
}

/* QEMU's option syntax: "a=b,c=d", ",," is a literal comma, a first part without '='
 * stands for the option's implied key ("guest" for -name). Copies key's value. */
static int opt_value(const char *s, const char *key, char *out, size_t outlen)
{
        size_t klen = strlen(key);
        bool first = true;

        while (*s) {
                const char *eq = NULL;
                const char *q = s;
                /* Find the end of this part, skipping ",," */
                while (*q && !(*q == ',' && q[1] != ',')) {
                        if (*q == ',' && q[1] == ',')
                                q += 2;
                        else {
                                if (*q == '=' && !eq)
                                        eq = q;
                                q++;
                        }
                }
                const char *v = NULL;
                if (first && !eq)
                        v = s;
                else if (eq && (size_t)(eq - s) == klen && strncmp(s, key, klen) == 0)
                        v = eq + 1;
                if (v) {
                        size_t o = 0;
                        for (const char *r = v; r < q; r++) {
                                if (*r == ',' && r[1] == ',')
                                        r++;
                                if (o + 1 >= outlen)
                                        return -EINVAL;
                                out[o++] = *r;
                        }
                        out[o] = '\0';
                        return o ? 0 : -EINVAL;
                }
                first = false;
                s = *q ? q + 1 : q;
        }
        return -ENOENT;
}

int lx_cmdline_name(const char *cmdline, size_t len, char *name, size_t namelen)
{
        const char *end = cmdline + len;

        if (!cmdline || len == 0)
                return -ENOENT;
        for (const char *a = next_arg(cmdline, end); a; a = next_arg(a, end)) {
                if (strcmp(a, "-name") != 0 && strcmp(a, "--name") != 0)
                        continue;
                const char *v = next_arg(a, end);
                if (!v || !v[0])
                        return -EINVAL;
                return opt_value(v, "guest", name, namelen);
        }
        return -ENOENT;
}

/* Undoes systemd's unit-name escaping (\x2d for '-'); false when out is too small. */
static bool unescape(const char *s, size_t n, char *out, size_t outlen)
{
        size_t o = 0;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '\\' && i + 3 < n + 1 && s[i + 1] == 'x' &&
                    isxdigit((unsigned char)s[i + 2]) && isxdigit((unsigned char)s[i + 3])) {
                        char hex[3] = {s[i + 2], s[i + 3], 0};
                        c = (char)strtol(hex, NULL, 16);
                        i += 3;
                }
                if (o + 1 >= outlen)
                        return false;
                out[o++] = c;
        }
        out[o] = '\0';
        return o > 0;
}

int lx_cgroup_name(const char *cgroup, char *name, size_t namelen)
{
        static const char prefix[] = "machine-qemu\\x2d";
        const char *p = cgroup;

        while (p && (p = strstr(p, prefix))) {
                const char *id = p + sizeof(prefix) - 1;
                const char *q = id;
                while (isdigit((unsigned char)*q))
                        q++;
                const char *scope = strstr(q, ".scope");
                const char *eol = strchr(q, '\n');
                if (q > id && strncmp(q, "\\x2d", 4) == 0 && scope && (!eol || scope < eol) &&
                    unescape(q + 4, (size_t)(scope - q - 4), name, namelen))
                        return 0;
                p = id;
        }
        return -ENOENT;
}

void lx_cmdline_join(const char *cmdline, size_t len, char *out, size_t outlen)
{
        size_t o = 0;

        if (!outlen)
                return;
        for (size_t i = 0; i < len && o + 1 < outlen; i++)
                out[o++] = cmdline[i] ? cmdline[i] : ' ';
        while (o > 0 && out[o - 1] == ' ')
                o--;
        out[o] = '\0';
}

const char *lx_guest_name(const char *cmdline, size_t len, const char *cgroup, const char *comm,
                          uint32_t pid, char *name, size_t namelen)
{
        if (lx_cmdline_name(cmdline, len, name, namelen) == 0)
                return "-name";
        if (cgroup && lx_cgroup_name(cgroup, name, namelen) == 0)
                return "cgroup scope";
        snprintf(name, namelen, "%s-%u", comm && comm[0] ? comm : "pid", (unsigned)pid);
        return "process name";
}
