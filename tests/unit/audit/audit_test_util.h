// Helpers shared by the audit unit tests.
#pragma once

#include <string>
#include <vector>

#include "daemon/audit/audit.h"
#include "daemon/audit/crypto.h"

namespace jit::daemon::audit::test {

inline Hash H(const std::string& hex_text) {
    auto h = hash_from_hex(hex_text);
    return h ? *h : Hash{};
}

inline std::string bytes_of(const std::string& hex_text) {
    auto b = unhex(hex_text);
    return b ? *b : std::string("<bad hex>");
}

inline Secret secret_of(uint8_t fill) {
    Hash h;
    h.fill(fill);
    return Secret(h);
}

}  // namespace jit::daemon::audit::test

#include "daemon/audit/verify.h"
#include "tests/unit/fakes.h"

namespace jit::daemon::audit::test {

// A log as jitd writes it: records from a Log on a fake clock, committed in
// batches of `batch`, a signed checkpoint every `every` records and at the
// end; the export lines and the keys an auditor holds.
struct BuiltLog {
    AuditorKey auditor;
    std::string vkey;
    std::vector<std::string> lines;
    std::vector<Record> records;
    std::vector<std::string> notes;  // the signed checkpoints, in order
    std::optional<Secret> last_key;  // what jitd holds at the end: k_n
    SigningKey signer;
};

inline Fields fields_for(uint64_t i) {
    return {{"JIT_USER", "deploy" + std::to_string(i % 13)},
            {"JIT_SERVICE", i % 3 ? "sshd" : "sudo"},
            {"JIT_DECISION", i % 5 ? "allow" : "deny"},
            {"MESSAGE", "check " + std::to_string(i) + " \"quoted\"\ttab"}};
}

inline BuiltLog build_log(uint64_t n, uint64_t every = 100, uint64_t batch = 7) {
    auto init = create_log("jitd/test.example");
    if (!init) abort();
    testing::FakeClock clock(1'800'000'000);
    Log log(init->state, clock);
    std::vector<std::string> lines;
    std::vector<Record> records;
    std::vector<std::string> notes;
    for (uint64_t i = 0; i < n;) {
        Batch b = log.begin();
        for (uint64_t k = 0; k < batch && i < n; ++k, ++i) {
            const Record& r = log.add(b, i % 2 ? "decision" : "grant", fields_for(i));
            records.push_back(r);
            lines.push_back(export_record(r));
            clock.advance(1);
            if ((i + 1) % every == 0 || i + 1 == n) {
                // A checkpoint mid-batch covers the records the batch made.
                Checkpoint c{"jitd/test.example", b.state().frontier.size(),
                             b.state().frontier.root()};
                notes.push_back(sign_checkpoint(c, init->signer));
                lines.push_back(export_checkpoint(notes.back()));
            }
        }
        if (!log.commit(std::move(b))) abort();
    }
    return BuiltLog{
        init->auditor, init->signer.verifier_key(), lines, records, notes, log.state().key,
        init->signer};
}

inline VerifyOptions options_for(const BuiltLog& log) {
    VerifyOptions o;
    o.k0 = log.auditor.k0;
    auto v = VerifierKey::parse(log.vkey);
    if (!v) abort();
    o.checkpoint_key = *v;
    return o;
}

inline VerifyReport verify_lines(const std::vector<std::string>& lines, VerifyOptions o) {
    StreamVerifier v(std::move(o));
    for (const auto& l : lines)
        if (!v.feed(l)) break;
    return v.finish();
}

}  // namespace jit::daemon::audit::test
