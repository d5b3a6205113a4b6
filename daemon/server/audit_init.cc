#include "daemon/server/audit_init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/audit/audit.h"
#include "daemon/store/audit_store.h"
#include "daemon/trail/epoch_key.h"
#include "jit/unique_fd.h"

namespace jit::daemon {

namespace {

int fail(const std::string& message) {
    fprintf(stderr, "jitd: %s\n", message.c_str());
    return 1;
}

// O_EXCL: an existing key file (the key of another log, perhaps the only
// copy) is never overwritten.
Result<void> write_key_file(const std::string& path, const std::string& text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return make_error(errno, "cannot create the key file");
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            ::unlink(path.c_str());
            return make_error(e, "cannot write the key file");
        }
        done += size_t(n);
    }
    if (::fsync(fd.get()) != 0) {
        int e = errno;
        ::unlink(path.c_str());
        return make_error(e, "cannot sync the key file");
    }
    return success();
}

}  // namespace

int create_audit_log(Store& store, const std::string& state_dir, const std::string& keyfile) {
    AuditStore rows(store);
    auto existing = rows.state();
    if (!existing) return fail("cannot read the audit log: " + existing.error().message);
    if (*existing)
        return fail("jit.db already holds an audit log of " + std::to_string((*existing)->size) +
                    " records: it is never replaced (its verification key is the one made "
                    "when it was created)");
    struct utsname u;
    const std::string host = uname(&u) == 0 ? u.nodename : "localhost";
    auto init = audit::create_log("jitd/" + host);
    if (!init) return fail("cannot create the audit keys: " + init.error());
    // The key file first: a log whose k_0 was lost could never be verified.
    if (auto ok = write_key_file(keyfile, audit::encode_auditor_key(init->auditor)); !ok)
        return fail(keyfile + ": " + ok.error().what + ": " + strerror(ok.error().code));
    // k_0 in the epoch key file, where the first record's commit overwrites
    // it; jit.db holds the state without it (epoch_key.h).
    auto epoch_key = EpochKeyFile::open(state_dir);
    auto kept =
        epoch_key ? epoch_key->write(0, init->state.key) : Result<void, Failure>(epoch_key.error());
    if (!kept) {
        ::unlink(keyfile.c_str());
        return fail(kept.error().message);
    }
    audit::AppendState keyless = init->state;
    keyless.key = audit::Secret();
    const auto& seed = init->signer.seed().bytes();
    StoreTx tx(store);
    auto done = tx.begin();
    if (done)
        done = rows.create(tx, audit::encode_state(keyless), std::string(seed.begin(), seed.end()));
    if (done) done = tx.commit();
    if (!done) {
        ::unlink(keyfile.c_str());
        return fail("cannot store the audit log: " + done.error().message);
    }
    printf("audit log %s created\n", init->auditor.origin.c_str());
    printf("auditor key written to %s: copy it off this host, then remove it here\n",
           keyfile.c_str());
    printf("checkpoint verifier key: %s\n", init->signer.verifier_key().c_str());
    return 0;
}

}  // namespace jit::daemon
