/* Test-only LD_PRELOAD shim: while the file named by JIT_FAULT_FLAG exists,
 * fsync and fdatasync on a descriptor whose path contains JIT_FAULT_MATCH
 * (any path when unset) fail with EIO, as a dying disk would report.  Each
 * injected failure is counted in JIT_FAULT_FLAG.count.  Never installed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int faulty(int fd) {
    const char* flag = getenv("JIT_FAULT_FLAG");
    if (!flag || access(flag, F_OK) != 0) return 0;
    const char* match = getenv("JIT_FAULT_MATCH");
    if (match && *match) {
        char link[64], path[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        if (n < 0) return 0;
        path[n] = '\0';
        if (!strstr(path, match)) return 0;
    }
    char count[4096];
    snprintf(count, sizeof count, "%s.count", flag);
    int c = open(count, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (c >= 0) {
        (void)!write(c, "x", 1);
        close(c);
    }
    return 1;
}

__attribute__((visibility("default"))) int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (faulty(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

__attribute__((visibility("default"))) int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (faulty(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}
