package dev.canaryrelease.ctl;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetException;
import dev.canaryrelease.fleet.FleetLoader;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code canaryctl}: the operators' client of the gateway. */
@Command(
        name = "canaryctl",
        mixinStandardHelpOptions = true,
        version = "canaryctl 0.1.0",
        description = "Drive and watch the Canary Release Suite's releases through its gateway.",
        footer = {
            "",
            "The gateway and the token come from --gateway/--token, the environment"
                    + " (CANARY_GATEWAY_URL or GATEWAY_URL; CANARY_TOKEN, OPERATOR_TOKEN or"
                    + " VIEWER_TOKEN: `. .canary/env`), or the config file.",
            "Exit codes: 0 done (status: PROMOTED); 1 refused, invalid, or the release ended"
                    + " otherwise; 2 status timed out; 64 usage; 69 gateway unreachable or not"
                    + " ready."
        },
        subcommands = {
            Canaryctl.Releases.class,
            Canaryctl.Get.class,
            Canaryctl.Promote.class,
            Canaryctl.Abort.class,
            Canaryctl.Rollback.class,
            Canaryctl.Pause.class,
            Canaryctl.Resume.class,
            Canaryctl.Retry.class,
            Canaryctl.Deploy.class,
            Canaryctl.History.class,
            Canaryctl.Events.class,
            Canaryctl.Status.class,
            Canaryctl.Lint.class,
            Canaryctl.Completion.class
        })
public final class Canaryctl {
    /** Final states: a release in one of them changes no more. */
    static final Set<String> FINAL =
            Set.of("PROMOTED", "FAILED", "ABORTED", "ROLLED_BACK", "SUPERSEDED");

    @Option(
            names = "--gateway",
            description =
                    "the gateway's URL (default: CANARY_GATEWAY_URL, GATEWAY_URL, config,"
                            + " "
                            + Settings.DEFAULT_GATEWAY
                            + ")",
            scope = CommandLine.ScopeType.INHERIT)
    String gateway;

    @Option(
            names = "--token",
            description =
                    "the API token (default: CANARY_TOKEN, OPERATOR_TOKEN, VIEWER_TOKEN,"
                            + " config)",
            scope = CommandLine.ScopeType.INHERIT)
    String token;

    @Option(
            names = "--config",
            description = "config file (default: CANARYCTL_CONFIG, ~/.config/canaryctl/config)",
            scope = CommandLine.ScopeType.INHERIT)
    Path config;

    @Spec CommandSpec spec;

    private Gateway client;

    Gateway gateway() {
        if (client == null) {
            Settings s = Settings.resolve(gateway, token, config, System.getenv());
            client = new Gateway(s.gateway(), s.token());
        }
        return client;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    public static void main(String[] args) {
        System.exit(
                run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line; the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Canaryctl());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(
                (e, line, parsed) -> {
                    if (e instanceof CtlException c) {
                        err.println("canaryctl: " + c.getMessage());
                        return c.exitCode;
                    }
                    if (e instanceof Gateway.TimedOut) {
                        err.println("canaryctl: timed out");
                        return Exit.TIMEOUT;
                    }
                    throw e;
                });
        cli.setParameterExceptionHandler(
                (e, a) -> {
                    err.println("canaryctl: " + e.getMessage());
                    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
                    err.println(
                            "See '"
                                    + e.getCommandLine().getCommandSpec().qualifiedName()
                                    + " --help'.");
                    return Exit.USAGE;
                });
        return cli.execute(args);
    }

    /** {@code -o json}: the gateway's JSON instead of a table. */
    static final class Output {
        enum Format {
            text,
            json
        }

        @Option(
                names = {"-o", "--output"},
                description = "text (default) or json",
                defaultValue = "text")
        Format format;

        boolean json() {
            return format == Format.json;
        }
    }

    abstract static class Sub implements Callable<Integer> {
        @ParentCommand Canaryctl root;

        Gateway gateway() {
            return root.gateway();
        }

        PrintWriter out() {
            return root.out();
        }

        void json(JsonNode n) {
            try {
                out().println(Gateway.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The release itself, or the newest release of the app of that name. */
        JsonNode release(String releaseOrApp) {
            try {
                return gateway().get("/releases/" + Gateway.encode(releaseOrApp));
            } catch (CtlException notARelease) {
                JsonNode page =
                        gateway().get("/releases", Map.of("app", releaseOrApp, "size", "1"));
                if (page.path("items").isEmpty()) throw notARelease;
                return gateway()
                        .get(
                                "/releases/"
                                        + Gateway.encode(
                                                page.get("items").get(0).get("id").asText()));
            }
        }
    }

    @Command(name = "releases", description = "List releases, newest first.")
    static final class Releases extends Sub {
        @Option(names = "--app", description = "only this app")
        String app;

        @Option(names = "--state", description = "only these states, comma separated")
        String state;

        @Option(names = "--page", defaultValue = "0")
        int page;

        @Option(names = "--size", defaultValue = "20")
        int size;

        @Mixin Output output;

        @Override
        public Integer call() {
            Map<String, String> q = new LinkedHashMap<>();
            q.put("app", app);
            q.put("state", state);
            q.put("page", Integer.toString(page));
            q.put("size", Integer.toString(size));
            JsonNode page = gateway().get("/releases", q);
            if (output.json()) {
                json(page);
            } else {
                Screen.releases(out(), page.path("items"));
                out().printf(
                                "%d of %d release(s), page %d%n",
                                page.path("items").size(), page.path("total").asLong(), this.page);
            }
            return Exit.OK;
        }
    }

    @Command(
            name = "get",
            description =
                    "One release (or an app's newest): phase, hosts with version, LB state and"
                            + " drain/swap/enable times, the last events.")
    static final class Get extends Sub {
        @Parameters(paramLabel = "<release|app>")
        String target;

        @Option(
                names = {"-w", "--watch"},
                description = "redraw at each of the release's events (from the SSE stream)")
        boolean watch;

        @Mixin Output output;

        @Override
        public Integer call() {
            JsonNode r = release(target);
            show(r);
            if (!watch || FINAL.contains(r.path("state").asText())) return Exit.OK;
            String id = r.get("id").asText();
            gateway()
                    .follow(
                            Map.of("release", id),
                            event -> {
                                JsonNode now = gateway().get("/releases/" + Gateway.encode(id));
                                show(now);
                                return !FINAL.contains(now.path("state").asText());
                            },
                            null);
            return Exit.OK;
        }

        private void show(JsonNode r) {
            if (output.json()) {
                json(r);
                return;
            }
            if (watch) out().print("\033[H\033[2J");
            Screen.release(out(), r);
            out().flush();
        }
    }

    abstract static class Verb extends Sub {
        @Parameters(paramLabel = "<release>")
        String release;

        @Option(names = "--reason", description = "why (kept in the audit trail)")
        String reason;

        @Mixin Output output;

        abstract String command();

        /** More fields of the command's body (none by default). */
        Map<String, Object> fields() {
            return Map.of();
        }

        @Override
        public Integer call() {
            JsonNode a = gateway().command(release, command(), reason, fields());
            if (output.json()) {
                json(a);
            } else {
                print(a);
            }
            return Exit.OK;
        }

        /** The sentences of an accepted command. */
        void print(JsonNode a) {
            out().printf(
                            "%s published for release %s by %s (event %s)%n",
                            a.path("type").asText(),
                            a.path("releaseId").asText(),
                            a.path("operator").asText(),
                            a.path("eventId").asText());
        }
    }

    @Command(
            name = "promote",
            description = {
                "Promote a live canary to every host, in the fleet's steps.",
                "--full skips the remaining steps and the bake time (also during a promotion)."
            })
    static final class Promote extends Verb {
        @Option(names = "--full", description = "every host not yet done in one last batch, now")
        boolean full;

        @Override
        String command() {
            return "promote";
        }

        @Override
        Map<String, Object> fields() {
            return full ? Map.of("full", true) : Map.of();
        }
    }

    @Command(name = "abort", description = "Abort a canary or a promotion: every host goes back.")
    static final class Abort extends Verb {
        @Override
        String command() {
            return "abort";
        }
    }

    @Command(
            name = "rollback",
            description = "Roll a promoted release back to the previous version.")
    static final class Rollback extends Verb {
        @Override
        String command() {
            return "rollback";
        }
    }

    @Command(
            name = "pause",
            description =
                    "Pause a promotion between batches: the batch in flight finishes, the next"
                            + " waits for resume (the time paused does not count against the"
                            + " promotion deadline).")
    static final class Pause extends Verb {
        @Override
        String command() {
            return "pause";
        }
    }

    @Command(name = "resume", description = "Resume a paused promotion: its next batch starts.")
    static final class Resume extends Verb {
        @Override
        String command() {
            return "resume";
        }
    }

    @Command(
            name = "retry",
            description =
                    "Start a FAILED release's image again, as a new release (canary first); the"
                            + " failed one stays as it ended.")
    static final class Retry extends Verb {
        @Override
        String command() {
            return "retry";
        }

        @Override
        void print(JsonNode a) {
            out().printf(
                            "%s published by %s (event %s): release %s retries %s with %s%n",
                            a.path("type").asText(),
                            a.path("operator").asText(),
                            a.path("eventId").asText(),
                            a.path("releaseId").asText(),
                            a.path("retryOf").asText(),
                            a.path("digest").asText());
            out().printf("follow it: canaryctl get %s --watch%n", a.path("releaseId").asText());
        }
    }

    @Command(
            name = "deploy",
            description = {
                "Deploy a chosen version of an app: a new release (canary first) of the image a tag"
                        + " or sha256: digest names in the registry, such as an earlier version"
                        + " the registry keeps.",
                "It waits behind a promotion in flight and replaces a canary of another image."
            })
    static final class Deploy extends Sub {
        @Parameters(index = "0", paramLabel = "<app>")
        String app;

        @Parameters(index = "1", paramLabel = "<tag|digest>")
        String ref;

        @Option(names = "--reason", description = "why (kept in the audit trail)")
        String reason;

        @Mixin Output output;

        @Override
        public Integer call() {
            JsonNode a = gateway().deploy(app, ref, reason);
            if (output.json()) {
                json(a);
            } else {
                out().printf(
                                "%s published by %s (event %s): release %s deploys %s%s of %s%n",
                                a.path("type").asText(),
                                a.path("operator").asText(),
                                a.path("eventId").asText(),
                                a.path("releaseId").asText(),
                                a.path("digest").asText(),
                                a.path("tag").isTextual()
                                        ? " (" + a.path("tag").asText() + ")"
                                        : "",
                                a.path("app").asText());
                out().printf("follow it: canaryctl get %s --watch%n", a.path("releaseId").asText());
            }
            return Exit.OK;
        }
    }

    @Command(name = "history", description = "Every release of an app, newest first.")
    static final class History extends Sub {
        @Parameters(paramLabel = "<app>")
        String app;

        @Mixin Output output;

        @Override
        public Integer call() {
            ArrayNode all = Gateway.JSON.createArrayNode();
            for (int page = 0; ; page++) {
                JsonNode p =
                        gateway()
                                .get(
                                        "/releases",
                                        Map.of(
                                                "app",
                                                app,
                                                "page",
                                                Integer.toString(page),
                                                "size",
                                                "200"));
                p.path("items").forEach(all::add);
                if (p.path("items").size() < 200 || all.size() >= p.path("total").asLong()) break;
            }
            if (output.json()) {
                json(all);
            } else if (all.isEmpty()) {
                out().println("no release of " + app);
            } else {
                Screen.releases(out(), all);
            }
            return Exit.OK;
        }
    }

    @Command(
            name = "events",
            description =
                    "A release's events (its timeline), or with --follow the live stream of every"
                            + " event, filtered.")
    static final class Events extends Sub {
        @Option(names = "--release")
        String release;

        @Option(names = "--app")
        String app;

        @Option(names = "--type", description = "event types, comma separated")
        String type;

        @Option(
                names = {"-f", "--follow"},
                description = "keep reading the live stream (SSE)")
        boolean follow;

        @Mixin Output output;

        @Override
        public Integer call() {
            if (!follow) {
                if (release == null) {
                    throw new CtlException(
                            Exit.USAGE,
                            "events needs --release <id> (its timeline), or --follow for the live"
                                    + " stream");
                }
                JsonNode r = gateway().get("/releases/" + Gateway.encode(release));
                for (JsonNode e : r.path("timeline")) print(e);
                return Exit.OK;
            }
            Map<String, String> q = new LinkedHashMap<>();
            q.put("release", release);
            q.put("app", app);
            q.put("type", type);
            gateway()
                    .follow(
                            q,
                            e -> {
                                print(e);
                                out().flush();
                                return true;
                            },
                            null);
            return Exit.OK;
        }

        private void print(JsonNode e) {
            if (output.json()) {
                out().println(e.toString());
            } else {
                out().println(Screen.event(e));
            }
        }
    }

    @Command(
            name = "status",
            description =
                    "Wait for a release to end: exit 0 when PROMOTED (or in --until), 1 when it"
                            + " ended otherwise, 2 at the timeout. A CI step.")
    static final class Status extends Sub {
        @Parameters(paramLabel = "<release>")
        String release;

        @Option(names = "--timeout", defaultValue = "10m", description = "e.g. 90s, 10m, 1h")
        String timeout;

        @Option(
                names = "--until",
                description =
                        "states that count as success, comma separated (default PROMOTED),"
                                + " e.g. CANARY_LIVE")
        String until;

        @Override
        public Integer call() {
            Duration limit = duration(timeout);
            Set<String> success =
                    until == null
                            ? Set.of("PROMOTED")
                            : Set.of(until.toUpperCase(java.util.Locale.ROOT).split("\\s*,\\s*"));
            String[] state = {
                gateway().get("/releases/" + Gateway.encode(release)).path("state").asText()
            };
            if (!done(state[0], success)) {
                try {
                    gateway()
                            .follow(
                                    Map.of("release", release),
                                    e -> {
                                        state[0] =
                                                gateway()
                                                        .get("/releases/" + Gateway.encode(release))
                                                        .path("state")
                                                        .asText();
                                        return !done(state[0], success);
                                    },
                                    limit);
                } catch (Gateway.TimedOut t) {
                    out().printf("release %s is still %s after %s%n", release, state[0], timeout);
                    return Exit.TIMEOUT;
                }
            }
            out().printf("release %s is %s%n", release, state[0]);
            return success.contains(state[0]) ? Exit.OK : Exit.REFUSED;
        }

        private static boolean done(String state, Set<String> success) {
            return success.contains(state) || FINAL.contains(state);
        }
    }

    @Command(name = "lint", description = "Check a fleet file as the services do at start.")
    static final class Lint extends Sub {
        @Parameters(paramLabel = "<fleet.yaml>")
        Path file;

        @Override
        public Integer call() {
            Fleet f;
            try {
                f = FleetLoader.load(file);
            } catch (FleetException e) {
                root.spec.commandLine().getErr().println(e.getMessage());
                return Exit.REFUSED;
            }
            List<String> apps = new ArrayList<>();
            f.apps().forEach(a -> apps.add(a.name()));
            out().printf(
                            "%s is valid: %d host(s) (%d with Docker), %d load balancer(s), app(s) %s%n",
                            file,
                            f.hosts().size(),
                            f.dockerHosts().size(),
                            f.loadBalancers().size(),
                            String.join(", ", apps));
            return Exit.OK;
        }
    }

    @Command(
            name = "completion",
            description = "Print the bash completion script: source <(canaryctl completion)")
    static final class Completion extends Sub {
        @Override
        public Integer call() {
            out().print(AutoComplete.bash("canaryctl", root.spec.commandLine()));
            return Exit.OK;
        }
    }

    /** {@code 90s}, {@code 10m}, {@code 1h}, or ISO-8601 ({@code PT10M}). */
    static Duration duration(String s) {
        try {
            String t = s.strip().toLowerCase(java.util.Locale.ROOT);
            if (t.startsWith("pt")) return Duration.parse(t);
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new CtlException(Exit.USAGE, "--timeout takes 90s, 10m or 1h, not " + s);
        }
    }
}
