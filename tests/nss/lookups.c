// Every entry point of libnss_jit.so.2 through its C ABI, against a snapshot
// written by jitd's writer: what is visible now is served, what is not is
// NOTFOUND, and the fields are the ones jitd wrote.
#include "nss_harness.h"

static const char* kWorld =
    "group jit-sudo 62000\n"
    "group jit-deploy 62001\n"
    "account always1 61000 62100 always gecos=Always_One groups=jit-deploy\n"
    "account granted1 61001 62101 granted home=/srv/granted1 shell=/bin/bash\n"
    "account later 61002 62102 granted\n"
    "account expired 61003 62103 granted\n"
    "grant granted1 -60 +3600 groups=jit-sudo\n"
    "grant later +3600 +7200\n"
    "grant expired -7200 -60\n"
    "grant alice -60 +3600 groups=jit-sudo\n"
    "grant bob +3600 +7200 groups=jit-sudo\n";

static int setup_world(void** state) {
    setup_module(state);
    use_snapshot("lookups");
    make_snapshot(kWorld);
    return 0;
}

static char buf[4096];

static void passwd_by_name_serves_visible_accounts(void** state) {
    (void)state;
    struct passwd pw;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getpwnam_r("always1", &pw, buf, sizeof buf, &err));
    assert_string_equal(pw.pw_name, "always1");
    assert_string_equal(pw.pw_passwd, "x");
    assert_int_equal(pw.pw_uid, 61000);
    assert_int_equal(pw.pw_gid, 62100);
    assert_string_equal(pw.pw_gecos, "Always_One");
    assert_string_equal(pw.pw_dir, "/home/always1");
    assert_string_equal(pw.pw_shell, "/bin/sh");

    assert_status(NSS_STATUS_SUCCESS, nss.getpwnam_r("granted1", &pw, buf, sizeof buf, &err));
    assert_int_equal(pw.pw_uid, 61001);
    assert_string_equal(pw.pw_dir, "/srv/granted1");
    assert_string_equal(pw.pw_shell, "/bin/bash");
}

static void passwd_hides_accounts_outside_their_windows(void** state) {
    (void)state;
    struct passwd pw;
    int err = 0;
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwnam_r("later", &pw, buf, sizeof buf, &err));
    assert_int_equal(err, ENOENT);
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwnam_r("expired", &pw, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwnam_r("nosuch", &pw, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwnam_r("", &pw, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwnam_r(NULL, &pw, buf, sizeof buf, &err));
}

static void passwd_by_uid(void** state) {
    (void)state;
    struct passwd pw;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getpwuid_r(61001, &pw, buf, sizeof buf, &err));
    assert_string_equal(pw.pw_name, "granted1");
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwuid_r(61002, &pw, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwuid_r(0, &pw, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwuid_r(65534, &pw, buf, sizeof buf, &err));
}

static void jit_group_lists_members_whose_grants_cover_now(void** state) {
    (void)state;
    struct group gr;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getgrnam_r("jit-sudo", &gr, buf, sizeof buf, &err));
    assert_string_equal(gr.gr_name, "jit-sudo");
    assert_int_equal(gr.gr_gid, 62000);
    // alice is not a jit account: a grant can put any account in a jit group.
    assert_non_null(gr.gr_mem[0]);
    assert_string_equal(gr.gr_mem[0], "alice");
    assert_non_null(gr.gr_mem[1]);
    assert_string_equal(gr.gr_mem[1], "granted1");
    assert_null(gr.gr_mem[2]);  // bob's grant has not started

    assert_status(NSS_STATUS_SUCCESS, nss.getgrgid_r(62001, &gr, buf, sizeof buf, &err));
    assert_string_equal(gr.gr_name, "jit-deploy");
    assert_string_equal(gr.gr_mem[0], "always1");  // standing membership
    assert_null(gr.gr_mem[1]);
}

static void private_groups_follow_their_accounts(void** state) {
    (void)state;
    struct group gr;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getgrnam_r("granted1", &gr, buf, sizeof buf, &err));
    assert_int_equal(gr.gr_gid, 62101);
    assert_null(gr.gr_mem[0]);
    assert_status(NSS_STATUS_NOTFOUND, nss.getgrnam_r("later", &gr, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_NOTFOUND, nss.getgrgid_r(62102, &gr, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_NOTFOUND, nss.getgrnam_r("nosuch", &gr, buf, sizeof buf, &err));
}

static void shadow_is_always_locked(void** state) {
    (void)state;
    struct spwd sp;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getspnam_r("granted1", &sp, buf, sizeof buf, &err));
    assert_string_equal(sp.sp_namp, "granted1");
    assert_string_equal(sp.sp_pwdp, "!*");
    assert_int_equal(sp.sp_lstchg, -1);
    assert_int_equal(sp.sp_expire, -1);
    assert_status(NSS_STATUS_NOTFOUND, nss.getspnam_r("later", &sp, buf, sizeof buf, &err));
}

static void initgroups_adds_active_jit_groups(void** state) {
    (void)state;
    long int start = 1, size = 4;
    gid_t* groups = malloc(sizeof(gid_t) * 4);
    groups[0] = 62101;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS,
                  nss.initgroups_dyn("granted1", 62101, &start, &size, &groups, 0, &err));
    assert_int_equal(start, 2);
    assert_int_equal(groups[1], 62000);

    // A non-jit account in a jit group by grant.
    start = 0;
    assert_status(NSS_STATUS_SUCCESS,
                  nss.initgroups_dyn("alice", 1000, &start, &size, &groups, 0, &err));
    assert_int_equal(start, 1);
    assert_int_equal(groups[0], 62000);
    // Already listed: not added twice.
    assert_status(NSS_STATUS_SUCCESS,
                  nss.initgroups_dyn("alice", 1000, &start, &size, &groups, 0, &err));
    assert_int_equal(start, 1);
    // Not yet in force, and unknown.
    start = 0;
    assert_status(NSS_STATUS_NOTFOUND,
                  nss.initgroups_dyn("bob", 1000, &start, &size, &groups, 0, &err));
    assert_status(NSS_STATUS_NOTFOUND,
                  nss.initgroups_dyn("nosuch", 1000, &start, &size, &groups, 0, &err));
    assert_int_equal(start, 0);
    // The skipped group (the primary) is never added.
    assert_status(NSS_STATUS_SUCCESS,
                  nss.initgroups_dyn("always1", 62001, &start, &size, &groups, 0, &err));
    assert_int_equal(start, 0);
    free(groups);
}

static void initgroups_grows_the_array_and_respects_the_limit(void** state) {
    (void)state;
    long int start = 0, size = 0;
    gid_t* groups = NULL;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS,
                  nss.initgroups_dyn("always1", 62100, &start, &size, &groups, 0, &err));
    assert_int_equal(start, 1);
    assert_true(size >= 1);
    assert_int_equal(groups[0], 62001);
    free(groups);

    start = 1, size = 1;
    groups = malloc(sizeof(gid_t));
    groups[0] = 5;
    assert_status(NSS_STATUS_SUCCESS,
                  nss.initgroups_dyn("always1", 62100, &start, &size, &groups, 1, &err));
    assert_int_equal(start, 1);  // at the limit: nothing added, nothing overrun
    assert_int_equal(size, 1);
    free(groups);
}

static void enumeration_lists_exactly_the_visible(void** state) {
    (void)state;
    const char* want_pw[] = {"always1", "granted1"};
    const char* want_gr[] = {"always1", "granted1", "jit-deploy", "jit-sudo"};
    struct passwd pw;
    struct group gr;
    struct spwd sp;
    int err = 0;
    nss.setpwent(0);
    for (size_t i = 0; i < 2; ++i) {
        assert_status(NSS_STATUS_SUCCESS, nss.getpwent_r(&pw, buf, sizeof buf, &err));
        assert_string_equal(pw.pw_name, want_pw[i]);
    }
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwent_r(&pw, buf, sizeof buf, &err));
    nss.endpwent();

    nss.setgrent(0);
    for (size_t i = 0; i < 4; ++i) {
        assert_status(NSS_STATUS_SUCCESS, nss.getgrent_r(&gr, buf, sizeof buf, &err));
        assert_string_equal(gr.gr_name, want_gr[i]);
    }
    assert_status(NSS_STATUS_NOTFOUND, nss.getgrent_r(&gr, buf, sizeof buf, &err));
    nss.endgrent();

    nss.setspent(0);
    for (size_t i = 0; i < 2; ++i) {
        assert_status(NSS_STATUS_SUCCESS, nss.getspent_r(&sp, buf, sizeof buf, &err));
        assert_string_equal(sp.sp_namp, want_pw[i]);
    }
    assert_status(NSS_STATUS_NOTFOUND, nss.getspent_r(&sp, buf, sizeof buf, &err));
    nss.endspent();
}

static void enumeration_offers_an_entry_again_after_erange(void** state) {
    (void)state;
    struct passwd pw;
    int err = 0;
    char small[8];
    nss.setpwent(0);
    assert_status(NSS_STATUS_TRYAGAIN, nss.getpwent_r(&pw, small, sizeof small, &err));
    assert_int_equal(err, ERANGE);
    assert_status(NSS_STATUS_SUCCESS, nss.getpwent_r(&pw, buf, sizeof buf, &err));
    assert_string_equal(pw.pw_name, "always1");
    nss.setpwent(0);  // and setpwent starts over
    assert_status(NSS_STATUS_SUCCESS, nss.getpwent_r(&pw, buf, sizeof buf, &err));
    assert_string_equal(pw.pw_name, "always1");
    nss.endpwent();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(passwd_by_name_serves_visible_accounts),
        cmocka_unit_test(passwd_hides_accounts_outside_their_windows),
        cmocka_unit_test(passwd_by_uid),
        cmocka_unit_test(jit_group_lists_members_whose_grants_cover_now),
        cmocka_unit_test(private_groups_follow_their_accounts),
        cmocka_unit_test(shadow_is_always_locked),
        cmocka_unit_test(initgroups_adds_active_jit_groups),
        cmocka_unit_test(initgroups_grows_the_array_and_respects_the_limit),
        cmocka_unit_test(enumeration_lists_exactly_the_visible),
        cmocka_unit_test(enumeration_offers_an_entry_again_after_erange),
    };
    return cmocka_run_group_tests(tests, setup_world, NULL);
}
