# Bad input of every kind gets a clear error and changes nothing.
section "bad input"
new_world
start_jitd
expect_exit 2 "duration without a unit" jitctl grant deploy --service sshd --for 15 --reason r
expect_exit 2 "no reason" jitctl grant deploy --service sshd --for 5m
expect_exit 2 "no service" jitctl grant deploy --for 5m --reason r
expect_exit 2 "unknown command" jitctl frobnicate
expect_exit 6 "unmanaged account" jitctl grant alice --service sshd --for 5m --reason r
expect_exit 6 "invalid account name" jitctl grant 'Deploy;rm' --service sshd --for 5m --reason r
expect_exit 6 "invalid service name" jitctl grant deploy --service 'ss hd' --for 5m --reason r
expect_exit 6 "reason with a control character" jitctl grant deploy --service sshd --for 5m --reason $'two\nlines'
expect_exit 6 "longer than max_grant" jitctl grant deploy --service sshd --for 2d --reason r
expect_exit 6 "an end in the past" jitctl grant deploy --service sshd --until 2001-01-01T00:00:00Z --reason r
expect_exit 6 "invalid source" jitctl grant deploy --service sshd --for 5m --source 10.0.0.1/99 --reason r
expect_exit 6 "invalid grant id" jitctl revoke 'g-!!'
expect_output "none of it created a grant" "No grants." jitctl list --all
expect_output "jitd is still serving" "grants in force: 0" jitctl status
end_world

section "jitctl --help"
help_commands() { "$JITCTL" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'; }
expect_output "each command is listed once" "^$" bash -c "$(declare -f help_commands); JITCTL='$JITCTL'; help_commands | sort | uniq -d"
for cmd in $(help_commands); do
    expect_output "jitctl $cmd --help prints its usage" "Usage: jitctl $cmd" "$JITCTL" "$cmd" --help
    expect_exit 0 "  jitctl(1) documents $cmd" grep -q "^\\.SS \"\\?$cmd\\b" man/jitctl.1
    expect_exit 0 "  jitctl(1)'s SYNOPSIS has a line for $cmd" \
        bash -c "sed -n '/^\\.SH SYNOPSIS/,/^\\.SH DESCRIPTION/p' man/jitctl.1 | tr '\\n' ' ' |
            grep -q -E '\\.B jitctl (\\.RI \\[ options \\] )?\\.B $cmd\\b'"
done
