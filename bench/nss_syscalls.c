// For bench/run's strace: COUNT lookups of NAME through the module's entry
// point, nothing else.  Under `strace -c`, the system calls of COUNT = 1 and
// COUNT = 1,000,000 differ by what the lookups after the first cost.
//
// Usage: nss_syscalls MODULE NAME COUNT   (JIT_NSS_SNAPSHOT names the file)
#include <dlfcn.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>

typedef enum nss_status (*getpwnam_fn)(const char*, struct passwd*, char*, size_t, int*);

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: nss_syscalls MODULE NAME COUNT\n");
        return 2;
    }
    void* module = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    getpwnam_fn getpwnam_r = module ? (getpwnam_fn)dlsym(module, "_nss_jit_getpwnam_r") : NULL;
    if (!getpwnam_r) {
        fprintf(stderr, "nss_syscalls: cannot load %s\n", argv[1]);
        return 1;
    }
    long count = atol(argv[3]), found = 0;
    char buf[1024];
    struct passwd pw;
    for (long i = 0; i < count; ++i) {
        int err = 0;
        found += getpwnam_r(argv[2], &pw, buf, sizeof buf, &err) == NSS_STATUS_SUCCESS;
    }
    printf("%ld of %ld lookups found %s\n", found, count, argv[2]);
    return found == count ? 0 : 1;
}
