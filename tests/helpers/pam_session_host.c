/* pam_session_host: runs a PAM session the way sshd and sudo do, for the
 * integration tests.  It becomes a session leader (like sshd's privileged
 * child), runs the account phase and opens the PAM session in its own
 * process, forks the command (optionally under another uid), waits for it,
 * then closes the session.  Killing this process ends the "login" the way
 * ending sshd's [priv] process does.
 *
 * Usage: pam_session_host [-n] [-k] [-r RUSER] [-t TTY] [-u UID] [-p PIDFILE]
 *                         SERVICE USER -- COMMAND [ARG...]
 *   -n  skip the account phase (a stack whose session phase runs alone)
 *   -k  run the command even when the session did not open, as sshd does
 *       (it only restricts forwarding)
 * Exit: the command's status; 2 when the account phase failed, 3 when the
 * session did not open, 4 on a usage or system error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int no_conversation(int n, const struct pam_message** msg, struct pam_response** resp,
                           void* data) {
    (void)n, (void)msg, (void)resp, (void)data;
    return PAM_CONV_ERR;
}

static int write_pidfile(const char* path, pid_t pid) {
    FILE* f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "%d\n", (int)pid);
    return fclose(f);
}

int main(int argc, char** argv) {
    const char *ruser = NULL, *tty = NULL, *pidfile = NULL;
    long uid = -1;
    int skip_account = 0, keep_going = 0, opened = 1, c;
    while ((c = getopt(argc, argv, "+nkr:t:u:p:")) != -1) {
        switch (c) {
            case 'n':
                skip_account = 1;
                break;
            case 'k':
                keep_going = 1;
                break;
            case 'r':
                ruser = optarg;
                break;
            case 't':
                tty = optarg;
                break;
            case 'u':
                uid = strtol(optarg, NULL, 10);
                break;
            case 'p':
                pidfile = optarg;
                break;
            default:
                return 4;
        }
    }
    if (argc - optind < 4 || strcmp(argv[optind + 2], "--") != 0) {
        fprintf(stderr,
                "usage: pam_session_host [-n] [-r RUSER] [-t TTY] [-u UID] [-p PIDFILE] "
                "SERVICE USER -- COMMAND [ARG...]\n");
        return 4;
    }
    const char* service = argv[optind];
    const char* user = argv[optind + 1];
    char** command = argv + optind + 3;
    setsid(); /* EPERM when already a leader (script -c "exec ..."): fine */

    struct pam_conv conv = {no_conversation, NULL};
    pam_handle_t* pamh = NULL;
    int rc = pam_start(service, user, &conv, &pamh);
    if (rc != PAM_SUCCESS) return 4;
    if (ruser) pam_set_item(pamh, PAM_RUSER, ruser);
    if (tty) pam_set_item(pamh, PAM_TTY, tty);
    if (!skip_account && (rc = pam_acct_mgmt(pamh, 0)) != PAM_SUCCESS) {
        fprintf(stderr, "pam_session_host: account: %s\n", pam_strerror(pamh, rc));
        pam_end(pamh, rc);
        return 2;
    }
    if ((rc = pam_open_session(pamh, 0)) != PAM_SUCCESS) {
        fprintf(stderr, "pam_session_host: open_session: %s\n", pam_strerror(pamh, rc));
        if (!keep_going) {
            pam_end(pamh, rc);
            return 3;
        }
        opened = 0;
    }
    pid_t child = fork();
    if (child < 0) return 4;
    if (child == 0) {
        /* The command is the user's, not a PAM application: no pam_wrapper. */
        unsetenv("LD_PRELOAD");
        unsetenv("PAM_WRAPPER");
        unsetenv("PAM_WRAPPER_SERVICE_DIR");
        if (uid >= 0 &&
            (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid((uid_t)uid) != 0)) {
            perror("pam_session_host: cannot drop to the uid");
            _exit(4);
        }
        execvp(command[0], command);
        perror("pam_session_host: exec");
        _exit(4);
    }
    if (pidfile && write_pidfile(pidfile, child) != 0) perror("pam_session_host: pidfile");
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    rc = opened ? pam_close_session(pamh, 0) : PAM_SUCCESS;
    if (rc != PAM_SUCCESS)
        fprintf(stderr, "pam_session_host: close_session: %s\n", pam_strerror(pamh, rc));
    pam_end(pamh, rc);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
