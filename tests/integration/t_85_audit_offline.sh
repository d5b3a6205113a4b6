# jitctl audit verify, prove and consistency: offline, on logs written by the
# audit library (tests/helpers/audit_mklog), no jitd involved.  A tampered
# copy names its first bad record; a cut tail is caught against an anchor.
section "audit: offline verify, prove, consistency"
AUDIT_DIR=$(mktemp -d /tmp/jit-audit.XXXXXX)
"$PWD/$BUILD/tests/helpers/audit_mklog" "$AUDIT_DIR" 1000 100
A=$AUDIT_DIR
VKEY=$(cat "$A/vkey")
expect_output "an untouched log verifies" "^audit log intact: records 0\.\.999 \(1000 MACs checked\), 10 checkpoint" \
    "$JITCTL" audit verify --key "$A/audit.key" "$A/audit.jsonl"
expect_exit 0 "  and exits 0" "$JITCTL" audit verify --key "$A/audit.key" "$A/audit.jsonl"
expect_exit 0 "standard input, and --json" bash -c \
    "'$JITCTL' --json audit verify --key '$A/audit.key' - <'$A/audit.jsonl' | jq -e '.intact and .records == 1000'"
sed 's/"deploy5"/"deploy6"/' "$A/audit.jsonl" >"$A/changed.jsonl"
expect_output "a changed field: the first bad record is named, with the reason" \
    "NOT intact: first bad record at .*changed.jsonl:6: record 5: bad MAC" \
    "$JITCTL" audit verify --key "$A/audit.key" "$A/changed.jsonl"
expect_exit 1 "  and exits 1" "$JITCTL" audit verify --key "$A/audit.key" "$A/changed.jsonl"
grep -v '"seq":500,' "$A/audit.jsonl" >"$A/deleted.jsonl"
expect_output "a deleted record: the gap is named" "record 501: seq gap: expected record 500" \
    "$JITCTL" audit verify --key "$A/audit.key" "$A/deleted.jsonl"
head -n 1000 "$A/audit.jsonl" >"$A/cut.jsonl"   # records 0..990 and 9 checkpoints
expect_exit 0 "a cut tail verifies without an anchor (undetectable, as documented)" \
    "$JITCTL" audit verify --key "$A/audit.key" "$A/cut.jsonl"
expect_output "  and says how many records no checkpoint covers" "91 record\(s\) after the last checkpoint" \
    "$JITCTL" audit verify --key "$A/audit.key" "$A/cut.jsonl"
expect_output "against the last checkpoint kept elsewhere, it is named as truncated" \
    "NOT intact: .*the end of the input: truncated: the log ends at size 991, and an anchor has size 1000" \
    "$JITCTL" audit verify --key "$A/audit.key" --anchor "$A/last.note" "$A/cut.jsonl"
expect_output "the whole log matches that anchor" "matches 1 anchor" \
    "$JITCTL" audit verify --key "$A/audit.key" --anchor "$A/last.note" "$A/audit.jsonl"
expect_exit 0 "segment files in order verify as one log" bash -c \
    "head -n 500 '$A/audit.jsonl' >'$A/seg1'; tail -n +501 '$A/audit.jsonl' >'$A/seg2';
     '$JITCTL' audit verify --key '$A/audit.key' '$A/seg1' '$A/seg2'"
expect_exit 1 "  out of order they do not" "$JITCTL" audit verify --key "$A/audit.key" "$A/seg2" "$A/seg1"
mkdir "$A/other" && "$PWD/$BUILD/tests/helpers/audit_mklog" "$A/other" 1000 100
expect_exit 1 "another log's key finds every MAC bad" \
    "$JITCTL" audit verify --key "$A/other/audit.key" "$A/audit.jsonl"
expect_exit 2 "verify without --key is a usage error" "$JITCTL" audit verify "$A/audit.jsonl"
expect_output "prove: record 123 is in the log the last checkpoint signs" \
    "proven: record 123 is in the log that jitd/mklog.example signed at size 1000" \
    "$JITCTL" audit prove 123 --vkey "$VKEY" "$A/audit.jsonl"
expect_exit 0 "  --json gives the proof, and it checks out with --size" bash -c \
    "'$JITCTL' --json audit prove 123 --size 200 --key '$A/audit.key' '$A/audit.jsonl' |
     jq -e '.verified and .tree_size == 200 and (.proof | length) == 8'"
expect_exit 5 "prove of a record past the input: not found" \
    "$JITCTL" audit prove 5000 --vkey "$VKEY" "$A/audit.jsonl"
expect_exit 1 "prove over a changed log: the checkpoint does not match" \
    "$JITCTL" audit prove 7 --vkey "$VKEY" "$A/changed.jsonl"
expect_output "consistency between two checkpoint sizes" "^consistency proof from size 100 to 1000 \(9 hashes\)" \
    "$JITCTL" audit consistency 100 1000 --vkey "$VKEY" "$A/audit.jsonl"
expect_exit 0 "consistency from a checkpoint file held elsewhere" \
    "$JITCTL" audit consistency "$A/first.note" 1000 --key "$A/audit.key" "$A/audit.jsonl"
expect_exit 1 "a checkpoint of another log is not accepted" \
    "$JITCTL" audit consistency "$A/other/first.note" 1000 --key "$A/audit.key" "$A/audit.jsonl"
expect_output "a segment whose older ones were pruned verifies from its tree state" \
    "^audit log intact: records 500\.\.999 \(500 MACs checked\), 5 checkpoint" \
    "$JITCTL" audit verify --key "$A/audit.key" "$A/tail.jsonl"
expect_output "  and proves its records" "proven: record 700 is in the log .* at size 1000" \
    "$JITCTL" audit prove 700 --vkey "$VKEY" "$A/tail.jsonl"
expect_exit 5 "  but not the pruned ones" "$JITCTL" audit prove 100 --vkey "$VKEY" "$A/tail.jsonl"
expect_exit 0 "  and consistency between its checkpoints" \
    "$JITCTL" audit consistency 600 1000 --vkey "$VKEY" "$A/tail.jsonl"
rm -rf "$AUDIT_DIR"
