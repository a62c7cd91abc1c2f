package ai.sovereign.server.tenancy;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sovereign keys …}: API keys, shown once on stdout when made, stored hashed. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Create, list, revoke and rotate API keys.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class, KeysCommand.Rotate.class})
public final class KeysCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (try --help)");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a key and print it on stdout; it is shown this once and only its SHA-256 is stored.")
    static final class Create implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;
        @Option(names = "--tenant", required = true, paramLabel = "ID")
        String tenant;
        @Option(names = "--scopes", paramLabel = "S,…", description = "inference (default), auditor, admin")
        String scopes = "inference";
        @Option(names = "--name", paramLabel = "LABEL", description = "a label for listings")
        String name;
        @Option(names = "--expires", paramLabel = "DATE", description = "expiry date or instant")
        String expires;
        @Option(names = "--ttl", paramLabel = "DURATION", description = "expire after, e.g. 90d")
        String ttl;

        @Override
        public Integer call() {
            if (expires != null && ttl != null) {
                throw new IllegalArgumentException("give --expires or --ttl, not both");
            }
            Set<ApiKey.Scope> s = EnumSet.noneOf(ApiKey.Scope.class);
            TenancyCli.list(scopes).forEach(x -> s.add(ApiKey.Scope.parse(x)));
            Instant expiry = expires != null ? TenancyCli.instant(expires, "--expires")
                    : ttl != null ? Instant.now().plus(TenancyCli.duration(ttl, "--ttl")) : null;
            try (Tenancy t = store.open()) {
                ApiKey.Issued issued = t.createKey(tenant, s, name, expiry);
                System.err.println("key " + issued.key().lookup() + " for tenant " + tenant + " (" + scopes + "); shown once, store it now");
                System.out.println(issued.secret());
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (never secrets), one JSON object per line.")
    static final class ListKeys implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;
        @Option(names = "--tenant", paramLabel = "ID")
        String tenant;

        @Override
        public Integer call() {
            try (Tenancy t = store.open()) {
                for (ApiKey k : t.keys(tenant)) {
                    System.out.println(TenancyCli.line(TenancyCli.json(k)));
                }
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key now; every instance refuses it from its next request.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;
        @Parameters(paramLabel = "LOOKUP", description = "the key's lookup (the 12 characters after sk-sov-)")
        String lookup;

        @Override
        public Integer call() {
            try (Tenancy t = store.open()) {
                System.out.println(TenancyCli.line(TenancyCli.json(t.revokeKey(lookup))));
            }
            return 0;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Issue a replacement key (same tenant, scopes and expiry) and print it; the old key stops after --grace.")
    static final class Rotate implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;
        @Parameters(paramLabel = "LOOKUP")
        String lookup;
        @Option(names = "--grace", paramLabel = "DURATION", description = "how long the old key keeps working (default 0: stops now)")
        String grace = "0";

        @Override
        public Integer call() {
            Duration g = TenancyCli.duration(grace, "--grace");
            try (Tenancy t = store.open()) {
                ApiKey.Issued issued = t.rotateKey(lookup, g);
                System.err.println("key " + lookup + " replaced by " + issued.key().lookup() + "; shown once, store it now");
                System.out.println(issued.secret());
            }
            return 0;
        }
    }
}
