/* nf-flippool-perm: in a domU, asks for a flip-pool frame (XENMEMF_flip_pool), which only
 * the control domain may do; prints what the hypervisor answered. */
#define __XEN_TOOLS__ 1 /* the public headers' tools-side definitions */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/memory.h>
#include <xen/version.h>
#include <xen/sys/privcmd.h>

#include "numaflip/xen_abi.h"

int main(void)
{
        /* Far above the guest's memory: should the hypervisor wrongly populate it, the
         * guest does not use it. */
        xen_pfn_t gpfn = 1ul << 30;
        struct xen_memory_reservation r;
        int fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);

        if (fd < 0) {
                printf("nf-flippool-perm: cannot open /dev/xen/privcmd: %s\n", strerror(errno));
                return 2;
        }
        /* First a hypercall anyone may make: the EPERM looked for below must be the
         * hypervisor's, not the domU kernel's (Linux restricts privcmd in an
         * unprivileged domU to a target domain unless loaded with unrestricted=1). */
        privcmd_hypercall_t ver = {.op = __HYPERVISOR_xen_version, .arg = {XENVER_version, 0}};
        long v = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &ver);
        if (v < 0) {
                printf("nf-flippool-perm: hypercalls do not reach Xen: %s\n", strerror(errno));
                close(fd);
                return 2;
        }
        printf("nf-flippool-perm: hypercalls reach Xen %ld.%ld\n", v >> 16, v & 0xffff);
        memset(&r, 0, sizeof(r));
        set_xen_guest_handle(r.extent_start, &gpfn);
        r.nr_extents = 1;
        r.extent_order = 0;
        r.mem_flags = NF_XENMEMF_FLIP_POOL | XENMEMF_node(0);
        r.domid = DOMID_SELF;
        privcmd_hypercall_t call = {.op = __HYPERVISOR_memory_op,
                                    .arg = {XENMEM_populate_physmap, (__u64)(uintptr_t)&r}};
        long rc = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
        int e = rc < 0 ? errno : 0;
        close(fd);
        if (rc < 0)
                printf("nf-flippool-perm: refused: %s (%s)\n", e == EPERM ? "EPERM" : "other",
                       strerror(e));
        else
                printf("nf-flippool-perm: accepted: %ld extent(s) populated\n", rc);
        return 0;
}
