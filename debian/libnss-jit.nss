# Added at the end of each line, after files (and systemd), on install;
# removed again on remove and purge (dh_installnss, like libnss-systemd).
passwd last jit
group last jit
shadow last jit
