#!/usr/bin/env python3
"""Writes the snapshot seed corpus, tests/fuzz/corpus/snapshot/*.hex.

The files are built here from the format as common/include/jit/snapshot.h
documents it, independently of jitd's C++ writer, so the replay test also
checks that the documentation and the reader agree.  ok-* seeds are valid
files; each bad-* seed breaks one rule (most are resealed: record checks and
the file checksum recomputed, so the edit reaches the rule it targets).

Usage: tests/fuzz/snapshot_seeds.py [OUTPUT_DIR]
"""
import os
import struct
import sys

MAGIC = b"JIT-NSS\n"
VERSION = 3
HEADER = 96
ACCOUNT, GROUP, WINDOW, MEMBER = 56, 32, 16, 40
NO_ACCOUNT = 0xFFFFFFFF
MIN64, MAX64 = -(1 << 63), (1 << 63) - 1
T = 1_800_000_000
PRIVATE, JIT = 1, 2
ALWAYS, GRANTED = 1, 2


def fnv(data, h=0xCBF29CE484222325):
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def crc32c(data):
    """CRC-32C (Castagnoli, RFC 3720), bit by bit: the record CHECK."""
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF


def align8(n):
    return (n + 7) & ~7


def slots(n):
    """HASH table size: 0 for no records, else the least power of two >= 2n."""
    if n == 0:
        return 0
    size = 2
    while size < 2 * n:
        size *= 2
    return size


def id_key(v):
    return struct.pack("<I", v)


def hash_insert(out, table_off, size, key, i):
    at = fnv(key) & (size - 1)
    while struct.unpack_from("<I", out, table_off + 4 * at)[0] != 0:
        at = (at + 1) & (size - 1)
    struct.pack_into("<I", out, table_off + 4 * at, i + 1)


def layout(a, g, w, m, s):
    off = {"accounts": HEADER}
    off["uid_index"] = HEADER + a * ACCOUNT
    off["groups"] = align8(off["uid_index"] + 4 * a)
    off["gid_index"] = off["groups"] + g * GROUP
    off["windows"] = align8(off["gid_index"] + 4 * g)
    off["members"] = off["windows"] + w * WINDOW
    off["group_members"] = off["members"] + m * MEMBER
    off["name_hash"] = align8(off["group_members"] + 4 * m)
    off["account_slots"], off["group_slots"] = slots(a), slots(g)
    off["uid_hash"] = off["name_hash"] + 4 * off["account_slots"]
    off["group_hash"] = off["uid_hash"] + 4 * off["account_slots"]
    off["gid_hash"] = off["group_hash"] + 4 * off["group_slots"]
    off["strings"] = off["gid_hash"] + 4 * off["group_slots"]
    off["total"] = off["strings"] + s
    return off


class Strings:
    def __init__(self):
        self.data, self.at = b"", {}

    def ref(self, text):
        raw = text.encode()
        if raw not in self.at:
            self.at[raw] = len(self.data)
            self.data += raw + b"\0"
        return struct.pack("<II", self.at[raw], len(raw))


def put(out, at, data):
    out[at:at + len(data)] = data


def build(accounts, groups, members, group_members, uid_index, gid_index):
    """Everything given in final order; indexes are lists of positions."""
    strings = Strings()
    windows = [w for acc in accounts for w in acc.get("windows", [])]
    for acc in accounts:
        for key in ("name", "gecos", "home", "shell"):
            strings.ref(acc[key])
    for grp in groups:
        strings.ref(grp["name"])
    for mem in members:
        strings.ref(mem["name"])
    off = layout(len(accounts), len(groups), len(windows), len(members), len(strings.data))
    out = bytearray(off["total"])
    counts = (len(accounts), len(groups), len(windows), len(members), len(strings.data))
    offsets = [off[k] for k in ("accounts", "uid_index", "groups", "gid_index", "windows",
                                "members", "group_members", "strings")]
    out[0:96] = (MAGIC + struct.pack("<IIQQq", VERSION, HEADER, off["total"], 0, T)
                 + struct.pack("<5I", *counts) + struct.pack("<8I", *offsets) + b"\0" * 4)
    first = 0
    for i, acc in enumerate(accounts):
        n = len(acc.get("windows", []))
        rec = b"".join(strings.ref(acc[k]) for k in ("name", "gecos", "home", "shell"))
        rec += struct.pack("<7I", acc["uid"], acc["gid"], acc["vis"], first, n, 0, 0)[:24]
        put(out, off["accounts"] + i * ACCOUNT, rec)
        first += n
    for k, pos in enumerate(uid_index):
        put(out, off["uid_index"] + 4 * k, struct.pack("<I", pos))
    for i, grp in enumerate(groups):
        rec = strings.ref(grp["name"]) + struct.pack(
            "<6I", grp["gid"], grp["kind"], grp.get("owner", NO_ACCOUNT), grp.get("first", 0),
            grp.get("count", 0), 0)
        put(out, off["groups"] + i * GROUP, rec)
    for k, pos in enumerate(gid_index):
        put(out, off["gid_index"] + 4 * k, struct.pack("<I", pos))
    for i, (nb, na) in enumerate(windows):
        put(out, off["windows"] + i * WINDOW, struct.pack("<qq", nb, na))
    for i, mem in enumerate(members):
        rec = strings.ref(mem["name"]) + struct.pack(
            "<IIqqII", mem["group"], mem.get("account", NO_ACCOUNT), mem["nb"], mem["na"], 0, 0)
        put(out, off["members"] + i * MEMBER, rec)
    for k, pos in enumerate(group_members):
        put(out, off["group_members"] + 4 * k, struct.pack("<I", pos))
    for i, acc in enumerate(accounts):
        hash_insert(out, off["name_hash"], off["account_slots"], acc["name"].encode(), i)
        hash_insert(out, off["uid_hash"], off["account_slots"], id_key(acc["uid"]), i)
    for i, grp in enumerate(groups):
        hash_insert(out, off["group_hash"], off["group_slots"], grp["name"].encode(), i)
        hash_insert(out, off["gid_hash"], off["group_slots"], id_key(grp["gid"]), i)
    out[off["strings"]:] = strings.data
    return seal(out)


def u32(b, at):
    return struct.unpack_from("<I", b, at)[0]


def string_bytes(b, off, ref):
    start = off["strings"] + u32(b, ref)
    return bytes(b[start:start + u32(b, ref + 4) + 1])


def check(b, at, size, check_at, parts):
    record = bytes(b[at:at + check_at]) + b"\0\0\0\0" + bytes(b[at + check_at + 4:at + size])
    return crc32c(record + b"".join(parts))


def seal(b, records=True):
    """Recomputes the record checks (unless records=False) and the checksum."""
    b = bytearray(b)
    a, g, w, m, s = struct.unpack_from("<5I", b, 40)
    off = layout(a, g, w, m, s)
    if records and off["total"] == len(b):
        for i in range(a):
            r = off["accounts"] + i * ACCOUNT
            ws = off["windows"] + WINDOW * u32(b, r + 44)
            parts = [string_bytes(b, off, r + 8 * k) for k in range(4)]
            parts.append(bytes(b[ws:ws + WINDOW * u32(b, r + 48)]))
            struct.pack_into("<I", b, r + 52, check(b, r, ACCOUNT, 52, parts))
        for i in range(g):
            r = off["groups"] + i * GROUP
            struct.pack_into("<I", b, r + 28, check(b, r, GROUP, 28, [string_bytes(b, off, r)]))
        for i in range(m):
            r = off["members"] + i * MEMBER
            struct.pack_into("<I", b, r + 32, check(b, r, MEMBER, 32, [string_bytes(b, off, r)]))
    # The checksum reads itself and the state word (offset 92) as zero.
    zeroed = bytearray(b)
    struct.pack_into("<Q", zeroed, 24, 0)
    if len(zeroed) >= 96:
        struct.pack_into("<I", zeroed, 92, 0)
    struct.pack_into("<Q", b, 24, fnv(zeroed))
    return b


def account(name, uid, gid, vis, windows=(), gecos="", home=None, shell="/bin/sh"):
    return {"name": name, "uid": uid, "gid": gid, "vis": vis, "windows": list(windows),
            "gecos": gecos, "home": home or "/home/" + name, "shell": shell}


def basic():
    """ci, deploy (granted), ops (always, standing member of jit-ops); alice
    (not a jit account) in jit-sudo by grant."""
    accounts = [account("ci", 61001, 62101, GRANTED, [(T + 3600, T + 7200)]),
                account("deploy", 61000, 62100, GRANTED, [(T - 60, T + 1800)], "Deploy bot",
                        "/srv/deploy", "/bin/bash"),
                account("ops", 61002, 62102, ALWAYS)]
    groups = [{"name": "ci", "gid": 62101, "kind": PRIVATE, "owner": 0},
              {"name": "deploy", "gid": 62100, "kind": PRIVATE, "owner": 1},
              {"name": "jit-ops", "gid": 62001, "kind": JIT, "first": 0, "count": 2},
              {"name": "jit-sudo", "gid": 62000, "kind": JIT, "first": 2, "count": 2},
              {"name": "ops", "gid": 62102, "kind": PRIVATE, "owner": 2, "first": 4}]
    members = [{"name": "alice", "group": 3, "nb": T - 60, "na": T + 900},
               {"name": "ci", "group": 2, "account": 0, "nb": T + 3600, "na": T + 7200},
               {"name": "deploy", "group": 3, "account": 1, "nb": T - 60, "na": T + 1800},
               {"name": "ops", "group": 2, "account": 2, "nb": MIN64, "na": MAX64}]
    return build(accounts, groups, members, [1, 3, 0, 2], [1, 0, 2], [3, 2, 1, 0, 4])


def many(count):
    accounts = [account("u%04d" % i, 63000 + i, 63000 + i, GRANTED if i % 2 else ALWAYS,
                        [(T, T + 60 * (i + 1))] if i % 2 else []) for i in range(count)]
    groups = [{"name": a["name"], "gid": a["gid"], "kind": PRIVATE, "owner": i}
              for i, a in enumerate(accounts)]
    return build(accounts, groups, [], [], list(range(count)), list(range(count)))


def empty():
    return build([], [], [], [], [], [])


# Offsets inside basic(): records by position.
def acc_at(i):
    return layout(3, 5, 2, 4, 0)["accounts"] + i * ACCOUNT


def grp_at(b, i):
    a, g, w, m, s = struct.unpack_from("<5I", b, 40)
    return layout(a, g, w, m, s)["groups"] + i * GROUP


def mem_at(b, i):
    a, g, w, m, s = struct.unpack_from("<5I", b, 40)
    return layout(a, g, w, m, s)["members"] + i * MEMBER


def edit(b, fn, sealed=True, records=True):
    b = bytearray(b)
    fn(b)
    return seal(b, records) if sealed else b


def hash_table(b, which):
    """(offset, slots) of HASH table 0..3: account names, uids, group names, gids."""
    a, g, w, m, s = struct.unpack_from("<5I", b, 40)
    off = layout(a, g, w, m, s)
    key = ("name_hash", "uid_hash", "group_hash", "gid_hash")[which]
    return off[key], off["account_slots" if which < 2 else "group_slots"]


def slot_of(b, which, record):
    at, n = hash_table(b, which)
    for k in range(n):
        if u32(b, at + 4 * k) == record + 1:
            return at + 4 * k
    raise ValueError("record %d not in table %d" % (record, which))


def redirect_hash_slot(b, which, record, to):
    struct.pack_into("<I", b, slot_of(b, which, record), to + 1)


def clear_hash_slot(b, which, record):
    struct.pack_into("<I", b, slot_of(b, which, record), 0)


def strings_off(b):
    return u32(b, 88)


def bad_seeds():
    base = basic()
    p32 = lambda at, v: (lambda b: struct.pack_into("<I", b, at, v))
    yield "bad-magic", "not JIT-NSS", edit(base, lambda b: b.__setitem__(0, ord("X")))
    yield "bad-version", "version 1 (before the hash tables)", edit(base, p32(8, 1))
    yield "bad-header-size", "header_size 100", edit(base, p32(12, 100))
    yield "bad-total-size", "total_size one too many", edit(
        base, lambda b: struct.pack_into("<Q", b, 16, len(b) + 1))
    yield "bad-state", "state word neither 0 nor the superseded mark", edit(base, p32(92, 1))
    yield "bad-offsets", "uid index not where the layout puts it", edit(
        base, lambda b: struct.pack_into("<I", b, 64, u32(b, 64) + 8))
    yield "bad-count-over-limit", "account_count above the limit", edit(base, p32(40, (1 << 20) + 1))
    yield "bad-truncated", "the last 9 bytes cut off", bytes(base[:-9])
    yield "bad-trailing-bytes", "8 bytes after the string table", bytes(base) + b"\0" * 8
    yield "bad-checksum", "one string byte changed, checksum not updated", edit(
        base, lambda b: b.__setitem__(len(b) - 2, b[len(b) - 2] ^ 1), sealed=False)
    yield "bad-record-check", "deploy's uid changed, only the file checksum updated", edit(
        base, p32(acc_at(1) + 32, 61009), records=False)
    yield "bad-uid-zero", "deploy has uid 0", edit(base, p32(acc_at(1) + 32, 0))
    yield "bad-visibility", "visibility 3", edit(base, p32(acc_at(1) + 40, 3))
    yield "bad-always-with-window", "ops is always visible and has a window", edit(
        base, p32(acc_at(2) + 48, 1))
    yield "bad-gecos-colon", "':' in deploy's gecos", edit(
        base, lambda b: b.__setitem__(strings_off(b) + u32(b, acc_at(1) + 8), ord(":")))
    yield "bad-name-upper", "upper case in ci's name", edit(
        base, lambda b: b.__setitem__(strings_off(b) + u32(b, acc_at(0)), ord("C")))
    yield "bad-string-past-end", "a name longer than the string table", edit(
        base, p32(acc_at(1) + 4, 1000))
    yield "bad-duplicate-uid", "ci and deploy share uid 61000", edit(base, p32(acc_at(0) + 32, 61000))
    yield "bad-accounts-unsorted", "ci and ops swap names", edit(base, lambda b: b.__setitem__(
        slice(acc_at(0), acc_at(0) + 8), bytes(b[acc_at(2):acc_at(2) + 8])) or b.__setitem__(
        slice(acc_at(2), acc_at(2) + 8), bytes(base[acc_at(0):acc_at(0) + 8])))
    yield "bad-window-empty", "deploy's window ends where it starts", edit(
        base, lambda b: struct.pack_into("<q", b, u32(b, 76) + 16 + 8, T - 60))
    yield "bad-private-group-gid", "deploy's private group has another gid", edit(
        base, lambda b: struct.pack_into("<I", b, grp_at(b, 1) + 8, 62555))
    yield "bad-member-of-private-group", "alice a member of deploy's private group", edit(
        base, lambda b: struct.pack_into("<I", b, mem_at(b, 0) + 8, 1))
    yield "bad-member-account-ref", "deploy's membership does not reference deploy", edit(
        base, lambda b: struct.pack_into("<I", b, mem_at(b, 2) + 12, NO_ACCOUNT))
    yield "bad-group-index-other-group", "jit-sudo's index points at a jit-ops membership", edit(
        base, lambda b: struct.pack_into("<I", b, u32(b, 84) + 4 * 2, 1))
    yield "bad-hash-wrong-slot", "deploy's name slot names ci instead", edit(
        base, lambda b: redirect_hash_slot(b, 0, 1, 0))
    yield "bad-hash-missing", "ops' uid slot emptied", edit(base, lambda b: clear_hash_slot(b, 1, 2))
    yield "bad-padding", "a padding byte after the gid index", edit(
        base, lambda b: b.__setitem__(u32(b, 72) + 20, 1))


def write(out_dir, name, why, data):
    lines = ["# %s" % why, "# generated by tests/fuzz/snapshot_seeds.py; %d bytes" % len(data)]
    for i in range(0, len(data), 16):
        lines.append(" ".join("%02x" % x for x in data[i:i + 16]))
    with open(os.path.join(out_dir, name + ".hex"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "snapshot")
    os.makedirs(out_dir, exist_ok=True)
    write(out_dir, "ok-empty", "a valid snapshot with nothing in it", empty())
    write(out_dir, "ok-basic", "granted, scheduled and always accounts, jit groups, "
          "a non-jit member", basic())
    write(out_dir, "ok-many", "40 accounts, half granted with one window", many(40))
    write(out_dir, "ok-superseded", "ok-basic as its writer leaves it once replaced: "
          "state word 'O' (checksum unchanged)",
          edit(basic(), lambda b: b.__setitem__(92, ord("O")), sealed=False))
    for name, why, data in bad_seeds():
        write(out_dir, name, why, data)


if __name__ == "__main__":
    main()
