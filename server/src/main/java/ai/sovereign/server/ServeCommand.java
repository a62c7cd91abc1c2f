package ai.sovereign.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sovereign serve}: the platform, with embedded defaults when no config is given. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Start the platform: the OpenAI-compatible API over the registered models.")
final class ServeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "sovereign.yaml (default: ./sovereign.yaml when present, else embedded defaults)")
    Path config;

    @Option(names = "--port", paramLabel = "N", description = "listen port (default 8080; 0 picks a free one)")
    Integer port;

    @Option(names = "--host", paramLabel = "ADDRESS", description = "listen address (default 127.0.0.1)")
    String host;

    @Option(names = "--model", paramLabel = "NAME=PATH.gguf", description = "register a local model (repeatable)")
    List<String> models = List.of();

    /** Where the config came from, for the ledger's config.loaded entry. */
    private String configSource = "defaults";

    @Override
    public Integer call() throws Exception {
        ServerConfig cfg = loadConfig();
        Map<String, Path> extra = new LinkedHashMap<>();
        for (String m : models) {
            int eq = m.indexOf('=');
            if (eq <= 0 || eq == m.length() - 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--model takes NAME=PATH.gguf, got '" + m + "'");
            }
            extra.put(m.substring(0, eq), Path.of(m.substring(eq + 1)));
        }
        cfg = cfg.withModels(extra);
        if (port != null) {
            cfg = cfg.withPort(port);
        }
        if (host != null) {
            cfg = cfg.withHost(host);
        }
        String listen = cfg.serverOrDefault().hostOrDefault();
        SovereignServer server = new SovereignServer(cfg, configSource);
        if (!isLoopback(listen) && !server.hasKeys()) {
            server.close();
            throw new IllegalArgumentException("listening on " + listen + " requires at least one tenant with an API key "
                    + "(tenants: [{id, api_keys: [{sha256}]}] in sovereign.yaml, or `sovereign keys create` in the tenants store); "
                    + "without one, serve on 127.0.0.1 (the default)");
        }
        if (!server.hasKeys()) {
            Log.warn("no tenants with keys: callers are tenant 'default'; listening on loopback only");
        }
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            Log.info("shutting down: finishing in-flight requests");
            server.close();
        }));
        server.start();
        Log.info("listening on http://" + server.address().getHostString() + ":" + server.address().getPort()
                + " (" + server.models().all().size() + " models registered)");
        System.out.println("http://" + server.address().getHostString() + ":" + server.address().getPort());
        System.out.flush();
        server.join();
        return 0;
    }

    private ServerConfig loadConfig() throws Exception {
        Path file = ServerConfig.locate(config);
        if (file == null) {
            return ServerConfig.DEFAULTS;
        }
        configSource = file.toString();
        return ServerConfig.load(file);
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.equals("::1") || host.equals("[::1]") || host.startsWith("127.");
    }
}
