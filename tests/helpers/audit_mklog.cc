// Writes an audit log the way jitd's library makes one, for the offline
// tools' tests and the verify benchmark:
//   audit_mklog [--fuzz-keys] DIR N [EVERY]
// DIR/audit.key      the auditor's key file (jitd --audit-init's format)
// DIR/vkey           the checkpoint verifier key
// DIR/audit.jsonl    N records, a signed checkpoint every EVERY (default
//                    1000) records and one at the end
// DIR/first.note     the first checkpoint's signed note; DIR/last.note the last
// DIR/tail.jsonl     a segment: the tree state before record N/2, then the
//                    same lines as audit.jsonl from there (older ones pruned)
// --fuzz-keys uses the fixed keys of tests/fuzz/audit_check.h instead of
// fresh random ones, so the output is the same every time (the fuzz seeds).
#include <stdio.h>
#include <stdlib.h>

#include <optional>
#include <string>

#include "daemon/audit/audit.h"

namespace audit = jit::daemon::audit;

namespace {

class StepClock : public jit::daemon::Clock {
public:
    jit::daemon::Time now() const override { return t_++; }

private:
    mutable jit::daemon::Time t_ = 1'800'000'000;
};

bool write_file(const std::string& path, const std::string& text) {
    FILE* f = fopen(path.c_str(), "we");
    bool ok = f && fwrite(text.data(), 1, text.size(), f) == text.size();
    return (f ? fclose(f) == 0 : false) && ok;
}

}  // namespace

std::optional<audit::Init> fuzz_keys() {
    audit::Hash k0, seed;
    k0.fill(0x11);
    seed.fill(0x22);
    auto signer = audit::SigningKey::from_seed("jitd/fuzz.example", audit::Secret(seed));
    if (!signer) return std::nullopt;
    audit::AppendState state;
    state.origin = "jitd/fuzz.example";
    state.key = audit::Secret(k0);
    return audit::Init{
        {"jitd/fuzz.example", audit::Secret(k0), signer->verifier_key()}, state, *signer};
}

int main(int argc, char** argv) {
    bool fixed = argc > 1 && std::string(argv[1]) == "--fuzz-keys";
    argc -= fixed;
    argv += fixed;
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: audit_mklog [--fuzz-keys] DIR N [EVERY]\n");
        return 2;
    }
    std::string dir = argv[1];
    uint64_t n = strtoull(argv[2], nullptr, 10);
    uint64_t every = argc == 4 ? strtoull(argv[3], nullptr, 10) : 1000;
    std::optional<audit::Init> init;
    if (fixed) {
        init = fuzz_keys();
    } else if (auto fresh = audit::create_log("jitd/mklog.example")) {
        init = std::move(*fresh);
    }
    if (!init || every == 0) return 1;
    StepClock clock;
    audit::Log log(init->state, clock);
    FILE* out = fopen((dir + "/audit.jsonl").c_str(), "we");
    if (!out) return 1;
    FILE* tail = nullptr;
    std::string first, last;
    for (uint64_t i = 0; i < n; ++i) {
        if (i == n / 2) {
            tail = fopen((dir + "/tail.jsonl").c_str(), "we");
            if (!tail) return 1;
            fprintf(tail, "%s\n", audit::export_frontier(log.state().frontier).c_str());
        }
        audit::Batch b = log.begin();
        audit::Fields fields = {{"JIT_USER", "deploy" + std::to_string(i % 17)},
                                {"JIT_SERVICE", i % 3 ? "sshd" : "sudo"},
                                {"JIT_DECISION", i % 5 ? "allow" : "deny"},
                                {"JIT_GRANT", "g-" + std::to_string(i / 10)},
                                {"MESSAGE", "deploy" + std::to_string(i % 17) + " check answered"}};
        const audit::Record& r = log.add(b, "decision", std::move(fields));
        std::string line = audit::export_record(r);
        fprintf(out, "%s\n", line.c_str());
        if (tail) fprintf(tail, "%s\n", line.c_str());
        if (!log.commit(std::move(b))) return 1;
        if ((i + 1) % every == 0 || i + 1 == n) {
            last = audit::sign_checkpoint(log.checkpoint(), init->signer);
            if (first.empty()) first = last;
            fprintf(out, "%s\n", audit::export_checkpoint(last).c_str());
            if (tail) fprintf(tail, "%s\n", audit::export_checkpoint(last).c_str());
        }
    }
    if (fclose(out) != 0 || (tail && fclose(tail) != 0)) return 1;
    bool ok = write_file(dir + "/audit.key", audit::encode_auditor_key(init->auditor)) &&
              write_file(dir + "/vkey", init->signer.verifier_key() + "\n") &&
              write_file(dir + "/first.note", first) && write_file(dir + "/last.note", last);
    return ok ? 0 : 1;
}
