// Every buffer-taking entry point called with buffers of 0 to 4096 bytes,
// each ending at an inaccessible page: below the size an entry needs the
// answer is TRYAGAIN with *errnop = ERANGE (glibc then retries larger), from
// that size on it is SUCCESS with the same content, and nothing is ever
// written past the buffer.
#include "nss_harness.h"

#define MAX_LEN 4096

static struct guarded guard;

static int setup_world(void** state) {
    setup_module(state);
    use_snapshot("buffers");
    static char spec[32768];
    size_t n = (size_t)snprintf(spec, sizeof spec,
                                "group jit-ops 62000\n"
                                "group jit-big 62001\n"
                                "account deploy 61000 62100 always gecos=Deploy_Bot "
                                "home=/srv/deploy shell=/bin/bash groups=jit-ops\n");
    // 300 members of 24-byte names: a group entry larger than 4096 bytes.
    for (int i = 0; i < 300; ++i)
        n += (size_t)snprintf(spec + n, sizeof spec - n,
                              "grant member_with_long_name_%03d -60 +3600 groups=jit-big\n", i);
    make_snapshot(spec);
    guard = guarded_alloc(MAX_LEN);
    return 0;
}

static int teardown_world(void** state) {
    (void)state;
    guarded_free(&guard);
    return 0;
}

// A buffer of exactly len bytes that ends where the guard page begins.
static char* buffer_of(size_t len) {
    char* end = guard.buf + MAX_LEN;
    return end - len;
}

typedef enum nss_status (*call_fn)(char* buf, size_t len, int* err, char* summary, size_t cap);

// Sweeps len over 0..MAX_LEN.  Returns the smallest len that succeeded, or
// 0 when none did.
static size_t sweep(const char* what, call_fn call) {
    char reference[1024] = "", summary[1024];
    size_t first_ok = 0;
    for (size_t len = 0; len <= MAX_LEN; ++len) {
        int err = 0;
        summary[0] = '\0';
        enum nss_status s = call(len ? buffer_of(len) : NULL, len, &err, summary, sizeof summary);
        if (s == NSS_STATUS_SUCCESS) {
            if (!first_ok) {
                first_ok = len;
                snprintf(reference, sizeof reference, "%s", summary);
            } else if (strcmp(reference, summary) != 0) {
                fail_msg("%s: len %zu gave '%s', len %zu gave '%s'", what, first_ok, reference, len,
                         summary);
            }
        } else if (s == NSS_STATUS_TRYAGAIN && err == ERANGE) {
            if (first_ok)
                fail_msg("%s: ERANGE at len %zu after success at %zu", what, len, first_ok);
        } else {
            fail_msg("%s: len %zu: status %s errno %d", what, len, status_name(s), err);
        }
    }
    return first_ok;
}

static enum nss_status pwnam(char* b, size_t l, int* e, char* out, size_t cap) {
    struct passwd pw;
    enum nss_status s = nss.getpwnam_r("deploy", &pw, b, l, e);
    if (s == NSS_STATUS_SUCCESS)
        snprintf(out, cap, "%s:%s:%u:%u:%s:%s:%s", pw.pw_name, pw.pw_passwd, pw.pw_uid, pw.pw_gid,
                 pw.pw_gecos, pw.pw_dir, pw.pw_shell);
    return s;
}
static enum nss_status pwuid(char* b, size_t l, int* e, char* out, size_t cap) {
    struct passwd pw;
    enum nss_status s = nss.getpwuid_r(61000, &pw, b, l, e);
    if (s == NSS_STATUS_SUCCESS) snprintf(out, cap, "%s:%s", pw.pw_name, pw.pw_shell);
    return s;
}
static enum nss_status pwent(char* b, size_t l, int* e, char* out, size_t cap) {
    struct passwd pw;
    nss.setpwent(0);
    enum nss_status s = nss.getpwent_r(&pw, b, l, e);
    if (s == NSS_STATUS_SUCCESS) snprintf(out, cap, "%s:%s", pw.pw_name, pw.pw_dir);
    return s;
}
static void group_summary(const struct group* gr, char* out, size_t cap) {
    size_t n = (size_t)snprintf(out, cap, "%s:%u:", gr->gr_name, gr->gr_gid);
    size_t members = 0;
    for (char** m = gr->gr_mem; *m; ++m) ++members;
    snprintf(out + n, cap - n, "%zu:%s", members, members ? gr->gr_mem[members - 1] : "-");
}
static enum nss_status grnam(char* b, size_t l, int* e, char* out, size_t cap) {
    struct group gr;
    enum nss_status s = nss.getgrnam_r("jit-ops", &gr, b, l, e);
    if (s == NSS_STATUS_SUCCESS) group_summary(&gr, out, cap);
    return s;
}
static enum nss_status grgid(char* b, size_t l, int* e, char* out, size_t cap) {
    struct group gr;
    enum nss_status s = nss.getgrgid_r(62100, &gr, b, l, e);
    if (s == NSS_STATUS_SUCCESS) group_summary(&gr, out, cap);
    return s;
}
static enum nss_status grent(char* b, size_t l, int* e, char* out, size_t cap) {
    struct group gr;
    nss.setgrent(0);
    enum nss_status s = nss.getgrent_r(&gr, b, l, e);
    if (s == NSS_STATUS_SUCCESS) group_summary(&gr, out, cap);
    return s;
}
static enum nss_status big_group(char* b, size_t l, int* e, char* out, size_t cap) {
    struct group gr;
    enum nss_status s = nss.getgrnam_r("jit-big", &gr, b, l, e);
    if (s == NSS_STATUS_SUCCESS) group_summary(&gr, out, cap);
    return s;
}
static enum nss_status spnam(char* b, size_t l, int* e, char* out, size_t cap) {
    struct spwd sp;
    enum nss_status s = nss.getspnam_r("deploy", &sp, b, l, e);
    if (s == NSS_STATUS_SUCCESS) snprintf(out, cap, "%s:%s", sp.sp_namp, sp.sp_pwdp);
    return s;
}
static enum nss_status spent(char* b, size_t l, int* e, char* out, size_t cap) {
    struct spwd sp;
    nss.setspent(0);
    enum nss_status s = nss.getspent_r(&sp, b, l, e);
    if (s == NSS_STATUS_SUCCESS) snprintf(out, cap, "%s:%s", sp.sp_namp, sp.sp_pwdp);
    return s;
}

// "deploy\0x\0Deploy_Bot\0/srv/deploy\0/bin/bash\0" is 42 bytes.
static void getpwnam_r_sweep(void** s) {
    (void)s;
    assert_int_equal(sweep("getpwnam_r", pwnam), 42);
}
static void getpwuid_r_sweep(void** s) {
    (void)s;
    assert_int_equal(sweep("getpwuid_r", pwuid), 42);
}
static void getpwent_r_sweep(void** s) {
    (void)s;
    assert_int_equal(sweep("getpwent_r", pwent), 42);
}
// gr_mem needs two aligned pointers, then "jit-ops\0x\0deploy\0".
static void getgrnam_r_sweep(void** s) {
    (void)s;
    size_t ok = sweep("getgrnam_r", grnam);
    assert_in_range(ok, 2 * sizeof(char*) + 17, 2 * sizeof(char*) + 17 + sizeof(char*) - 1);
}
static void getgrgid_r_sweep(void** s) {
    (void)s;
    assert_true(sweep("getgrgid_r", grgid) > 0);
}
static void getgrent_r_sweep(void** s) {
    (void)s;
    assert_true(sweep("getgrent_r", grent) > 0);
}
static void getspnam_r_sweep(void** s) {
    (void)s;
    assert_int_equal(sweep("getspnam_r", spnam), 10);
}
static void getspent_r_sweep(void** s) {
    (void)s;
    assert_int_equal(sweep("getspent_r", spent), 10);
}

// Larger than every buffer of the sweep: ERANGE all the way, then whole.
static void a_group_larger_than_4096_bytes(void** s) {
    (void)s;
    assert_int_equal(sweep("getgrnam_r jit-big", big_group), 0);
    static char large[65536];
    struct group gr;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getgrnam_r("jit-big", &gr, large, sizeof large, &err));
    size_t members = 0;
    for (char** m = gr.gr_mem; *m; ++m) ++members;
    assert_int_equal(members, 300);
    assert_string_equal(gr.gr_mem[299], "member_with_long_name_299");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(getpwnam_r_sweep),
        cmocka_unit_test(getpwuid_r_sweep),
        cmocka_unit_test(getpwent_r_sweep),
        cmocka_unit_test(getgrnam_r_sweep),
        cmocka_unit_test(getgrgid_r_sweep),
        cmocka_unit_test(getgrent_r_sweep),
        cmocka_unit_test(getspnam_r_sweep),
        cmocka_unit_test(getspent_r_sweep),
        cmocka_unit_test(a_group_larger_than_4096_bytes),
    };
    return cmocka_run_group_tests(tests, setup_world, teardown_world);
}
