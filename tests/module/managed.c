// Which accounts pam_jit.so governs: unmanaged accounts are ignored without
// a word to jitd; accounts named by user, uid range or group are checked.
#define _GNU_SOURCE
#include "pam_harness.h"

#define MISSING_GROUP "jit-test-no-such-group"

static const struct service_def services[] = {
    {"by-name", STACK_PROBE, "socket={sock} server_uid={uid} managed_users=deploy,ci"},
    {"rules-that-miss", STACK_PROBE,
     "socket={sock} server_uid={uid} managed_users=deploy managed_uids={other_uid} "
     "managed_groups=" MISSING_GROUP},
    {"by-uid", STACK_PROBE,
     "socket={sock} server_uid={uid} managed_uids={subject_uid}-{subject_uid}"},
    {"by-uid-list", STACK_PROBE,
     "socket={sock} server_uid={uid} managed_uids={other_uid},{subject_uid}"},
    {"by-group", STACK_PROBE,
     "socket={sock} server_uid={uid} managed_groups=" MISSING_GROUP ",{subject_group}"},
    {"names-root", STACK_PROBE,
     "socket={sock} server_uid={uid} managed_users=deploy,root managed_uids=0-0 "
     "managed_groups=root"},
    {"every-uid", STACK_PROBE, "socket={sock} server_uid={uid} managed_uids=0-4294967295"},
    {"production", STACK_REQUIRED_THEN_PERMIT,
     "socket={sock} server_uid={uid} managed_users=deploy"},
    {"alone", STACK_ALONE, "socket={sock} server_uid={uid} managed_users=deploy"},
};

// Ignored, and the server heard nothing: no accepted connection and none
// waiting.  (A module that had connected would have blocked on the answer,
// so a connection could not have slipped past both counts.)
static void assert_ignored_silently(const struct fake_server* s, struct call_result r) {
    assert_pam_rc(PAM_IGNORE, r.module_rc);
    assert_int_equal(server_connections(s), 0);
    assert_false(server_has_pending_connection(s));
}

// Allowed, after exactly one check naming this user.
static void assert_checked(const struct fake_server* s, struct call_result r, const char* user) {
    assert_pam_rc(PAM_SUCCESS, r.module_rc);
    assert_int_equal(server_requests(s), 1);
    assert_true(s->log->last.complete);
    assert_string_equal(s->log->last.user.text, user);
}

// ---- unmanaged ----
static void unmanaged_user_is_ignored_without_contact(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_ignored_silently(s, account("by-name", UNMANAGED_USER));
}

static void user_missed_by_every_rule_is_ignored_without_contact(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_ignored_silently(s, account("rules-that-miss", H.user));
}

// Names match whole list elements only.
static void name_prefix_or_extension_is_not_managed(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_ignored_silently(s, account("by-name", "deplo"));
    assert_ignored_silently(s, account("by-name", "deploy2"));
    assert_ignored_silently(s, account("by-name", "c"));
}

// Only uid and group rules need the account database; an account it does not
// know cannot be placed in a range or group, and cannot log in either.
static void unknown_account_under_uid_rules_is_ignored(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_ignored_silently(s, account("every-uid", "jit-test-no-such-user"));
}

// root is never managed, whatever the line names: jitd being down must not
// lock the superuser out.
static void root_is_never_managed(void** state) {
    struct fake_server* s = serve(state, reply_deny);
    assert_ignored_silently(s, account("names-root", "root"));
}

// ---- managed ----
static void managed_by_name_is_checked(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_checked(s, account("by-name", MANAGED_USER), MANAGED_USER);
}

static void managed_by_second_name_in_list_is_checked(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_checked(s, account("by-name", "ci"), "ci");
}

static void managed_by_uid_range_is_checked(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_checked(s, account("by-uid", H.subject), H.subject);
}

static void managed_by_uid_list_element_is_checked(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_checked(s, account("by-uid-list", H.subject), H.subject);
}

// Our primary group: getgrouplist() reports it, so it makes us a member.
static void managed_by_group_is_checked(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_checked(s, account("by-group", H.subject), H.subject);
}

static void managed_by_group_with_jitd_down_is_denied(void** state) {
    (void)state;
    assert_pam_rc(PAM_PERM_DENIED, account("by-group", H.subject).module_rc);
}

static void managed_by_uid_with_jitd_denying_is_denied(void** state) {
    struct fake_server* s = serve(state, reply_deny);
    assert_pam_rc(PAM_PERM_DENIED, account("by-uid", H.subject).module_rc);
    assert_int_equal(server_requests(s), 1);
}

// ---- the module in whole stacks ----
static void production_stack_lets_unmanaged_user_through(void** state) {
    struct fake_server* s = serve(state, reply_deny);
    assert_pam_rc(PAM_SUCCESS, account("production", UNMANAGED_USER).stack_rc);
    assert_int_equal(server_connections(s), 0);
}

static void production_stack_lets_granted_user_in(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_pam_rc(PAM_SUCCESS, account("production", MANAGED_USER).stack_rc);
    assert_int_equal(server_requests(s), 1);
}

static void production_stack_keeps_denied_user_out(void** state) {
    serve(state, reply_deny);
    assert_pam_rc(PAM_PERM_DENIED, account("production", MANAGED_USER).stack_rc);
}

static void production_stack_keeps_user_out_when_jitd_is_down(void** state) {
    (void)state;
    assert_pam_rc(PAM_PERM_DENIED, account("production", MANAGED_USER).stack_rc);
}

// libpam's rule, recorded for whoever writes the PAM stanzas: a stack in
// which every module ignores fails, so pam_jit.so must never be the only
// account module.
static void stack_of_pam_jit_alone_fails_for_unmanaged_user(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_pam_rc(PAM_PERM_DENIED, account("alone", UNMANAGED_USER).stack_rc);
    assert_int_equal(server_connections(s), 0);
}

// An application that sets no user and no conversation function: libpam's
// pam_get_user would call the NULL function; the module checks first and
// denies without asking or contacting jitd.
static void no_user_and_no_conversation_is_denied_without_a_crash(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    struct pam_conv conv = {NULL, NULL};
    pam_handle_t* pamh = NULL;
    assert_int_equal(pam_start("alone", NULL, &conv, &pamh), PAM_SUCCESS);
    int rc = pam_acct_mgmt(pamh, 0);
    pam_end(pamh, rc);
    assert_pam_rc(PAM_USER_UNKNOWN, rc);
    assert_int_equal(server_connections(s), 0);
}

int main(int argc, char** argv) {
    (void)argc;
    harness_boot(argv, services, COUNT_OF(services));
    const struct CMUnitTest tests[] = {
        JIT_TEST(unmanaged_user_is_ignored_without_contact),
        JIT_TEST(user_missed_by_every_rule_is_ignored_without_contact),
        JIT_TEST(name_prefix_or_extension_is_not_managed),
        JIT_TEST(unknown_account_under_uid_rules_is_ignored),
        JIT_TEST(root_is_never_managed),
        JIT_TEST(managed_by_name_is_checked),
        JIT_TEST(managed_by_second_name_in_list_is_checked),
        JIT_TEST(managed_by_uid_range_is_checked),
        JIT_TEST(managed_by_uid_list_element_is_checked),
        JIT_TEST(managed_by_group_is_checked),
        JIT_TEST(managed_by_group_with_jitd_down_is_denied),
        JIT_TEST(managed_by_uid_with_jitd_denying_is_denied),
        JIT_TEST(production_stack_lets_unmanaged_user_through),
        JIT_TEST(production_stack_lets_granted_user_in),
        JIT_TEST(production_stack_keeps_denied_user_out),
        JIT_TEST(production_stack_keeps_user_out_when_jitd_is_down),
        JIT_TEST(stack_of_pam_jit_alone_fails_for_unmanaged_user),
        JIT_TEST(no_user_and_no_conversation_is_denied_without_a_crash),
    };
    int failed = cmocka_run_group_tests_name("pam_jit managed accounts", tests, NULL, NULL);
    harness_finish();
    return failed;
}
