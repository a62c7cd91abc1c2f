package ai.sovereign.server.tenancy;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sovereign tenants …}: tenants, their grants, usage export and the idle-grant report, on the store. */
@Command(name = "tenants", mixinStandardHelpOptions = true,
        description = "Manage tenants (organization -> project), their quotas, shares and grants; export usage.",
        subcommands = {TenantsCommand.Create.class, TenantsCommand.Update.class, TenantsCommand.ListTenants.class,
                TenantsCommand.Show.class, TenantsCommand.Delete.class, TenantsCommand.GrantCommand.class,
                TenantsCommand.Usage.class, TenantsCommand.IdleGrants.class})
public final class TenantsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (try --help)");
    }

    /** The fields create and update accept; on update, only those given change. */
    static final class Fields {
        @Option(names = "--jurisdictions", paramLabel = "CC,…", description = "allowed ISO 3166-1 alpha-2 codes, e.g. KR")
        String jurisdictions;
        @Option(names = "--min-tier", paramLabel = "TIER", description = "high, moderate or low")
        String minTier;
        @Option(names = "--pii", paramLabel = "TYPE=ACTION,…", description = "e.g. KR_RRN=block,PHONE_NUMBER=pseudonymize,default=redact")
        String pii;
        @Option(names = "--models", paramLabel = "NAME,…", description = "the models it may use (empty: inherit / every model)")
        String models;
        @Option(names = "--requests-per-minute", paramLabel = "N")
        Long requestsPerMinute;
        @Option(names = "--tokens-per-minute", paramLabel = "N")
        Long tokensPerMinute;
        @Option(names = "--tokens-per-day", paramLabel = "N")
        Long tokensPerDay;
        @Option(names = "--tokens-per-month", paramLabel = "N", description = "per 30 days, sliding")
        Long tokensPerMonth;
        @Option(names = "--max-concurrent", paramLabel = "N")
        Long maxConcurrent;
        @Option(names = "--weight", paramLabel = "W", description = "GPU-share weight (default 1)")
        Integer weight;
        @Option(names = "--priority", paramLabel = "CLASS", description = "high, normal (default) or low")
        String priority;

        Tenant applyTo(Tenant t) {
            Tenant.Quotas q = t.quotas();
            q = new Tenant.Quotas(requestsPerMinute != null ? requestsPerMinute : q.requestsPerMinute(),
                    tokensPerMinute != null ? tokensPerMinute : q.tokensPerMinute(), tokensPerDay != null ? tokensPerDay : q.tokensPerDay(),
                    tokensPerMonth != null ? tokensPerMonth : q.tokensPerMonth(), maxConcurrent != null ? maxConcurrent : q.maxConcurrent());
            return new Tenant(t.id(), t.parent(), jurisdictions != null ? TenancyCli.list(jurisdictions) : t.jurisdictions(),
                    minTier != null ? minTier : t.minTier(), pii != null ? TenancyCli.piiMap(pii) : t.pii(),
                    models != null ? TenancyCli.list(models) : t.models(), q,
                    weight != null ? weight : t.weight(), priority != null ? Tenant.Priority.parse(priority) : t.priority());
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an organization, or a project with --parent. Prints it as JSON.")
    static final class Create implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;
        @Parameters(paramLabel = "ID")
        String id;
        @Option(names = "--parent", paramLabel = "ORG", description = "make a project of this organization")
        String parent;
        @Mixin
        Fields fields;

        @Override
        public Integer call() {
            try (Tenancy t = store.open()) {
                Tenant base = parent == null ? Tenant.organization(id) : Tenant.project(id, parent);
                System.out.println(TenancyCli.line(TenancyCli.json(t.createTenant(fields.applyTo(base)))));
            }
            return 0;
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true, description = "Change a tenant's policy, quotas or share (only the options given).")
    static final class Update implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;
        @Parameters(paramLabel = "ID")
        String id;
        @Mixin
        Fields fields;

        @Override
        public Integer call() {
            try (Tenancy t = store.open()) {
                Tenant old = t.tenant(id).orElseThrow(() -> new IllegalArgumentException("tenant " + id + " does not exist"));
                System.out.println(TenancyCli.line(TenancyCli.json(t.updateTenant(fields.applyTo(old)))));
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tenants, one JSON object per line.")
    static final class ListTenants implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;

        @Override
        public Integer call() {
            try (Tenancy t = store.open()) {
                for (Tenant tenant : t.tenants()) {
                    System.out.println(TenancyCli.line(TenancyCli.json(tenant)));
                }
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a tenant with its keys (never their secrets) and grants.")
    static final class Show implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            try (Tenancy t = store.open()) {
                Tenant tenant = t.tenant(id).orElseThrow(() -> new IllegalArgumentException("tenant " + id + " does not exist"));
                Map<String, Object> m = new LinkedHashMap<>(TenancyCli.json(tenant));
                m.put("keys", t.keys(id).stream().map(TenancyCli::json).toList());
                m.put("grants", t.grants(id).stream().map(TenancyCli::json).toList());
                System.out.println(TenancyCli.line(m));
            }
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a tenant, its keys and grants (an organization's projects first). Usage records stay.")
    static final class Delete implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            try (Tenancy t = store.open()) {
                t.deleteTenant(id);
                System.err.println("deleted tenant " + id);
            }
            return 0;
        }
    }

    @Command(name = "grant", mixinStandardHelpOptions = true,
            description = "Grant a model (or * for all) to a tenant from one date to another. Once a tenant has grants, only granted models are admitted.")
    static final class GrantCommand implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;
        @Mixin
        TenancyCli.StoreOptions store;
        @Parameters(paramLabel = "ID", description = "the tenant")
        String id;
        @Option(names = "--model", paramLabel = "NAME", description = "a model name, or * for every model")
        String model;
        @Option(names = "--from", paramLabel = "DATE")
        String from;
        @Option(names = "--to", paramLabel = "DATE", description = "exclusive")
        String to;
        @Option(names = "--revoke", paramLabel = "GRANT", description = "remove this grant of the tenant instead")
        String revoke;

        @Override
        public Integer call() {
            try (Tenancy t = store.open()) {
                if (revoke != null) {
                    if (t.grants(id).stream().noneMatch(g -> g.id().equals(revoke))) {
                        throw new IllegalArgumentException("tenant " + id + " has no grant " + revoke);
                    }
                    t.removeGrant(revoke);
                    System.err.println("removed grant " + revoke);
                } else {
                    if (model == null || from == null || to == null) {
                        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--model, --from and --to are required (or --revoke GRANT)");
                    }
                    Grant g = t.addGrant(id, model, TenancyCli.instant(from, "--from"), TenancyCli.instant(to, "--to"));
                    System.out.println(TenancyCli.line(TenancyCli.json(g)));
                }
            }
            return 0;
        }
    }

    /** The shared period and format options of the reports. */
    static final class Period {
        @Option(names = "--from", paramLabel = "DATE", description = "start, inclusive (default: 30 days ago)")
        String from;
        @Option(names = "--to", paramLabel = "DATE", description = "end, exclusive (default: now)")
        String to;
        @Option(names = "--format", paramLabel = "FMT", description = "csv (default) or json (one object per line)")
        String format = "csv";

        Instant fromOrDefault() {
            return from == null ? Instant.now().minus(30, ChronoUnit.DAYS) : TenancyCli.instant(from, "--from");
        }

        Instant toOrDefault() {
            return to == null ? Instant.now() : TenancyCli.instant(to, "--to");
        }

        boolean json() {
            return switch (format) {
                case "json" -> true;
                case "csv" -> false;
                default -> throw new IllegalArgumentException("--format '" + format + "' is not csv or json");
            };
        }
    }

    @Command(name = "usage", mixinStandardHelpOptions = true,
            description = "Usage rollups per tenant, model, node and UTC day: requests, tokens in/out, time, energy. An organization includes its projects.")
    static final class Usage implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;
        @Mixin
        Period period;
        @Option(names = "--tenant", paramLabel = "ID")
        String tenant;

        @Override
        public Integer call() {
            boolean json = period.json();
            try (Tenancy t = store.open()) {
                List<Metering.Rollup> rows = t.usage(period.fromOrDefault(), period.toOrDefault(), tenant);
                if (!json) {
                    System.out.println("day,tenant,model,node,requests,tokens_in,tokens_out,duration_ms,energy_joules");
                }
                for (Metering.Rollup r : rows) {
                    if (json) {
                        System.out.println(TenancyCli.line(r.fields()));
                    } else {
                        System.out.println(String.join(",", r.day().toString(), TenancyCli.csv(r.tenant()), TenancyCli.csv(r.model()),
                                TenancyCli.csv(r.node()), Long.toString(r.requests()), Long.toString(r.tokensIn()), Long.toString(r.tokensOut()),
                                Long.toString(r.durationMillis()), String.format(java.util.Locale.ROOT, "%.3f", r.energyJoules())));
                    }
                }
            }
            return 0;
        }
    }

    @Command(name = "idle-grants", mixinStandardHelpOptions = true,
            description = "Grants whose tenants used less than a fraction of their share (weight over the weights of all grants of the model) of the model's served tokens.")
    static final class IdleGrants implements Callable<Integer> {
        @Mixin
        TenancyCli.StoreOptions store;
        @Mixin
        Period period;
        @Option(names = "--below", paramLabel = "FRACTION", description = "report grants below this fraction of their share (default 0.25)")
        double below = 0.25;

        @Override
        public Integer call() {
            boolean json = period.json();
            try (Tenancy t = store.open()) {
                if (!json) {
                    System.out.println("grant,tenant,model,starts_at,ends_at,share,tokens_used,tokens_served,used_of_share");
                }
                for (Metering.IdleGrant i : t.idleGrants(period.fromOrDefault(), period.toOrDefault(), below)) {
                    Grant g = i.grant();
                    if (json) {
                        System.out.println(TenancyCli.line(i.fields()));
                    } else {
                        System.out.println(String.join(",", g.id(), g.tenant(), TenancyCli.csv(g.model()), g.startsAt().toString(),
                                g.endsAt().toString(), String.format(java.util.Locale.ROOT, "%.4f", i.share()), Long.toString(i.tokensUsed()),
                                Long.toString(i.tokensServed()), String.format(java.util.Locale.ROOT, "%.4f", i.usedOfShare())));
                    }
                }
            }
            return 0;
        }
    }
}
