// jit-fleet: the only jit process with network access.  It mirrors the fleet
// grants and revocations that concern this host from etcd into the local
// jitd, and writes this host's requests, approvals and revocations.
#include <fcntl.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "daemon/config/ini_file.h"
#include "fleet/admin_socket.h"
#include "fleet/fleet.h"
#include "fleet/log.h"
#include "fleet/rbac.h"
#include "fleet/record.h"
#include "jit/unique_fd.h"

namespace jit::fleet {

namespace {

constexpr const char* kUsage =
    "Usage: jit-fleet [--config FILE] [--state-dir DIR] [--socket PATH] COMMAND\n"
    "  run                         mirror fleet grants and revocations into jitd\n"
    "  keygen FILE                 write a new Ed25519 host key; print its public key\n"
    "  pubkey                      print this host's public key (the trust file's key =)\n"
    "  request ACCOUNT --hosts SEL --service S[,S] --for D --reason TEXT [--as NAME]\n"
    "  approve REQUEST [--as NAME] approve; the approval that completes the count mints the grant\n"
    "  revoke GRANT [--reason TEXT] [--as NAME]\n"
    "  list [--pending]            every fleet record, verified; or the requests awaiting "
    "approval\n"
    "  (as root; --as names the person and is journaled.  People use jitctl --fleet.)\n"
    "  etcd-roles                  etcdctl arguments that set up the hosts' etcd roles\n";

std::string read_small_file(const std::string& path, bool* ok) {
    *ok = false;
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) return strerror(errno);
    auto text = daemon::read_ini_file(fd.get(), path);
    if (!text.ok()) return text.error().to_string();
    *ok = true;
    return *text;
}

int keygen(const std::string& path) {
    Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!key || !fd.valid())
        return fprintf(stderr, "jit-fleet: %s: %s\n", path.c_str(), strerror(errno)), 1;
    FILE* f = fdopen(fd.release(), "w");
    bool ok = f && PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (f && fflush(f) == 0 && fsync(fileno(f)) != 0) ok = false;
    if (f) fclose(f);
    auto pub = public_key_base64(key.get());
    if (!ok || !pub.ok()) return fprintf(stderr, "jit-fleet: cannot write %s\n", path.c_str()), 1;
    printf("%s\n", pub->c_str());
    return 0;
}

// The admin commands run here, as root (they read the host key), through
// the same admission as the admin socket: root acts for the host, and --as
// (root only) names the person, journaled.  jitctl --fleet is the way for
// people: jit-fleet(8).
int run_admin_cli(const Options& o, const FleetConfig& c, const std::string& op,
                  const std::vector<std::string>& args) {
    uid_t uid = getuid();
    auto admitted = admit(c, uid, "", op, args);
    if (!admitted.ok()) {
        fprintf(stderr, "jit-fleet: %s\n", admitted.error().message.c_str());
        return admitted.error().code == EINVAL ? 2 : 1;
    }
    if (!admitted->as_note.empty())
        log_event("fleet-admin-as", LOG_NOTICE,
                  admitted->as_note + " for " + op + " (command line); the record names " +
                      admitted->actor.name + ", vouched for by this host",
                  {{"JIT_FLEET_OP", op},
                   {"JIT_REQUESTER_UID", std::to_string(uid)},
                   {"JIT_FLEET_PERSON", admitted->actor.name}},
                  false);
    auto done = admitted->operation->run(o, c, admitted->actor, admitted->args);
    if (!done.ok()) {
        fprintf(stderr, "jit-fleet: %s\n", done.error().message.c_str());
        return done.error().code == EINVAL ? 2 : 1;
    }
    for (const auto& line : *done) printf("%s\n", line.c_str());
    return 0;
}

}  // namespace

// The etcd password is a secret like the host key: a regular file owned by
// root or by the user jit-fleet runs as, which nobody else may read or write.
static bool read_password(const std::string& path, std::string* out) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st {};
    std::string why;
    if (!fd.valid() || fstat(fd.get(), &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_uid != 0 && st.st_uid != geteuid())
        why = "must be owned by root or by the user jit-fleet runs as";
    else if (st.st_mode & (S_IRWXG | S_IRWXO))
        why = "must not be readable or writable by group or others (chmod 600)";
    if (!why.empty())
        return fprintf(stderr, "jit-fleet: password_file %s: %s\n", path.c_str(), why.c_str()),
               false;
    bool ok = false;
    std::string pw = read_small_file(path, &ok);
    if (!ok)
        return fprintf(stderr, "jit-fleet: password_file %s: %s\n", path.c_str(), pw.c_str()),
               false;
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    if (pw.empty() || pw.find('\n') != std::string::npos)
        return fprintf(stderr, "jit-fleet: password_file %s: expected one line, the password\n",
                       path.c_str()),
               false;
    *out = std::move(pw);
    return true;
}

bool load_config(Options& o, FleetConfig* out) {
    bool ok = false;
    std::string text = read_small_file(o.config_path, &ok);
    if (!ok)
        return fprintf(stderr, "jit-fleet: %s: %s\n", o.config_path.c_str(), text.c_str()), false;
    auto c = parse_fleet_config(text, o.config_path);
    if (!c.ok()) return fprintf(stderr, "jit-fleet: %s\n", c.error().message.c_str()), false;
    if (!c->password_file.empty() && !read_password(c->password_file, &o.password)) return false;
    if (!c->ca_file.empty() && access(c->ca_file.c_str(), R_OK) != 0)
        return fprintf(stderr, "jit-fleet: ca_file %s: %s\n", c->ca_file.c_str(), strerror(errno)),
               false;
    *out = std::move(*c);
    return true;
}

}  // namespace jit::fleet

int main(int argc, char** argv) {
    using namespace jit::fleet;
    Options o;
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        std::string flag = argv[i];
        if (flag == "--config")
            o.config_path = argv[i + 1];
        else if (flag == "--state-dir")
            o.state_dir = argv[i + 1];
        else if (flag == "--socket")
            o.socket_path = argv[i + 1];
        else
            return fprintf(stderr, "jit-fleet: unknown option %s\n%s", argv[i], kUsage), 2;
    }
    if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
        return fputs(kUsage, i >= argc ? stderr : stdout), i >= argc ? 2 : 0;
    std::string cmd = argv[i];
    std::vector<std::string> args(argv + i + 1, argv + argc);
    if (cmd == "keygen") return args.size() == 1 ? keygen(args[0]) : (fputs(kUsage, stderr), 2);
    FleetConfig c;
    if (!load_config(o, &c)) return 1;
    if (cmd == "pubkey") {
        auto key = load_private_key(c.key_path);
        auto pub = key.ok() ? public_key_base64(key->get())
                            : jit::Result<std::string, jit::Failure>(key.error());
        if (!pub.ok()) return fprintf(stderr, "jit-fleet: %s\n", pub.error().message.c_str()), 1;
        return printf("%s\n", pub->c_str()), 0;
    }
    if (cmd == "etcd-roles") {
        for (const auto& line : etcd_role_commands(c)) {
            std::string text;
            for (const auto& word : line) text += (text.empty() ? "" : " ") + word;
            printf("%s\n", text.c_str());
        }
        return 0;
    }
    if (cmd == "run") return run_daemon(o, c);
    if (cmd == "request" || cmd == "approve" || cmd == "revoke" || cmd == "list")
        return run_admin_cli(o, c, cmd, args);
    return fprintf(stderr, "jit-fleet: unknown command %s\n%s", cmd.c_str(), kUsage), 2;
}
