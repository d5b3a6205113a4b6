// pam_jit.so with a broken PAM line: PAM_SERVICE_ERR for everyone, managed or
// not, and jitd is never asked.  A typo must not silently unmanage accounts.
#define _GNU_SOURCE
#include "pam_harness.h"

#define GOOD "socket={sock} server_uid={uid} timeout_ms=2000 "

static const struct service_def services[] = {
    {"valid", STACK_PROBE, GOOD "managed_users=deploy debug"},
    {"unknown-key", STACK_PROBE, GOOD "managed_users=deploy frobnicate=1"},
    {"debug-with-value", STACK_PROBE, GOOD "managed_users=deploy debug=1"},
    {"key-without-equals", STACK_PROBE, GOOD "managed_users=deploy socket"},
    {"timeout-not-a-number", STACK_PROBE,
     "socket={sock} server_uid={uid} timeout_ms=abc managed_users=deploy"},
    {"timeout-with-unit", STACK_PROBE,
     "socket={sock} server_uid={uid} timeout_ms=300ms managed_users=deploy"},
    {"timeout-too-small", STACK_PROBE,
     "socket={sock} server_uid={uid} timeout_ms=5 managed_users=deploy"},
    {"timeout-too-large", STACK_PROBE,
     "socket={sock} server_uid={uid} timeout_ms=60001 managed_users=deploy"},
    {"timeout-negative", STACK_PROBE,
     "socket={sock} server_uid={uid} timeout_ms=-300 managed_users=deploy"},
    {"socket-relative", STACK_PROBE,
     "socket=run/jit/jitd.sock server_uid={uid} managed_users=deploy"},
    {"socket-empty", STACK_PROBE, "socket= server_uid={uid} managed_users=deploy"},
    {"socket-twice", STACK_PROBE, GOOD "socket={sock} managed_users=deploy"},
    {"timeout-twice", STACK_PROBE, GOOD "timeout_ms=2000 managed_users=deploy"},
    {"server-uid-twice", STACK_PROBE, GOOD "server_uid={uid} managed_users=deploy"},
    {"managed-users-twice", STACK_PROBE, GOOD "managed_users=deploy managed_users=alice"},
    {"server-uid-negative", STACK_PROBE, "socket={sock} server_uid=-1 managed_users=deploy"},
    {"server-uid-too-large", STACK_PROBE,
     "socket={sock} server_uid=4294967296 managed_users=deploy"},
    {"no-managed-option", STACK_PROBE, GOOD "debug"},
    {"managed-users-empty", STACK_PROBE, GOOD "managed_users="},
    {"managed-users-empty-element", STACK_PROBE, GOOD "managed_users=deploy,,alice"},
    {"managed-users-trailing-comma", STACK_PROBE, GOOD "managed_users=deploy,"},
    {"managed-uids-reversed", STACK_PROBE, GOOD "managed_users=deploy managed_uids=10-5"},
    {"managed-uids-junk", STACK_PROBE, GOOD "managed_users=deploy managed_uids=1000-x"},
    {"managed-groups-empty", STACK_PROBE, GOOD "managed_users=deploy managed_groups="},
};

// The control: the same line without the fault works both ways.
static void valid_arguments_are_accepted(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_pam_rc(PAM_SUCCESS, account("valid", MANAGED_USER).module_rc);
    assert_pam_rc(PAM_IGNORE, account("valid", UNMANAGED_USER).module_rc);
    assert_int_equal(server_requests(s), 1);
}

// The managed user, an unmanaged user and our own account all get
// PAM_SERVICE_ERR, and a live, allowing server hears nothing.
static void expect_service_error(void** state, const char* service) {
    struct fake_server* s = serve(state, reply_allow);
    const char* users[] = {MANAGED_USER, UNMANAGED_USER, H.user};
    for (size_t i = 0; i < COUNT_OF(users); ++i) {
        struct call_result r = account(service, users[i]);
        if (r.module_rc != PAM_SERVICE_ERR)
            fail_msg("%s for %s: expected PAM_SERVICE_ERR, got %s (%d)", service, users[i],
                     pam_code_name(r.module_rc), r.module_rc);
    }
    assert_int_equal(server_connections(s), 0);
    assert_false(server_has_pending_connection(s));
}

#define BAD_ARGS_TEST(fn, service)            \
    static void fn(void** state) {            \
        expect_service_error(state, service); \
    }

BAD_ARGS_TEST(unknown_key_is_a_service_error, "unknown-key")
BAD_ARGS_TEST(debug_with_a_value_is_a_service_error, "debug-with-value")
BAD_ARGS_TEST(key_without_equals_is_a_service_error, "key-without-equals")
BAD_ARGS_TEST(timeout_not_a_number_is_a_service_error, "timeout-not-a-number")
BAD_ARGS_TEST(timeout_with_unit_is_a_service_error, "timeout-with-unit")
BAD_ARGS_TEST(timeout_below_10ms_is_a_service_error, "timeout-too-small")
BAD_ARGS_TEST(timeout_above_60s_is_a_service_error, "timeout-too-large")
BAD_ARGS_TEST(negative_timeout_is_a_service_error, "timeout-negative")
BAD_ARGS_TEST(relative_socket_is_a_service_error, "socket-relative")
BAD_ARGS_TEST(empty_socket_is_a_service_error, "socket-empty")
BAD_ARGS_TEST(duplicate_socket_is_a_service_error, "socket-twice")
BAD_ARGS_TEST(duplicate_timeout_is_a_service_error, "timeout-twice")
BAD_ARGS_TEST(duplicate_server_uid_is_a_service_error, "server-uid-twice")
BAD_ARGS_TEST(duplicate_managed_users_is_a_service_error, "managed-users-twice")
BAD_ARGS_TEST(negative_server_uid_is_a_service_error, "server-uid-negative")
BAD_ARGS_TEST(server_uid_beyond_32_bits_is_a_service_error, "server-uid-too-large")
BAD_ARGS_TEST(no_managed_option_is_a_service_error, "no-managed-option")
BAD_ARGS_TEST(empty_managed_users_is_a_service_error, "managed-users-empty")
BAD_ARGS_TEST(empty_list_element_is_a_service_error, "managed-users-empty-element")
BAD_ARGS_TEST(trailing_comma_is_a_service_error, "managed-users-trailing-comma")
BAD_ARGS_TEST(reversed_uid_range_is_a_service_error, "managed-uids-reversed")
BAD_ARGS_TEST(junk_in_uid_range_is_a_service_error, "managed-uids-junk")
BAD_ARGS_TEST(empty_managed_groups_is_a_service_error, "managed-groups-empty")

int main(int argc, char** argv) {
    (void)argc;
    harness_boot(argv, services, COUNT_OF(services));
    const struct CMUnitTest tests[] = {
        JIT_TEST(valid_arguments_are_accepted),
        JIT_TEST(unknown_key_is_a_service_error),
        JIT_TEST(debug_with_a_value_is_a_service_error),
        JIT_TEST(key_without_equals_is_a_service_error),
        JIT_TEST(timeout_not_a_number_is_a_service_error),
        JIT_TEST(timeout_with_unit_is_a_service_error),
        JIT_TEST(timeout_below_10ms_is_a_service_error),
        JIT_TEST(timeout_above_60s_is_a_service_error),
        JIT_TEST(negative_timeout_is_a_service_error),
        JIT_TEST(relative_socket_is_a_service_error),
        JIT_TEST(empty_socket_is_a_service_error),
        JIT_TEST(duplicate_socket_is_a_service_error),
        JIT_TEST(duplicate_timeout_is_a_service_error),
        JIT_TEST(duplicate_server_uid_is_a_service_error),
        JIT_TEST(duplicate_managed_users_is_a_service_error),
        JIT_TEST(negative_server_uid_is_a_service_error),
        JIT_TEST(server_uid_beyond_32_bits_is_a_service_error),
        JIT_TEST(no_managed_option_is_a_service_error),
        JIT_TEST(empty_managed_users_is_a_service_error),
        JIT_TEST(empty_list_element_is_a_service_error),
        JIT_TEST(trailing_comma_is_a_service_error),
        JIT_TEST(reversed_uid_range_is_a_service_error),
        JIT_TEST(junk_in_uid_range_is_a_service_error),
        JIT_TEST(empty_managed_groups_is_a_service_error),
    };
    int failed = cmocka_run_group_tests_name("pam_jit arguments", tests, NULL, NULL);
    harness_finish();
    return failed;
}
