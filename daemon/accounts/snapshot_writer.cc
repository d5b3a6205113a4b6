#include "daemon/accounts/snapshot_writer.h"

#include <errno.h>
#include <string.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

namespace jit::daemon {

namespace {

using snapshot::GroupKind;
using snapshot::kNoAccount;
using snapshot::Window;
using Windows = std::vector<Window>;

constexpr Time kForever = INT64_MAX;
constexpr Time kAlways = INT64_MIN;

Error invalid(const char* what) {
    return make_error(EINVAL, what);
}

// Sorted, with overlapping or touching windows joined: the reader wants them
// strictly ascending, and fewer windows are faster to scan.
void merge(Windows& w) {
    std::sort(w.begin(), w.end(),
              [](const Window& a, const Window& b) { return a.not_before < b.not_before; });
    Windows out;
    for (const auto& x : w) {
        if (!out.empty() && x.not_before <= out.back().not_after)
            out.back().not_after = std::max(out.back().not_after, x.not_after);
        else
            out.push_back(x);
    }
    w = std::move(out);
}

class StringTable {
public:
    // (offset, length) of s, stored once however often it is used.
    std::pair<uint32_t, uint32_t> add(const std::string& s) {
        auto [it, fresh] = at_.try_emplace(s, uint32_t(bytes_.size()));
        if (fresh) {
            bytes_ += s;
            bytes_ += '\0';
        }
        return {it->second, uint32_t(s.size())};
    }
    const std::string& bytes() const { return bytes_; }

private:
    std::string bytes_;
    // Hashed, not ordered: with 100,000 accounts the ordered map's string
    // compares were a third of the snapshot's build time.
    std::unordered_map<std::string, uint32_t> at_;
};

struct GroupRow {
    std::string name;
    uint32_t gid;
    GroupKind kind;
    uint32_t owner;
    uint32_t member_first = 0, member_count = 0;
};

struct MemberRow {
    std::string name;
    uint32_t group;
    uint32_t account;
    Window window;
};

class Writer {
public:
    explicit Writer(size_t size) : buf_(size, 0) {}
    void u32(size_t at, uint32_t v) {
        for (int i = 0; i < 4; ++i) buf_[at + i] = uint8_t(v >> (8 * i));
    }
    void u64(size_t at, uint64_t v) {
        for (int i = 0; i < 8; ++i) buf_[at + i] = uint8_t(v >> (8 * i));
    }
    void text(size_t at, StringTable& strings, const std::string& s) {
        auto [off, len] = strings.add(s);
        u32(at, off);
        u32(at + 4, len);
    }
    // The CHECK of the record at `at` (its strings and windows already placed).
    void check(size_t at, size_t size, size_t check_at,
               std::initializer_list<snapshot::Bytes> parts) {
        u32(at + check_at,
            snapshot::record_check(buf_.data() + at, size, check_at, parts.begin(), parts.size()));
    }
    uint32_t get_u32(size_t at) const {
        return uint32_t(buf_[at]) | uint32_t(buf_[at + 1]) << 8 | uint32_t(buf_[at + 2]) << 16 |
               uint32_t(buf_[at + 3]) << 24;
    }
    // Record i into the HASH table at off, at the first empty slot from hash.
    void hash_insert(size_t off, uint32_t slots, uint64_t hash, uint32_t i) {
        uint32_t at = uint32_t(hash) & (slots - 1);
        while (get_u32(off + 4 * size_t(at)) != 0) at = (at + 1) & (slots - 1);
        u32(off + 4 * size_t(at), i + 1);
    }
    // An account table's slot: the key's tag and the block position + 1.
    void account_slot_insert(size_t off, uint32_t slots, uint64_t hash, uint32_t position) {
        uint32_t at = uint32_t(hash) & (slots - 1);
        while (get_u32(off + 8 * size_t(at) + 4) != 0) at = (at + 1) & (slots - 1);
        u32(off + 8 * size_t(at), uint32_t(hash >> 32));
        u32(off + 8 * size_t(at) + 4, position + 1);
    }
    std::vector<uint8_t>& bytes() { return buf_; }

private:
    std::vector<uint8_t> buf_;
};

// Everything the file holds, in the reader's orders, before it is laid out.
struct Tables {
    std::vector<const NssAccount*> accounts;  // by name
    std::vector<Windows> windows;             // per account
    std::vector<GroupRow> groups;             // by name
    std::vector<MemberRow> members;           // by (name, group, not_before)
    std::vector<uint32_t> group_members;      // member indexes by (group, name, not_before)
    std::optional<Time> next_edge;
};

// Edges of the merged windows only: a grant inside another changes nothing.
void note_edge(Tables& t, Time edge, Time now) {
    if (edge > now && edge != kForever && (!t.next_edge || edge < *t.next_edge)) t.next_edge = edge;
}

Result<void> collect_accounts(const SnapshotInput& in, Tables& t,
                              std::map<std::string, uint32_t>& index) {
    for (const auto& a : in.accounts) t.accounts.push_back(&a);
    std::sort(t.accounts.begin(), t.accounts.end(),
              [](const NssAccount* a, const NssAccount* b) { return a->name < b->name; });
    for (uint32_t i = 0; i < t.accounts.size(); ++i) {
        const NssAccount& a = *t.accounts[i];
        if (!snapshot::valid_name(a.name) || !snapshot::valid_text(a.gecos) ||
            !snapshot::valid_path(a.home) || !snapshot::valid_path(a.shell))
            return invalid("account with an invalid name, gecos, home or shell");
        if (a.uid == 0 || a.uid == UINT32_MAX || a.gid == 0 || a.gid == UINT32_MAX)
            return invalid("account with uid or gid 0 or -1");
        if (!index.emplace(a.name, i).second) return invalid("two accounts share a name");
    }
    t.windows.resize(t.accounts.size());
    for (const auto& g : in.grants) {
        auto it = index.find(g.user);
        if (g.not_after <= in.now || g.not_before >= g.not_after || it == index.end()) continue;
        if (t.accounts[it->second]->visibility != Visibility::Granted) continue;
        t.windows[it->second].push_back({g.not_before, g.not_after});
    }
    for (auto& windows : t.windows) {
        merge(windows);
        for (const auto& w : windows)
            note_edge(t, w.not_before, in.now), note_edge(t, w.not_after, in.now);
    }
    return success();
}

Result<void> collect_groups(const SnapshotInput& in, Tables& t,
                            std::map<std::string, uint32_t>& index) {
    for (uint32_t i = 0; i < t.accounts.size(); ++i)
        t.groups.push_back({t.accounts[i]->name, t.accounts[i]->gid, GroupKind::Private, i});
    for (const auto& g : in.groups) {
        if (!snapshot::valid_name(g.name)) return invalid("jit group with an invalid name");
        t.groups.push_back({g.name, g.gid, GroupKind::Jit, kNoAccount});
    }
    std::sort(t.groups.begin(), t.groups.end(),
              [](const GroupRow& a, const GroupRow& b) { return a.name < b.name; });
    for (uint32_t i = 0; i < t.groups.size(); ++i) {
        if (t.groups[i].gid == 0 || t.groups[i].gid == UINT32_MAX)
            return invalid("group with gid 0 or -1");
        if (!index.emplace(t.groups[i].name, i).second)
            return invalid("a jit group has the name of another group or account");
    }
    return success();
}

Result<void> collect_members(const SnapshotInput& in, Tables& t,
                             const std::map<std::string, uint32_t>& accounts,
                             const std::map<std::string, uint32_t>& groups) {
    std::map<std::pair<std::string, uint32_t>, Windows> spans;
    auto add = [&](const std::string& who, const std::string& group, Window w) -> Result<void> {
        auto g = groups.find(group);
        if (g == groups.end() || t.groups[g->second].kind != GroupKind::Jit)
            return invalid("membership of a group that is not a jit group");
        if (!snapshot::valid_name(who)) return invalid("member with an invalid name");
        spans[{who, g->second}].push_back(w);
        return success();
    };
    for (const NssAccount* a : t.accounts)
        for (const auto& group : a->groups)
            if (auto r = add(a->name, group, {kAlways, kForever}); !r) return r;
    for (const auto& g : in.grants) {
        if (g.not_after <= in.now || g.not_before >= g.not_after || g.groups.empty()) continue;
        for (const auto& group : g.groups)
            if (auto r = add(g.user, group, {g.not_before, g.not_after}); !r) return r;
    }
    for (auto& [key, windows] : spans) {
        merge(windows);
        for (const auto& w : windows)
            note_edge(t, w.not_before, in.now), note_edge(t, w.not_after, in.now);
        auto acc = accounts.find(key.first);
        uint32_t account = acc == accounts.end() ? kNoAccount : acc->second;
        for (const auto& w : windows) t.members.push_back({key.first, key.second, account, w});
    }
    // std::map already walked (name, group) in order, windows ascending.
    for (uint32_t i = 0; i < t.members.size(); ++i) t.group_members.push_back(i);
    std::stable_sort(t.group_members.begin(), t.group_members.end(), [&](uint32_t a, uint32_t b) {
        return t.members[a].group < t.members[b].group;
    });
    for (uint32_t k = 0; k < t.group_members.size(); ++k) {
        GroupRow& g = t.groups[t.members[t.group_members[k]].group];
        if (g.member_count == 0) g.member_first = k;
        ++g.member_count;
    }
    // Groups without members start where the previous group's slice ends.
    uint32_t next = 0;
    for (auto& g : t.groups) {
        if (g.member_count == 0) g.member_first = next;
        next = g.member_first + g.member_count;
    }
    return success();
}

// The four HASH tables, records inserted in table order (as the format says).
void write_hashes(Writer& w, const Tables& t, const snapshot::Layout& l,
                  const std::vector<uint32_t>& positions) {
    for (uint32_t i = 0; i < t.accounts.size(); ++i) {
        w.account_slot_insert(l.name_hash_off, l.account_slots,
                              snapshot::name_hash(t.accounts[i]->name), positions[i]);
        w.account_slot_insert(l.uid_hash_off, l.account_slots,
                              snapshot::id_hash(t.accounts[i]->uid), positions[i]);
    }
    for (uint32_t i = 0; i < t.groups.size(); ++i) {
        w.hash_insert(l.group_hash_off, l.group_slots, snapshot::name_hash(t.groups[i].name), i);
        w.hash_insert(l.gid_hash_off, l.group_slots, snapshot::id_hash(t.groups[i].gid), i);
    }
}

template <typename Key>
Result<std::vector<uint32_t>> sorted_index(size_t n, Key key, const char* duplicate) {
    std::vector<uint32_t> idx(n);
    for (uint32_t i = 0; i < n; ++i) idx[i] = i;
    std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
    for (size_t k = 1; k < n; ++k)
        if (key(idx[k - 1]) == key(idx[k])) return invalid(duplicate);
    return idx;
}

// A string's bytes where the string table sits in the file (with its NUL),
// for a record's check value.
snapshot::Bytes text_in(Writer& w, StringTable& strings, const snapshot::Layout& l,
                        const std::string& s) {
    auto [off, len] = strings.add(s);  // already present: only looked up
    return snapshot::Bytes{w.bytes().data() + l.strings_off + off, size_t(len) + 1};
}

void write_header(Writer& w, const snapshot::Layout& l, const uint32_t (&counts)[5], Time now) {
    memcpy(w.bytes().data(), snapshot::kMagic, sizeof snapshot::kMagic);
    w.u32(8, snapshot::kVersion);
    w.u32(12, snapshot::kHeaderSize);
    w.u64(16, l.total_size);
    w.u64(32, uint64_t(now));
    for (size_t i = 0; i < 5; ++i) w.u32(40 + 4 * i, counts[i]);
    const uint32_t offsets[] = {l.accounts_off,      l.uid_index_off, l.groups_off,
                                l.gid_index_off,     l.blocks_off,    l.members_off,
                                l.group_members_off, l.strings_off};
    for (size_t i = 0; i < 8; ++i) w.u32(60 + 4 * i, offsets[i]);
}

uint64_t account_block_bytes(const NssAccount& a, const Windows& windows) {
    return snapshot::block_bytes(uint32_t(windows.size()), uint32_t(a.name.size()),
                                 uint32_t(a.gecos.size()), uint32_t(a.home.size()),
                                 uint32_t(a.shell.size()));
}

// Where each account's block goes (see ACCOUNT in snapshot.h), and the area's
// size in units; false when it exceeds the format's limit.
bool place_blocks(const Tables& t, uint32_t blocks_off, std::vector<uint32_t>* positions,
                  uint32_t* units) {
    uint64_t end = 0;
    for (size_t i = 0; i < t.accounts.size(); ++i) {
        const uint64_t n = snapshot::block_units(account_block_bytes(*t.accounts[i], t.windows[i]));
        const uint64_t at = snapshot::block_position(blocks_off, end, n);
        if (at + n > snapshot::kMaxBlockUnits) return false;
        positions->push_back(uint32_t(at));
        end = at + n;
    }
    *units = uint32_t(end);
    return true;
}

// Account blocks (record, windows, strings), their positions, the uid index.
void write_accounts(Writer& w, const snapshot::Layout& l, const Tables& t,
                    const std::vector<uint32_t>& positions, const std::vector<uint32_t>& uids) {
    for (size_t i = 0; i < t.accounts.size(); ++i) {
        const NssAccount& a = *t.accounts[i];
        w.u32(l.accounts_off + 4 * i, positions[i]);
        const size_t r = l.blocks_off + size_t(positions[i]) * snapshot::kBlockUnit;
        w.u32(r, a.uid);
        w.u32(r + 4, a.gid);
        w.u32(r + 8, uint32_t(a.visibility));
        w.u32(r + 12, uint32_t(t.windows[i].size()));
        w.u32(r + 16, uint32_t(i));
        size_t at = r + snapshot::kBlockHeaderSize;
        for (const auto& win : t.windows[i]) {
            w.u64(at, uint64_t(win.not_before));
            w.u64(at + 8, uint64_t(win.not_after));
            at += snapshot::kWindowSize;
        }
        const std::string* texts[] = {&a.name, &a.gecos, &a.home, &a.shell};
        for (size_t k = 0; k < 4; ++k) {
            w.bytes()[r + 24 + 2 * k] = uint8_t(texts[k]->size());
            w.bytes()[r + 25 + 2 * k] = uint8_t(texts[k]->size() >> 8);
            memcpy(w.bytes().data() + at, texts[k]->data(), texts[k]->size());
            at += texts[k]->size() + 1;  // the NUL: the buffer starts zeroed
        }
        w.check(r, snapshot::kBlockHeaderSize, snapshot::kAccountCheckAt,
                {{w.bytes().data() + r + snapshot::kBlockHeaderSize,
                  at - r - snapshot::kBlockHeaderSize}});
    }
    for (size_t k = 0; k < uids.size(); ++k) w.u32(l.uid_index_off + 4 * k, uids[k]);
}

// Groups, the gid index, members and each group's member list.
void write_groups(Writer& w, StringTable& strings, const snapshot::Layout& l, const Tables& t,
                  const std::vector<uint32_t>& gids) {
    for (size_t i = 0; i < t.groups.size(); ++i) {
        const GroupRow& g = t.groups[i];
        size_t r = l.groups_off + i * snapshot::kGroupSize;
        w.text(r, strings, g.name);
        w.u32(r + 8, g.gid);
        w.u32(r + 12, uint32_t(g.kind));
        w.u32(r + 16, g.owner);
        w.u32(r + 20, g.member_first);
        w.u32(r + 24, g.member_count);
        w.check(r, snapshot::kGroupSize, snapshot::kGroupCheckAt, {text_in(w, strings, l, g.name)});
    }
    for (size_t k = 0; k < gids.size(); ++k) w.u32(l.gid_index_off + 4 * k, gids[k]);
    for (size_t i = 0; i < t.members.size(); ++i) {
        const MemberRow& m = t.members[i];
        size_t r = l.members_off + i * snapshot::kMemberSize;
        w.text(r, strings, m.name);
        w.u32(r + 8, m.group);
        w.u32(r + 12, m.account);
        w.u64(r + 16, uint64_t(m.window.not_before));
        w.u64(r + 24, uint64_t(m.window.not_after));
        w.check(r, snapshot::kMemberSize, snapshot::kMemberCheckAt,
                {text_in(w, strings, l, m.name)});
    }
    for (size_t k = 0; k < t.group_members.size(); ++k)
        w.u32(l.group_members_off + 4 * k, t.group_members[k]);
}

Result<std::vector<uint8_t>> lay_out(const Tables& t, Time now) {
    auto uids = sorted_index(
        t.accounts.size(), [&](uint32_t i) { return t.accounts[i]->uid; },
        "two accounts share a uid");
    if (!uids) return uids.error();
    auto gids = sorted_index(
        t.groups.size(), [&](uint32_t i) { return t.groups[i].gid; }, "two groups share a gid");
    if (!gids) return gids.error();
    // Strings first: their size fixes the layout.  Account strings live in
    // their blocks, whose offset does not depend on the area's size.
    StringTable strings;
    for (const auto& g : t.groups) strings.add(g.name);
    for (const auto& m : t.members) strings.add(m.name);
    snapshot::Layout l;
    std::vector<uint32_t> positions;
    uint32_t units = 0;
    const auto fits = [&](uint32_t block_units) {
        return t.accounts.size() <= snapshot::kMaxAccounts &&
               t.groups.size() <= snapshot::kMaxGroups &&
               t.members.size() <= snapshot::kMaxMembers &&
               strings.bytes().size() <= snapshot::kMaxStrings &&
               snapshot::canonical_layout(uint32_t(t.accounts.size()), uint32_t(t.groups.size()),
                                          block_units, uint32_t(t.members.size()),
                                          uint32_t(strings.bytes().size()), &l);
    };
    if (!fits(0) || !place_blocks(t, l.blocks_off, &positions, &units) || !fits(units))
        return make_error(EMSGSIZE, "snapshot exceeds the format's limits");

    Writer w(l.total_size);
    const uint32_t counts[] = {uint32_t(t.accounts.size()), uint32_t(t.groups.size()), units,
                               uint32_t(t.members.size()), uint32_t(strings.bytes().size())};
    write_header(w, l, counts, now);
    memcpy(w.bytes().data() + l.strings_off, strings.bytes().data(), strings.bytes().size());
    write_accounts(w, l, t, positions, *uids);
    write_groups(w, strings, l, t, *gids);
    write_hashes(w, t, l, positions);
    w.u64(snapshot::kChecksumOffset, snapshot::file_checksum(w.bytes().data(), w.bytes().size()));
    return std::move(w.bytes());
}

}  // namespace

Result<BuiltSnapshot> build_snapshot(const SnapshotInput& in) {
    Tables t;
    std::map<std::string, uint32_t> accounts, groups;
    if (auto r = collect_accounts(in, t, accounts); !r) return r.error();
    if (auto r = collect_groups(in, t, groups); !r) return r.error();
    if (auto r = collect_members(in, t, accounts, groups); !r) return r.error();
    auto bytes = lay_out(t, in.now);
    if (!bytes) return bytes.error();
    // Never publish what the module would refuse.
    auto parsed = snapshot::Snapshot::open(bytes->data(), bytes->size());
    if (!parsed) return invalid(parsed.error().what);
    if (auto ok = parsed->verify(); !ok) return invalid(ok.error().what);
    return BuiltSnapshot{std::move(*bytes), t.next_edge};
}

}  // namespace jit::daemon
