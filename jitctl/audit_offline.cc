// jitctl audit verify | prove | consistency: offline, over an export or
// sealed segment files, with the keys an auditor holds.  Nothing here talks
// to jitd.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <functional>

#include "audit_commands.h"
#include "audit_input.h"
#include "cli.h"
#include "daemon/audit/crypto.h"
#include "daemon/audit/verify.h"
#include "jit/escape.h"
#include "json.h"

namespace jit::ctl {

namespace audit = daemon::audit;

namespace {

constexpr int kExitBad = 1;  // not intact / the proof does not hold

std::string hex(const audit::Hash& h) {
    return audit::hex(audit::view(h));
}

bool parse_seq(const char* text, uint64_t& out) {
    if (!text || !*text || *text == '-' || *text == '+') return false;
    char* end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end) return false;
    out = v;
    return true;
}

// --key KEYFILE or --vkey VKEY: the checkpoint verifier key.
std::optional<audit::VerifierKey> verifier_from(const char* keyfile, const char* vkey) {
    std::string text;
    if (keyfile) {
        auto key = read_auditor_key(keyfile);
        if (!key) return std::nullopt;
        text = key->verifier_key;
    } else {
        text = vkey;
    }
    auto v = audit::VerifierKey::parse(text);
    if (!v) {
        fprintf(stderr, "jitctl: %s\n", escape_text(v.error()).c_str());
        return std::nullopt;
    }
    return *v;
}

void print_verify_json(const audit::VerifyReport& r, const AuditInput& in) {
    JsonWriter w;
    w.begin_object().key("intact").value(r.intact());
    w.key("records").value(r.records).key("macs_checked").value(r.macs_checked);
    w.key("checkpoints").value(r.checkpoints).key("next_seq").value(r.next_seq);
    if (r.first_seq) w.key("first_seq").value(*r.first_seq);
    if (r.tree_known) w.key("root").value(hex(r.root));
    if (r.last_checkpoint) w.key("last_checkpoint_size").value(r.last_checkpoint->size);
    w.key("after_last_checkpoint").value(r.after_checkpoint);
    w.key("anchors_checked").value(r.anchors_checked);
    if (r.problem) {
        w.key("problem").begin_object().key("where").value(
            r.problem->line ? in.where(r.problem->line) : std::string("end"));
        if (r.problem->seq) w.key("seq").value(*r.problem->seq);
        w.key("what").value(r.problem->what).end_object();
    }
    w.key("missing").begin_array();
    for (const auto& m : r.missing)
        w.begin_object()
            .key("first")
            .value(m.first)
            .key("end")
            .value(m.end)
            .key("segment")
            .value(m.segment)
            .end_object();
    w.end_array();
    w.key("notes").begin_array();
    for (const auto& n : r.notes) w.value(n);
    w.end_array().end_object();
    printf("%s\n", w.str().c_str());
}

// The first bad record, then the other missing ranges (the first is the
// problem itself) and, when records are missing, the notes on them.
void print_verify_problem(const audit::VerifyReport& r, const AuditInput& in) {
    std::string record =
        r.problem->seq ? "record " + std::to_string(*r.problem->seq) + ": " : std::string();
    std::string where =
        r.problem->line ? in.where(r.problem->line) : std::string("the end of the input");
    printf("audit log NOT intact: first bad record at %s: %s%s\n", where.c_str(), record.c_str(),
           escape_text(r.problem->what).c_str());
    for (size_t i = 1; i < r.missing.size(); ++i)
        printf("missing too: records %llu..%llu (%s)\n", (unsigned long long)r.missing[i].first,
               (unsigned long long)(r.missing[i].end - 1),
               escape_text(r.missing[i].segment).c_str());
    if (!r.missing.empty())
        for (const auto& n : r.notes) printf("note: %s\n", escape_text(n).c_str());
}

void print_verify_intact(const audit::VerifyReport& r) {
    if (r.records == 0)
        printf("audit log intact: no records\n");
    else
        printf("audit log intact: records %llu..%llu (%llu MACs checked), %llu checkpoint(s)\n",
               (unsigned long long)*r.first_seq, (unsigned long long)(r.next_seq - 1),
               (unsigned long long)r.macs_checked, (unsigned long long)r.checkpoints);
    if (r.tree_known)
        printf("tree size %llu, root %s\n", (unsigned long long)r.next_seq, hex(r.root).c_str());
    if (r.anchors_checked)
        printf("matches %llu anchor(s)\n", (unsigned long long)r.anchors_checked);
    if (r.after_checkpoint)
        printf(
            "note: %llu record(s) after the last checkpoint are protected by their MACs "
            "alone; removing them would go unnoticed without a later anchor (--anchor)\n",
            (unsigned long long)r.after_checkpoint);
    for (const auto& n : r.notes) printf("note: %s\n", escape_text(n).c_str());
}

void print_verify_report(const Globals& g, const audit::VerifyReport& r, const AuditInput& in) {
    if (g.json)
        print_verify_json(r, in);
    else if (r.problem)
        print_verify_problem(r, in);
    else
        print_verify_intact(r);
}

}  // namespace

int run_audit_verify(Globals g, int argc, char** argv) {
    enum { kKey = 256, kFrom, kAnchor };
    static const option opts[] = {{"key", required_argument, nullptr, kKey},
                                  {"from", required_argument, nullptr, kFrom},
                                  {"anchor", required_argument, nullptr, kAnchor},
                                  JIT_COMMON_OPTIONS};
    OptionParser p{*find_command("audit"), g, argc, argv, opts, "h"};
    const char* keyfile = nullptr;
    std::vector<const char*> anchor_files;
    audit::VerifyOptions o;
    for (int c; (c = p.next()) != -1;) {
        if (c == kKey)
            keyfile = optarg;
        else if (c == kFrom && parse_seq(optarg, o.from_seq))
            continue;
        else if (c == kAnchor)
            anchor_files.push_back(optarg);
        else if (c != 'h')
            return usage_error("audit verify",
                               c == kFrom ? "--from takes a record number" : "unknown option");
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (!keyfile) return usage_error("audit verify", "--key KEYFILE is required");
    auto key = read_auditor_key(keyfile);
    if (!key) return kExitUsage;
    auto vkey = audit::VerifierKey::parse(key->verifier_key);
    if (!vkey) return usage_error("audit verify", vkey.error());
    o.k0 = key->k0;
    o.checkpoint_key = *vkey;
    for (const char* f : anchor_files) {
        auto c = read_checkpoint_file(f, *vkey);
        if (!c) return kExitUsage;
        o.anchors.push_back(*c);
    }
    AuditInput in(std::vector<std::string>(argv + optind, argv + argc));
    audit::StreamVerifier v(std::move(o));
    while (auto line = in.next())
        if (!v.feed(*line)) break;
    if (!in.error().empty()) {
        fprintf(stderr, "jitctl: %s\n", in.error().c_str());
        return kExitUsage;
    }
    auto report = v.finish();
    print_verify_report(g, report, in);
    return report.intact() ? kExitOk : kExitBad;
}

namespace {

struct SignedCheckpoint {
    audit::Checkpoint c;
    std::string note;
};

// What prove needs from one pass over the input, in O(log n) hashes: the
// wanted record, its proof at each checkpoint that covers it (the last one,
// or the one of --size, kept), never the leaves themselves.
struct ProveRun {
    audit::Frontier base;  // the tree state the input starts from
    uint64_t size = 0;     // the tree size the input reaches
    std::optional<audit::Record> wanted;
    std::optional<audit::Hash> leaf;
    std::optional<SignedCheckpoint> checkpoint;     // the one to prove in
    std::optional<std::vector<audit::Hash>> proof;  // in it (nullopt: needs older records)
    bool covered = false;                           // a checkpoint covers the record
};

// One pass over an export, checked as it goes: tree states must follow the
// records before them (a leading one seeds the tree: the input starts after
// pruned records), checkpoints must be signed and match the records before
// them, records run without a gap, and a missing range ends the pass (no
// proof crosses it).  What a pass makes of it hangs off the hooks; on any
// fault it says where on stderr and returns nullopt, else the tree reached.
struct LogHooks {
    std::function<void(const audit::Frontier& start)>
        first;  // before the first record or checkpoint
    std::function<void(const audit::Checkpoint&, const std::string& note)> checkpoint;
    std::function<void(const audit::Record&, const audit::Hash& leaf)> record;
};

std::optional<audit::Frontier> walk_log(AuditInput& in, const audit::VerifierKey& key,
                                        const LogHooks& hooks) {
    audit::Frontier tree;
    bool seeded = false, started = false;
    uint64_t n = 0;
    while (auto line = in.next()) {
        ++n;
        auto at = [&](const std::string& what) {
            fprintf(stderr, "jitctl: %s: %s\n", in.where(n).c_str(), escape_text(what).c_str());
            return std::optional<audit::Frontier>();
        };
        auto parsed = audit::parse_export_line(*line);
        if (!parsed) return at(parsed.error());
        if (parsed->kind == audit::ExportLine::Kind::Missing) {
            const auto& m = parsed->missing;
            return at("records " + std::to_string(m.first) + ".." + std::to_string(m.end - 1) +
                      " are missing from the input (the segment file " + m.segment +
                      " is not on the host): no proof crosses them");
        }
        if (parsed->kind == audit::ExportLine::Kind::Frontier) {
            if (!seeded) {
                tree = parsed->frontier;
            } else if (!(parsed->frontier == tree)) {
                return at(
                    "this tree state does not follow the records before it "
                    "(give the segment files oldest first)");
            }
            seeded = true;
            continue;
        }
        seeded = true;
        if (!started) hooks.first(tree);
        started = true;
        if (parsed->kind == audit::ExportLine::Kind::Checkpoint) {
            auto c = audit::open_checkpoint(parsed->note, key);
            if (!c) return at(c.error());
            if (c->size != tree.size() || c->root != tree.root())
                return at(
                    "the checkpoint does not match the records before it "
                    "(jitctl audit verify names the first bad record)");
            hooks.checkpoint(*c, parsed->note);
            continue;
        }
        const audit::Record& r = parsed->record;
        if (r.seq != tree.size())
            return at("expected record " + std::to_string(tree.size()) + ", found " +
                      std::to_string(r.seq));
        audit::Hash leaf = audit::leaf_hash(r);
        tree.append(leaf);
        hooks.record(r, leaf);
    }
    if (!in.error().empty()) {
        fprintf(stderr, "jitctl: %s\n", in.error().c_str());
        return std::nullopt;
    }
    return tree;
}

std::optional<ProveRun> prove_pass(AuditInput& in, const audit::VerifierKey& key, uint64_t seq,
                                   std::optional<uint64_t> want_size) {
    ProveRun run;
    std::optional<audit::InclusionStream> stream;
    LogHooks hooks;
    hooks.first = [&](const audit::Frontier& start) {
        run.base = start;
        stream.emplace(seq, start);
    };
    hooks.checkpoint = [&](const audit::Checkpoint& c, const std::string& note) {
        if (c.size > seq && (!want_size || c.size == *want_size)) {
            run.checkpoint = SignedCheckpoint{c, note};
            run.proof = stream->proof();
            run.covered = true;
        }
    };
    hooks.record = [&](const audit::Record& r, const audit::Hash& leaf) {
        stream->add(leaf);
        if (r.seq == seq) run.wanted = r, run.leaf = leaf;
    };
    auto tree = walk_log(in, key, hooks);
    if (!tree) return std::nullopt;
    if (!stream) run.base = *tree;  // no record: the input's tree state, if any
    run.size = tree->size();
    return run;
}

void print_hashes(JsonWriter& w, const std::vector<audit::Hash>& proof) {
    w.begin_array();
    for (const auto& h : proof) w.value(hex(h));
    w.end_array();
}

struct KeyOptions {
    const char* keyfile = nullptr;
    const char* vkey = nullptr;
    std::optional<uint64_t> size;
};

// Parses --key, --vkey (and --size for prove); returns argv index of the
// first operand, or -1 after a usage error.
int parse_key_options(const char* name, Globals& g, int argc, char** argv, KeyOptions& k,
                      bool& help, bool with_size) {
    enum { kKey = 256, kVkey, kSize };
    static const option opts[] = {{"key", required_argument, nullptr, kKey},
                                  {"vkey", required_argument, nullptr, kVkey},
                                  {"size", required_argument, nullptr, kSize},
                                  JIT_COMMON_OPTIONS};
    OptionParser p{*find_command("audit"), g, argc, argv, opts, "h"};
    for (int c; (c = p.next()) != -1;) {
        uint64_t n = 0;
        if (c == kKey)
            k.keyfile = optarg;
        else if (c == kVkey)
            k.vkey = optarg;
        else if (c == kSize && with_size && parse_seq(optarg, n))
            k.size = n;
        else if (c != 'h')
            return usage_error(name, "unknown or malformed option"), -1;
    }
    help = p.help;
    if (!help && !k.keyfile == !k.vkey)
        return usage_error(name, "give either --key KEYFILE or --vkey VKEY"), -1;
    return optind;
}

}  // namespace

namespace {

// Why a pass found no proof to give: the record is not in the input, no
// signed checkpoint covers it, or the proof needs older records.  Returns
// the exit status, or nullopt when there is a proof.
std::optional<int> refuse_unproven(const ProveRun& run, uint64_t seq, bool at_size) {
    if (!run.wanted) {
        fprintf(stderr, "jitctl: record %llu is not in the input (it has records %llu..%llu)\n",
                (unsigned long long)seq, (unsigned long long)run.base.size(),
                (unsigned long long)run.size - 1);
        return kExitNotFound;
    }
    if (!run.covered) {
        fprintf(stderr, "jitctl: no signed checkpoint in the input covers record %llu%s\n",
                (unsigned long long)seq, at_size ? " at that --size" : "");
        return kExitNotFound;
    }
    if (!run.proof) {
        fprintf(stderr,
                "jitctl: the proof needs records before the input's first (%llu); give "
                "the older segment files too\n",
                (unsigned long long)run.base.size());
        return kExitNotFound;
    }
    return std::nullopt;
}

void print_proof(const Globals& g, uint64_t seq, const ProveRun& run, bool ok) {
    const SignedCheckpoint& cp = *run.checkpoint;
    const auto& proof = *run.proof;
    const audit::Hash& leaf = *run.leaf;
    const audit::Record& wanted = *run.wanted;
    if (g.json) {
        JsonWriter w;
        w.begin_object().key("seq").value(seq).key("tree_size").value(cp.c.size);
        w.key("leaf_hash").value(hex(leaf)).key("root").value(hex(cp.c.root));
        w.key("proof");
        print_hashes(w, proof);
        w.key("checkpoint").value(cp.note).key("verified").value(ok);
        w.key("record").value(audit::export_record(wanted)).end_object();
        printf("%s\n", w.str().c_str());
        return;
    }
    printf("record %llu: %s at %lld\n", (unsigned long long)seq, escape_text(wanted.event).c_str(),
           (long long)wanted.time);
    for (const auto& [name, value] : wanted.fields)
        printf("  %s=%s\n", escape_text(name).c_str(), escape_text(value).c_str());
    printf("leaf hash %s\ninclusion proof in the tree of size %llu (%zu hashes):\n",
           hex(leaf).c_str(), (unsigned long long)cp.c.size, proof.size());
    for (const auto& h : proof) printf("  %s\n", hex(h).c_str());
    printf("%s: record %llu is in the log that %s signed at size %llu, root %s\n",
           ok ? "proven" : "NOT proven", (unsigned long long)seq, escape_text(cp.c.origin).c_str(),
           (unsigned long long)cp.c.size, hex(cp.c.root).c_str());
}

}  // namespace

int run_audit_prove(Globals g, int argc, char** argv) {
    KeyOptions k;
    bool help = false;
    int first = parse_key_options("audit prove", g, argc, argv, k, help, true);
    if (first < 0) return kExitUsage;
    if (help) return print_help(*find_command("audit")), kExitOk;
    uint64_t seq = 0;
    if (first >= argc || !parse_seq(argv[first], seq))
        return usage_error("audit prove", "expects SEQ, a record number");
    auto key = verifier_from(k.keyfile, k.vkey);
    if (!key) return kExitUsage;
    AuditInput in(std::vector<std::string>(argv + first + 1, argv + argc));
    auto run = prove_pass(in, *key, seq, k.size);
    if (!run) return kExitBad;
    if (auto refused = refuse_unproven(*run, seq, k.size.has_value())) return *refused;
    const audit::Checkpoint& c = run->checkpoint->c;
    bool ok = audit::verify_inclusion(seq, c.size, *run->leaf, *run->proof, c.root);
    print_proof(g, seq, *run, ok);
    return ok ? kExitOk : kExitBad;
}

namespace {

// OLD or NEW: a tree size with a checkpoint in the input (found in the
// pass), or a file holding a signed checkpoint (one kept elsewhere).
struct Endpoint {
    uint64_t size = 0;
    std::optional<audit::Checkpoint> c;  // known, or once the pass meets it
};

// The consistency proof from one pass: its ranges are known from the two
// sizes before the input is read, so only their partial trees are kept
// (audit::ProofBuilder), not a hash per record.
int consistency_pass(AuditInput& in, const audit::VerifierKey& key, Endpoint& old_e,
                     Endpoint& new_e, std::vector<audit::Hash>& proof) {
    const auto ranges = audit::consistency_ranges(old_e.size, new_e.size);
    std::optional<audit::ProofBuilder> builder;
    LogHooks hooks;
    hooks.first = [&](const audit::Frontier& start) { builder.emplace(ranges, start); };
    hooks.checkpoint = [&](const audit::Checkpoint& c, const std::string&) {
        for (Endpoint* e : {&old_e, &new_e})
            if (!e->c && e->size == c.size) e->c = c;
    };
    hooks.record = [&](const audit::Record&, const audit::Hash& leaf) { builder->add(leaf); };
    auto walked = walk_log(in, key, hooks);
    if (!walked) return kExitBad;
    const audit::Frontier& tree = *walked;
    for (Endpoint* e : {&old_e, &new_e}) {
        if (e->c) continue;
        if (e->size == 0) {
            e->c = audit::Checkpoint{key.name, 0, audit::empty_root()};
            continue;
        }
        fprintf(stderr, "jitctl: no signed checkpoint of size %llu in the input\n",
                (unsigned long long)e->size);
        return kExitNotFound;
    }
    if (new_e.size > tree.size()) {
        fprintf(stderr, "jitctl: the input ends at size %llu, before the new size %llu\n",
                (unsigned long long)tree.size(), (unsigned long long)new_e.size);
        return kExitBad;
    }
    if (!builder) builder.emplace(ranges, tree);
    if (!builder->possible() || !builder->done()) {
        fprintf(stderr,
                "jitctl: the proof needs records before the input's first; give the older "
                "segment files too\n");
        return kExitNotFound;
    }
    proof = builder->proof();
    return kExitOk;
}

// A size, or a checkpoint file (read now, its size known before the pass).
std::optional<Endpoint> endpoint(const char* arg, const audit::VerifierKey& key) {
    uint64_t size = 0;
    if (parse_seq(arg, size)) return Endpoint{size, std::nullopt};
    auto c = read_checkpoint_file(arg, key);
    if (!c) return std::nullopt;
    return Endpoint{c->size, *c};
}

}  // namespace

int run_audit_consistency(Globals g, int argc, char** argv) {
    KeyOptions k;
    bool help = false;
    int first = parse_key_options("audit consistency", g, argc, argv, k, help, false);
    if (first < 0) return kExitUsage;
    if (help) return print_help(*find_command("audit")), kExitOk;
    if (argc - first < 2)
        return usage_error("audit consistency", "expects OLD NEW (sizes or checkpoint files)");
    auto key = verifier_from(k.keyfile, k.vkey);
    if (!key) return kExitUsage;
    auto old_e = endpoint(argv[first], *key);
    auto new_e = endpoint(argv[first + 1], *key);
    if (!old_e || !new_e) return kExitBad;
    AuditInput in(std::vector<std::string>(argv + first + 2, argv + argc));
    std::vector<audit::Hash> proof;
    if (int rc = consistency_pass(in, *key, *old_e, *new_e, proof); rc != kExitOk) return rc;
    const audit::Checkpoint* old_c = &*old_e->c;
    const audit::Checkpoint* new_c = &*new_e->c;
    bool ok = audit::verify_consistency(old_c->size, new_c->size, old_c->root, new_c->root, proof);
    if (g.json) {
        JsonWriter w;
        w.begin_object().key("old_size").value(old_c->size).key("old_root").value(hex(old_c->root));
        w.key("new_size").value(new_c->size).key("new_root").value(hex(new_c->root));
        w.key("proof");
        print_hashes(w, proof);
        w.key("consistent").value(ok).end_object();
        printf("%s\n", w.str().c_str());
    } else {
        printf("consistency proof from size %llu to %llu (%zu hashes):\n",
               (unsigned long long)old_c->size, (unsigned long long)new_c->size, proof.size());
        for (const auto& h : proof) printf("  %s\n", hex(h).c_str());
        if (ok)
            printf(
                "consistent: the log at size %llu (root %s) only appended to the log at size "
                "%llu (root %s)\n",
                (unsigned long long)new_c->size, hex(new_c->root).c_str(),
                (unsigned long long)old_c->size, hex(old_c->root).c_str());
        else
            printf(
                "NOT consistent: the log at size %llu does not extend the checkpoint at size "
                "%llu: history was rewritten or forked\n",
                (unsigned long long)new_c->size, (unsigned long long)old_c->size);
    }
    return ok ? kExitOk : kExitBad;
}

}  // namespace jit::ctl
