// The properties the audit log's decoders must hold for ANY bytes.  Shared by
// the libFuzzer target (audit_fuzz.cc) and the corpus replay unit test.
//
// The input is read four ways:
//   - as an export (JSON lines) through parse_export_line and the streaming
//     verifier, with fixed keys (k0 = 32 x 0x11, signing seed = 32 x 0x22,
//     origin jitd/fuzz.example; the ok- seeds are logs made with them): every
//     refusal has a reason, every accepted line is written back byte for
//     byte, the verifier's counts stay within what it was fed;
//   - as a signed note: a note that opens has its text as a prefix;
//   - as a checkpoint body: one that parses is rewritten exactly when it has
//     no extension lines;
//   - as a verifier key and as an auditor key file: whatever parses, writes
//     back the same.
// Verdict.accepted: every line parsed and the log verified intact.
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

#include "daemon/audit/audit.h"
#include "daemon/audit/verify.h"

namespace jit::fuzz {

struct AuditVerdict {
    bool accepted = false;
    const char* violation = nullptr;
};

namespace detail {

inline const daemon::audit::SigningKey& fuzz_signer() {
    static const daemon::audit::SigningKey key = [] {
        daemon::audit::Hash seed;
        seed.fill(0x22);
        auto k =
            daemon::audit::SigningKey::from_seed("jitd/fuzz.example", daemon::audit::Secret(seed));
        if (!k) abort();
        return *k;
    }();
    return key;
}

inline daemon::audit::Secret fuzz_k0() {
    daemon::audit::Hash k;
    k.fill(0x11);
    return daemon::audit::Secret(k);
}

inline const char* check_line(std::string_view line) {
    namespace audit = daemon::audit;
    auto parsed = audit::parse_export_line(line);
    if (!parsed) return parsed.error().empty() ? "a line refused without a reason" : nullptr;
    switch (parsed->kind) {
        case audit::ExportLine::Kind::Record:
            if (audit::export_record(parsed->record) != line) return "a record does not round-trip";
            break;
        case audit::ExportLine::Kind::Checkpoint:
            if (audit::export_checkpoint(parsed->note) != line)
                return "a checkpoint line does not round-trip";
            break;
        case audit::ExportLine::Kind::Frontier: {
            if (audit::export_frontier(parsed->frontier) != line)
                return "a frontier line does not round-trip";
            auto back = audit::Frontier::decode(parsed->frontier.encode());
            if (!back || !(*back == parsed->frontier)) return "a frontier does not re-decode";
            break;
        }
        case audit::ExportLine::Kind::Missing:
            if (audit::export_missing(parsed->missing) != line)
                return "a missing-records line does not round-trip";
            if (parsed->missing.end <= parsed->missing.first) return "an empty missing range";
            break;
    }
    return nullptr;
}

inline const char* check_export(std::string_view text, bool& intact) {
    namespace audit = daemon::audit;
    audit::VerifyOptions o;
    o.k0 = fuzz_k0();
    auto vkey = audit::VerifierKey::parse(fuzz_signer().verifier_key());
    if (!vkey) return "the fuzz verifier key does not parse";
    o.checkpoint_key = *vkey;
    audit::StreamVerifier v(o);
    uint64_t fed = 0;
    bool all_parsed = true;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (const char* bad = check_line(line)) return bad;
        all_parsed = all_parsed && audit::parse_export_line(line).ok();
        ++fed;
        v.feed(line);
    }
    auto r = v.finish();
    if (r.lines != fed) return "the verifier miscounted lines";
    if (r.records > fed || r.checkpoints > fed) return "the verifier counted more than it read";
    if (r.problem && (r.problem->line > fed || r.problem->what.empty()))
        return "a problem without a reason or past the input";
    if (r.macs_checked > r.records) return "more MACs than records";
    intact = all_parsed && fed > 0 && r.intact();
    return nullptr;
}

inline const char* check_keys_and_notes(std::string_view text) {
    namespace audit = daemon::audit;
    auto vkey = audit::VerifierKey::parse(fuzz_signer().verifier_key());
    if (auto opened = audit::open_note(text, *vkey)) {
        if (!text.starts_with(opened->text)) return "an opened note's text is not its prefix";
    } else if (opened.error().empty()) {
        return "a note refused without a reason";
    }
    if (auto c = audit::parse_checkpoint_body(text)) {
        size_t lines = 0;
        for (char ch : text) lines += ch == '\n';
        if (lines == 3 && audit::checkpoint_body(*c) != text)
            return "a checkpoint body does not round-trip";
    }
    if (auto k = audit::VerifierKey::parse(text)) {
        if (k->name.empty()) return "a verifier key without a name";
    }
    if (auto a = audit::parse_auditor_key(text)) {
        auto again = audit::parse_auditor_key(audit::encode_auditor_key(*a));
        if (!again || again->origin != a->origin || again->k0.bytes() != a->k0.bytes() ||
            again->verifier_key != a->verifier_key)
            return "an auditor key does not round-trip";
    }
    return nullptr;
}

}  // namespace detail

inline AuditVerdict check_audit(const uint8_t* data, size_t size) {
    AuditVerdict v;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    v.violation = detail::check_export(text, v.accepted);
    if (!v.violation) v.violation = detail::check_keys_and_notes(text);
    return v;
}

}  // namespace jit::fuzz
