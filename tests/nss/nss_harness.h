// Shared helpers for the NSS module tests: the built libnss_jit.so.2 loaded
// with dlopen (every entry point looked up by name, as glibc does), snapshots
// written by jitd's own writer (build/tests/nss/mksnapshot), and buffers that
// end at an inaccessible page so any overrun crashes the test.
//
// Environment (set by tests/nss/run): JIT_NSS_MODULE, JIT_NSS_MKSNAPSHOT, TMPDIR.
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <setjmp.h>
#include <shadow.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

// Each test binary uses some of these helpers.
#define JIT_HELPER __attribute__((unused)) static

typedef enum nss_status (*getpwnam_fn)(const char*, struct passwd*, char*, size_t, int*);
typedef enum nss_status (*getpwuid_fn)(uid_t, struct passwd*, char*, size_t, int*);
typedef enum nss_status (*getpwent_fn)(struct passwd*, char*, size_t, int*);
typedef enum nss_status (*getgrnam_fn)(const char*, struct group*, char*, size_t, int*);
typedef enum nss_status (*getgrgid_fn)(gid_t, struct group*, char*, size_t, int*);
typedef enum nss_status (*getgrent_fn)(struct group*, char*, size_t, int*);
typedef enum nss_status (*getspnam_fn)(const char*, struct spwd*, char*, size_t, int*);
typedef enum nss_status (*getspent_fn)(struct spwd*, char*, size_t, int*);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*initgroups_fn)(const char*, gid_t, long int*, long int*, gid_t**,
                                         long int, int*);

struct nss_jit {
    void* handle;
    getpwnam_fn getpwnam_r;
    getpwuid_fn getpwuid_r;
    setent_fn setpwent;
    getpwent_fn getpwent_r;
    endent_fn endpwent;
    getgrnam_fn getgrnam_r;
    getgrgid_fn getgrgid_r;
    setent_fn setgrent;
    getgrent_fn getgrent_r;
    endent_fn endgrent;
    getspnam_fn getspnam_r;
    setent_fn setspent;
    getspent_fn getspent_r;
    endent_fn endspent;
    initgroups_fn initgroups_dyn;
};

static struct nss_jit nss;

JIT_HELPER void* must_sym(const char* name) {
    void* f = dlsym(nss.handle, name);
    if (!f) fail_msg("libnss_jit.so.2 does not export %s", name);
    return f;
}

JIT_HELPER void load_module(void) {
    if (nss.handle) return;
    const char* path = getenv("JIT_NSS_MODULE");
    if (!path) fail_msg("JIT_NSS_MODULE is not set (run through tests/nss/run)");
    nss.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!nss.handle) fail_msg("dlopen %s: %s", path, dlerror());
    nss.getpwnam_r = (getpwnam_fn)must_sym("_nss_jit_getpwnam_r");
    nss.getpwuid_r = (getpwuid_fn)must_sym("_nss_jit_getpwuid_r");
    nss.setpwent = (setent_fn)must_sym("_nss_jit_setpwent");
    nss.getpwent_r = (getpwent_fn)must_sym("_nss_jit_getpwent_r");
    nss.endpwent = (endent_fn)must_sym("_nss_jit_endpwent");
    nss.getgrnam_r = (getgrnam_fn)must_sym("_nss_jit_getgrnam_r");
    nss.getgrgid_r = (getgrgid_fn)must_sym("_nss_jit_getgrgid_r");
    nss.setgrent = (setent_fn)must_sym("_nss_jit_setgrent");
    nss.getgrent_r = (getgrent_fn)must_sym("_nss_jit_getgrent_r");
    nss.endgrent = (endent_fn)must_sym("_nss_jit_endgrent");
    nss.getspnam_r = (getspnam_fn)must_sym("_nss_jit_getspnam_r");
    nss.setspent = (setent_fn)must_sym("_nss_jit_setspent");
    nss.getspent_r = (getspent_fn)must_sym("_nss_jit_getspent_r");
    nss.endspent = (endent_fn)must_sym("_nss_jit_endspent");
    nss.initgroups_dyn = (initgroups_fn)must_sym("_nss_jit_initgroups_dyn");
}

static char snapshot_path[512];

// Points the module at $TMPDIR/NAME.snapshot (through its test override).
JIT_HELPER void use_snapshot(const char* name) {
    const char* dir = getenv("TMPDIR");
    snprintf(snapshot_path, sizeof snapshot_path, "%s/%s.snapshot", dir ? dir : "/tmp", name);
    setenv("JIT_NSS_SNAPSHOT", snapshot_path, 1);
}

// Writes the snapshot described by spec (see mksnapshot.cc) to the current path.
JIT_HELPER void make_snapshot(const char* spec) {
    const char* tool = getenv("JIT_NSS_MKSNAPSHOT");
    if (!tool) fail_msg("JIT_NSS_MKSNAPSHOT is not set (run through tests/nss/run)");
    int in[2];
    if (pipe(in) != 0) fail_msg("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        close(in[0]);
        close(in[1]);
        execl(tool, "mksnapshot", snapshot_path, (char*)NULL);
        _exit(127);
    }
    close(in[0]);
    size_t len = strlen(spec);
    if (write(in[1], spec, len) != (ssize_t)len) fail_msg("cannot feed mksnapshot");
    close(in[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail_msg("mksnapshot failed on:\n%s", spec);
}

// The superseded mark jitd writes into a snapshot file it has replaced
// (common/include/jit/snapshot.h: kStateOffset, kSuperseded: the one byte
// 'O' at offset 92).  A
// process that has the file mapped sees it and maps the path again.
#define SNAPSHOT_STATE_OFFSET 92

// Marks the regular file open for writing as fd superseded.
JIT_HELPER bool mark_fd_superseded(int fd) {
    struct stat st;
    return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
           pwrite(fd, "O", 1, SNAPSHOT_STATE_OFFSET) == 1;
}

JIT_HELPER bool mark_superseded(const char* path) {
    int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    bool ok = mark_fd_superseded(fd);
    if (fd >= 0) close(fd);
    return ok;
}

// Replaces the snapshot at path with these bytes as jitd does: a new file
// renamed over the old one, which is then marked superseded.  mark=false
// leaves the old file unmarked, as a writer that predates the mark would.
// Safe in any thread (it reports, never fails the test itself).
JIT_HELPER bool replace_file(const char* path, const unsigned char* data, size_t len, mode_t mode,
                             bool mark) {
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    bool ok = write(fd, data, len) == (ssize_t)len && fchmod(fd, mode) == 0;
    if (close(fd) != 0 || !ok) return false;
    int old = mark ? open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) : -1;
    ok = rename(tmp, path) == 0;
    if (old >= 0) {
        if (ok) mark_fd_superseded(old);
        close(old);
    }
    return ok;
}

JIT_HELPER void publish_bytes(const unsigned char* data, size_t len, mode_t mode) {
    if (!replace_file(snapshot_path, data, len, mode, true))
        fail_msg("cannot replace %s: %s", snapshot_path, strerror(errno));
}

// The whole of a file, malloc'd.
JIT_HELPER unsigned char* slurp(const char* path, size_t* len) {
    FILE* f = fopen(path, "rb");
    if (!f) fail_msg("%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char* data = malloc(*len ? *len : 1);
    if (fread(data, 1, *len, f) != *len) fail_msg("short read of %s", path);
    fclose(f);
    return data;
}

// Mappings of the snapshot file (or of files that were once at its path)
// in this process.
JIT_HELPER int count_snapshot_mappings(void) {
    FILE* f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    char line[1024];
    int n = 0;
    size_t len = strlen(snapshot_path);
    while (fgets(line, sizeof line, f)) {
        char* at = strstr(line, snapshot_path);
        if (at && (at[len] == '\n' || at[len] == ' ')) ++n;
    }
    fclose(f);
    return n;
}

// Takes the snapshot away as an administrator must: marked, then removed.
JIT_HELPER void withdraw_snapshot(void) {
    mark_superseded(snapshot_path);
    unlink(snapshot_path);
}

// A buffer of exactly len bytes whose end touches a PROT_NONE page: a write
// past it is a SIGSEGV, not silent corruption.
struct guarded {
    char* map;
    size_t map_len;
    char* buf;
};

JIT_HELPER struct guarded guarded_alloc(size_t len) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (len + page - 1) / page;
    if (data_pages == 0) data_pages = 1;
    struct guarded g;
    g.map_len = (data_pages + 1) * page;
    g.map =
        (char*)mmap(NULL, g.map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g.map == MAP_FAILED) fail_msg("mmap: %s", strerror(errno));
    if (mprotect(g.map + data_pages * page, page, PROT_NONE) != 0) fail_msg("mprotect");
    g.buf = g.map + data_pages * page - len;
    memset(g.map, 0x5a, data_pages * page);
    return g;
}

JIT_HELPER void guarded_free(struct guarded* g) {
    munmap(g->map, g->map_len);
}

JIT_HELPER int count_open_fds(void) {
    int n = 0;
    DIR* d = opendir("/proc/self/fd");
    if (!d) return -1;
    while (readdir(d)) ++n;
    closedir(d);
    return n;
}

JIT_HELPER const char* status_name(enum nss_status s) {
    switch (s) {
        case NSS_STATUS_SUCCESS:
            return "SUCCESS";
        case NSS_STATUS_NOTFOUND:
            return "NOTFOUND";
        case NSS_STATUS_UNAVAIL:
            return "UNAVAIL";
        case NSS_STATUS_TRYAGAIN:
            return "TRYAGAIN";
        case NSS_STATUS_RETURN:
            return "RETURN";
        default:
            return "?";
    }
}

#define assert_status(want, got)                                                          \
    do {                                                                                  \
        enum nss_status w_ = (want), g_ = (got);                                          \
        if (w_ != g_) fail_msg("status %s, wanted %s", status_name(g_), status_name(w_)); \
    } while (0)

JIT_HELPER int setup_module(void** state) {
    (void)state;
    load_module();
    return 0;
}
