// Snapshot::verify(): every rule of the format that open() and the accessors
// do not check on their own.  Linear (plus a hash lookup per membership),
// run once per file by the module and on every file jitd writes.
#include <errno.h>

#include "jit/snapshot.h"

namespace jit::snapshot {

namespace {

Error bad(const char* what) {
    return make_error(EBADMSG, what);
}

uint32_t get_u32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

bool zero(const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (p[i] != 0) return false;
    return true;
}

// (name, key) strictly ascending.
bool ascending(std::string_view a_name, int64_t a_key, std::string_view b_name, int64_t b_key) {
    int c = a_name.compare(b_name);
    return c < 0 || (c == 0 && a_key < b_key);
}

}  // namespace

Result<void> Snapshot::verify() const {
    if (file_checksum(data_, len_) != stored_checksum()) return bad("checksum mismatch");
    // Alignment padding after the three u32 tables must be zero: a file has
    // exactly one byte form.
    const uint32_t ends[][2] = {
        {layout_.uid_index_off + accounts_ * 4, layout_.groups_off},
        {layout_.gid_index_off + groups_ * 4, layout_.blocks_off},
        {layout_.group_members_off + members_ * 4, layout_.name_hash_off},
    };
    for (const auto& e : ends)
        if (!zero(data_ + e[0], e[1] - e[0])) return bad("padding is not zero");
    if (auto r = verify_accounts(); !r) return r;
    if (auto r = verify_groups(); !r) return r;
    if (auto r = verify_members(); !r) return r;
    return verify_hashes();
}

// Each table holds exactly its records' count of filled slots, and every
// record is found through it by its own key: so each is there once, and
// (names and ids being unique) where its probe sequence reaches it.
Result<void> Snapshot::verify_hashes() const {
    const struct {
        uint32_t off, slots, records, width;
    } tables[] = {{layout_.name_hash_off, layout_.account_slots, units_, 8},
                  {layout_.uid_hash_off, layout_.account_slots, units_, 8},
                  {layout_.group_hash_off, layout_.group_slots, groups_, 4},
                  {layout_.gid_hash_off, layout_.group_slots, groups_, 4}};
    for (const auto& t : tables) {
        uint32_t filled = 0;
        for (uint32_t k = 0; k < t.slots; ++k) {
            const uint8_t* at = data_ + t.off + size_t(k) * t.width;
            uint32_t slot = get_u32(at + t.width - 4);
            if (slot > t.records) return bad("hash slot names no record");
            // An empty account slot has no tag: one byte form.
            if (t.width == 8 && slot == 0 && get_u32(at) != 0) return bad("empty slot with a tag");
            filled += slot != 0;
        }
        const uint32_t want = t.width == 8 ? accounts_ : groups_;
        if (filled != want) return bad("hash table does not hold each record once");
    }
    for (uint32_t i = 0; i < accounts_; ++i) {
        Account a;
        uint32_t by_name = kNoAccount, by_uid = kNoAccount;
        if (!account(i, &a) || !find_account(a.name.view(), &by_name) ||
            !find_account_by_uid(a.uid, &by_uid) || by_name != i || by_uid != i)
            return bad("an account is not where its hash puts it");
    }
    for (uint32_t i = 0; i < groups_; ++i) {
        Group g;
        uint32_t by_name = kNoAccount, by_gid = kNoAccount;
        if (!group(i, &g) || !find_group(g.name.view(), &by_name) ||
            !find_group_by_gid(g.gid, &by_gid) || by_name != i || by_gid != i)
            return bad("a group is not where its hash puts it");
    }
    return success();
}

// The blocks: each where the placement rule puts it, the bytes between and
// after them zero, names ascending, windows valid and ascending.
Result<void> Snapshot::verify_accounts() const {
    Account prev;
    uint64_t end = 0;  // in units
    const uint8_t* area = data_ + layout_.blocks_off;
    for (uint32_t i = 0; i < accounts_; ++i) {
        Account a;
        if (!account(i, &a)) return bad("malformed account record");
        if (i > 0 && prev.name.view().compare(a.name.view()) >= 0)
            return bad("accounts not sorted by name, or a name repeats");
        const uint64_t used =
            block_bytes(a.window_count, a.name.len, a.gecos.len, a.home.len, a.shell.len);
        const uint64_t at = index_at(layout_.accounts_off, i);
        if (at != block_position(layout_.blocks_off, end, block_units(used)))
            return bad("account block not where the layout puts it");
        if (!zero(area + end * kBlockUnit, (at - end) * kBlockUnit) ||
            !zero(area + at * kBlockUnit + used, block_units(used) * kBlockUnit - used))
            return bad("padding is not zero");
        for (uint32_t k = 0; k < a.window_count; ++k) {
            Window w, before;
            if (!window(a, k, &w)) return bad("malformed window");
            if (k > 0 && window(a, k - 1, &before) && before.not_before >= w.not_before)
                return bad("account windows not sorted");
        }
        end = at + block_units(used);
        prev = a;
    }
    if (end != units_) return bad("block area not the size of its blocks");
    uint32_t prev_uid = 0;
    for (uint32_t k = 0; k < accounts_; ++k) {
        uint32_t idx = index_at(layout_.uid_index_off, k);
        Account a;
        if (!account(idx, &a)) return bad("uid index points outside the accounts");
        if (k > 0 && a.uid <= prev_uid) return bad("uid index not sorted, or a uid repeats");
        prev_uid = a.uid;
    }
    return success();
}

Result<void> Snapshot::verify_groups() const {
    Group prev;
    uint32_t private_groups = 0, members_seen = 0;
    for (uint32_t i = 0; i < groups_; ++i) {
        Group g;
        if (!group(i, &g)) return bad("malformed group record");
        if (i > 0 && prev.name.view().compare(g.name.view()) >= 0)
            return bad("groups not sorted by name, or a name repeats");
        if (g.kind == GroupKind::Private) {
            Account owner;
            if (!account(g.owner, &owner) || owner.gid != g.gid ||
                owner.name.view() != g.name.view())
                return bad("private group does not match its account");
            ++private_groups;
        }
        if (g.member_first != members_seen) return bad("group members are not contiguous");
        members_seen += g.member_count;
        prev = g;
    }
    // With unique gids (below) no two private groups share an owner, so
    // this count means every account has its own.
    if (private_groups != accounts_) return bad("an account has no private group");
    if (members_seen != members_) return bad("group member index does not cover the members");
    uint32_t prev_gid = 0;
    for (uint32_t k = 0; k < groups_; ++k) {
        uint32_t idx = index_at(layout_.gid_index_off, k);
        if (idx >= groups_) return bad("gid index points outside the groups");
        uint32_t gid = get_u32(data_ + layout_.groups_off + size_t(idx) * kGroupSize + 8);
        if (k > 0 && gid <= prev_gid) return bad("gid index not sorted, or a gid repeats");
        prev_gid = gid;
    }
    return success();
}

Result<void> Snapshot::verify_members() const {
    Member prev;
    for (uint32_t i = 0; i < members_; ++i) {
        Member m;
        if (!member(i, &m)) return bad("malformed membership");
        Group g;
        if (!group(m.group, &g) || g.kind != GroupKind::Jit)
            return bad("membership of a group that is not a jit group");
        if (i > 0) {
            int c = prev.name.view().compare(m.name.view());
            if (c > 0 || (c == 0 && (prev.group > m.group ||
                                     (prev.group == m.group &&
                                      prev.window.not_before >= m.window.not_before))))
                return bad("memberships not sorted, or one repeats");
        }
        // The account field must name the jit account of that name, if any,
        // so its visibility cannot be sidestepped.
        uint32_t idx = kNoAccount;
        if (!find_account(m.name.view(), &idx)) idx = kNoAccount;
        if (m.account != idx) return bad("membership does not reference its account");
        prev = m;
    }
    for (uint32_t gi = 0; gi < groups_; ++gi) {
        Group g;
        if (!group(gi, &g)) return bad("malformed group record");
        Member before;
        for (uint32_t k = 0; k < g.member_count; ++k) {
            Member m;
            if (!group_member(g, k, &m)) return bad("group member index entry of another group");
            if (k > 0 && !ascending(before.name.view(), before.window.not_before, m.name.view(),
                                    m.window.not_before))
                return bad("group member index not sorted, or an entry repeats");
            before = m;
        }
    }
    return success();
}

}  // namespace jit::snapshot
