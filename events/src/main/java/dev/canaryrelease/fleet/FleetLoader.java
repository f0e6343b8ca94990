package dev.canaryrelease.fleet;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import dev.canaryrelease.fleet.Fleet.Analysis;
import dev.canaryrelease.fleet.Fleet.App;
import dev.canaryrelease.fleet.Fleet.BuildLimits;
import dev.canaryrelease.fleet.Fleet.Dns;
import dev.canaryrelease.fleet.Fleet.Docker;
import dev.canaryrelease.fleet.Fleet.Driver;
import dev.canaryrelease.fleet.Fleet.Git;
import dev.canaryrelease.fleet.Fleet.Host;
import dev.canaryrelease.fleet.Fleet.LatencyIncrease;
import dev.canaryrelease.fleet.Fleet.LoadBalancer;
import dev.canaryrelease.fleet.Fleet.Registry;
import dev.canaryrelease.fleet.Fleet.Role;
import dev.canaryrelease.fleet.Fleet.Rollout;
import dev.canaryrelease.fleet.Fleet.Ssh;
import dev.canaryrelease.fleet.Fleet.Tls;
import dev.canaryrelease.fleet.Fleet.UrlRewrite;

/**
 * Loads and validates a fleet YAML file. Every problem is reported at once, each as {@code
 * file:line: field.path: problem}; unknown keys are problems too (a typo must not be ignored).
 */
public final class FleetLoader {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern DOMAIN =
            Pattern.compile(
                    "([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9.\\-\\[\\]:]+:(\\d{1,5})");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern STEP = Pattern.compile("(\\d+)(%?)");

    private final Path file;
    private final Path dir;
    private final List<String> problems = new ArrayList<>();

    private FleetLoader(Path file) {
        this.file = file.toAbsolutePath().normalize();
        this.dir = this.file.getParent();
    }

    /** Loads and validates {@code file}. */
    public static Fleet load(Path file) {
        return new FleetLoader(file).read();
    }

    private Fleet read() {
        Node root;
        try (Reader r = Files.newBufferedReader(file)) {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new Yaml(options).compose(r);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new FleetException(
                    file.toString(),
                    List.of(file + ":" + line + ": not valid YAML: " + e.getProblem()));
        } catch (IOException e) {
            throw new FleetException(
                    file.toString(), List.of(file + ": cannot read: " + e.getMessage()));
        }
        if (!(root instanceof MappingNode)) {
            throw new FleetException(
                    file.toString(), List.of(file + ":1: the fleet must be a YAML mapping"));
        }
        Map<String, NodeTuple> top =
                keys(
                        root,
                        "",
                        "domain",
                        "registry",
                        "dns",
                        "git",
                        "build",
                        "hosts",
                        "loadBalancers",
                        "apps",
                        "rollout");

        String domain = str(top, "", "domain", null, true);
        if (domain != null && !DOMAIN.matcher(domain).matches()) {
            problem(
                    top.get("domain").getValueNode(),
                    "domain",
                    "'" + domain + "' is not a DNS name");
        }
        Registry registry = registry(top.get("registry"));
        Dns dns = dns(top.get("dns"), domain);
        Git git = git(top.get("git"));
        List<Host> hosts = hosts(top.get("hosts"));
        List<LoadBalancer> lbs = loadBalancers(top.get("loadBalancers"));
        List<App> apps = apps(top.get("apps"));
        Rollout rollout = rollout(top.get("rollout"), hosts);
        String buildHost = buildHost(top.get("build"), hosts);

        if (!problems.isEmpty()) {
            throw new FleetException(file.toString(), problems);
        }
        return new Fleet(file, domain, registry, dns, git, buildHost, hosts, lbs, apps, rollout);
    }

    // ---- sections -------------------------------------------------------------------------

    private Registry registry(NodeTuple t) {
        if (t == null) {
            problems.add(file + ":1: registry: missing (address of the Docker registry)");
            return null;
        }
        Map<String, NodeTuple> m = keys(t.getValueNode(), "registry", "address", "url", "ca");
        String address = str(m, "registry", "address", null, true);
        if (address != null && !HOST_PORT.matcher(address).matches()) {
            problem(
                    m.get("address").getValueNode(),
                    "registry.address",
                    "'" + address + "' is not host:port");
        }
        String url = str(m, "registry", "url", address == null ? null : "http://" + address, false);
        if (url != null && !url.matches("https?://.+")) {
            problem(
                    m.get("url").getValueNode(),
                    "registry.url",
                    "'" + url + "' is not an http(s) URL");
        }
        Path ca = existingFile(m, "registry", "ca", false);
        return new Registry(address, url == null ? null : stripSlash(url), ca);
    }

    private Dns dns(NodeTuple t, String domain) {
        if (t == null) {
            return new Dns("bind", domain, null, null, 30, "/etc/hosts");
        }
        Map<String, NodeTuple> m =
                keys(
                        t.getValueNode(),
                        "dns",
                        "backend",
                        "zone",
                        "server",
                        "tsig",
                        "ttl",
                        "hostsFile");
        String backend = str(m, "dns", "backend", "bind", false);
        if (!List.of("bind", "hosts-file").contains(backend)) {
            problem(
                    m.get("backend").getValueNode(),
                    "dns.backend",
                    "'" + backend + "' is not one of bind, hosts-file");
        }
        String zone = str(m, "dns", "zone", domain, false);
        String server = str(m, "dns", "server", null, "bind".equals(backend));
        if (server != null && !HOST_PORT.matcher(server).matches()) {
            problem(
                    m.get("server").getValueNode(),
                    "dns.server",
                    "'" + server + "' is not host:port");
        }
        Fleet.Tsig tsig = null;
        if (m.containsKey("tsig")) {
            Map<String, NodeTuple> k =
                    keys(
                            m.get("tsig").getValueNode(),
                            "dns.tsig",
                            "name",
                            "algorithm",
                            "secretFile");
            String name = str(k, "dns.tsig", "name", null, true);
            String alg = str(k, "dns.tsig", "algorithm", "hmac-sha256", false);
            if (!List.of("hmac-sha256", "hmac-sha512", "hmac-sha384", "hmac-sha224", "hmac-sha1")
                    .contains(alg)) {
                problem(
                        k.get("algorithm").getValueNode(),
                        "dns.tsig.algorithm",
                        "'"
                                + alg
                                + "' is not a supported TSIG algorithm (hmac-sha256, hmac-sha512, …)");
            }
            Path secret = existingFile(k, "dns.tsig", "secretFile", true);
            tsig = new Fleet.Tsig(name, alg, secret);
        } else if ("bind".equals(backend)) {
            problem(
                    t.getValueNode(),
                    "dns.tsig",
                    "missing: dynamic updates must be signed with a TSIG key");
        }
        int ttl = integer(m, "dns", "ttl", 30, 1, 86400);
        String hostsFile = str(m, "dns", "hostsFile", "/etc/hosts", false);
        return new Dns(backend, zone, server, tsig, ttl, hostsFile);
    }

    private Git git(NodeTuple t) {
        if (t == null) {
            return new Git(List.of(), null, Git.DEFAULT_URL);
        }
        Map<String, NodeTuple> m = keys(t.getValueNode(), "git", "urlRewrites", "tokenFile", "url");
        String url = str(m, "git", "url", Git.DEFAULT_URL, false);
        if (!url.matches("(https?|file|ssh)://[^\\s]+")) {
            problem(
                    m.get("url").getValueNode(),
                    "git.url",
                    "'" + url + "' is not an http(s), ssh or file URL");
        } else if (url.matches("[a-z]+://[^/@]*@.*")) {
            problem(
                    m.get("url").getValueNode(),
                    "git.url",
                    "must not hold credentials (use git.tokenFile)");
        }
        if (!url.endsWith("/")) {
            url = url + "/";
        }
        List<UrlRewrite> rewrites = new ArrayList<>();
        if (m.containsKey("urlRewrites")) {
            List<Node> items = seq(m.get("urlRewrites").getValueNode(), "git.urlRewrites");
            for (int i = 0; i < items.size(); i++) {
                String p = "git.urlRewrites[" + i + "]";
                Map<String, NodeTuple> r = keys(items.get(i), p, "insteadOf", "url");
                rewrites.add(
                        new UrlRewrite(
                                str(r, p, "insteadOf", null, true), str(r, p, "url", null, true)));
            }
        }
        return new Git(List.copyOf(rewrites), existingFile(m, "git", "tokenFile", false), url);
    }

    private List<Host> hosts(NodeTuple t) {
        if (t == null) {
            problems.add(file + ":1: hosts: missing (the machines of the fleet)");
            return List.of();
        }
        List<Node> items = seq(t.getValueNode(), "hosts");
        List<Host> hosts = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String p = "hosts[" + i + "]";
            Map<String, NodeTuple> m = keys(items.get(i), p, "name", "address", "role", "docker");
            String name = str(m, p, "name", null, true);
            if (name != null) {
                p = "hosts[" + i + "](" + name + ")";
                if (!LABEL.matcher(name).matches()) {
                    problem(
                            m.get("name").getValueNode(),
                            p + ".name",
                            "'" + name + "' is not a DNS label");
                }
                if (!names.add(name)) {
                    problem(
                            m.get("name").getValueNode(),
                            p + ".name",
                            "host '" + name + "' is defined twice");
                }
            }
            String address = str(m, p, "address", null, true);
            Optional<Docker> docker =
                    m.containsKey("docker")
                            ? Optional.ofNullable(docker(m.get("docker"), p))
                            : Optional.empty();
            String roleText = str(m, p, "role", docker.isPresent() ? "production" : "infra", false);
            Role role = null;
            try {
                role = Role.valueOf(roleText.toUpperCase());
            } catch (IllegalArgumentException e) {
                problem(
                        m.get("role").getValueNode(),
                        p + ".role",
                        "'" + roleText + "' is not one of canary, production, infra");
            }
            hosts.add(new Host(name, address, role, docker));
        }
        return List.copyOf(hosts);
    }

    private Docker docker(NodeTuple t, String host) {
        String p = host + ".docker";
        Map<String, NodeTuple> m = keys(t.getValueNode(), p, "driver", "endpoint", "tls", "ssh");
        String driverText = str(m, p, "driver", "docker-api", false);
        Driver driver;
        switch (driverText) {
            case "docker-api" -> driver = Driver.DOCKER_API;
            case "ssh" -> driver = Driver.SSH;
            default -> {
                problem(
                        m.get("driver").getValueNode(),
                        p + ".driver",
                        "'" + driverText + "' is not one of docker-api, ssh");
                return null;
            }
        }
        String endpoint = str(m, p, "endpoint", null, driver == Driver.DOCKER_API);
        if (endpoint != null && !endpoint.matches("(tcp://[^/]+:\\d+|unix:///.+)")) {
            problem(
                    m.get("endpoint").getValueNode(),
                    p + ".endpoint",
                    "'" + endpoint + "' is not tcp://host:port or unix:///path");
        }
        Optional<Tls> tls = Optional.empty();
        if (m.containsKey("tls")) {
            Map<String, NodeTuple> k =
                    keys(m.get("tls").getValueNode(), p + ".tls", "ca", "cert", "key");
            tls =
                    Optional.of(
                            new Tls(
                                    existingFile(k, p + ".tls", "ca", true),
                                    existingFile(k, p + ".tls", "cert", true),
                                    existingFile(k, p + ".tls", "key", true)));
        } else if (driver == Driver.DOCKER_API
                && endpoint != null
                && endpoint.startsWith("tcp://")) {
            problem(
                    t.getValueNode(),
                    p + ".tls",
                    "missing: a tcp:// Docker endpoint needs TLS client certificates (ca, cert, key)");
        }
        Optional<Ssh> ssh = Optional.empty();
        if (m.containsKey("ssh")) {
            String sp = p + ".ssh";
            Map<String, NodeTuple> k =
                    keys(
                            m.get("ssh").getValueNode(),
                            sp,
                            "host",
                            "port",
                            "user",
                            "privateKey",
                            "knownHosts");
            ssh =
                    Optional.of(
                            new Ssh(
                                    str(k, sp, "host", null, true),
                                    integer(k, sp, "port", 22, 1, 65535),
                                    str(k, sp, "user", "root", false),
                                    existingFile(k, sp, "privateKey", true),
                                    existingFile(k, sp, "knownHosts", true)));
        } else if (driver == Driver.SSH) {
            problem(
                    t.getValueNode(),
                    p + ".ssh",
                    "missing: the ssh driver needs host, privateKey and knownHosts");
        }
        return new Docker(driver, endpoint, tls, ssh);
    }

    private List<LoadBalancer> loadBalancers(NodeTuple t) {
        if (t == null) {
            return List.of();
        }
        List<Node> items = seq(t.getValueNode(), "loadBalancers");
        List<LoadBalancer> lbs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String p = "loadBalancers[" + i + "]";
            Map<String, NodeTuple> m = keys(items.get(i), p, "name", "runtimeApi", "frontend");
            String name = str(m, p, "name", null, true);
            if (name != null && !names.add(name)) {
                problem(
                        m.get("name").getValueNode(),
                        p + ".name",
                        "load balancer '" + name + "' is defined twice");
            }
            String api = str(m, p, "runtimeApi", null, true);
            if (api != null && !api.matches("(unix://)?/.+|ipv4@[^:]+:\\d+")) {
                problem(
                        m.get("runtimeApi").getValueNode(),
                        p + ".runtimeApi",
                        "'" + api + "' is not unix:///path or ipv4@host:port");
            }
            String frontend = str(m, p, "frontend", null, false);
            lbs.add(new LoadBalancer(name, api, frontend));
        }
        return List.copyOf(lbs);
    }

    private List<App> apps(NodeTuple t) {
        if (t == null) {
            return List.of();
        }
        List<Node> items = seq(t.getValueNode(), "apps");
        List<App> apps = new ArrayList<>();
        Map<Integer, String> ports = new HashMap<>();
        Set<String> names = new HashSet<>();
        // what each app must have to itself: the services find an app by its repository and
        // branch (webhooks, builds) and by its image (registry notifications), and deploy-service
        // and lb-service own its container and backend by name
        Map<String, String> repositories = new HashMap<>();
        Map<String, String> images = new HashMap<>();
        Map<String, String> containers = new HashMap<>();
        Map<String, String> backends = new HashMap<>();
        List<Node> containerNodes = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String p = "apps[" + i + "]";
            Map<String, NodeTuple> m =
                    keys(
                            items.get(i),
                            p,
                            "name",
                            "repository",
                            "branch",
                            "image",
                            "container",
                            "port",
                            "healthPath",
                            "dockerfile",
                            "context",
                            "backend",
                            "env",
                            "releaseByPush",
                            "build",
                            "startGrace",
                            "analysis");
            String name = str(m, p, "name", null, true);
            if (name != null) {
                p = "apps[" + i + "](" + name + ")";
                if (!LABEL.matcher(name).matches()) {
                    problem(
                            m.get("name").getValueNode(),
                            p + ".name",
                            "'" + name + "' is not a DNS label");
                }
                if (!names.add(name)) {
                    problem(
                            m.get("name").getValueNode(),
                            p + ".name",
                            "app '" + name + "' is defined twice");
                }
            }
            String repo = str(m, p, "repository", null, true);
            if (repo != null && !repo.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")) {
                problem(
                        m.get("repository").getValueNode(),
                        p + ".repository",
                        "'" + repo + "' is not a GitHub owner/name");
            }
            int port = integer(m, p, "port", 3000, 1, 65535);
            String other = ports.putIfAbsent(port, name);
            if (other != null) {
                problem(
                        m.containsKey("port") ? m.get("port").getValueNode() : items.get(i),
                        p + ".port",
                        "port " + port + " is already used by app '" + other + "'");
            }
            String health = str(m, p, "healthPath", "/health", false);
            if (!health.startsWith("/")) {
                problem(
                        m.get("healthPath").getValueNode(),
                        p + ".healthPath",
                        "'" + health + "' must start with /");
            }
            Map<String, String> env = new LinkedHashMap<>();
            if (m.containsKey("env")) {
                Node en = m.get("env").getValueNode();
                if (en instanceof MappingNode mn) {
                    for (NodeTuple e : mn.getValue()) {
                        env.put(scalar(e.getKeyNode()), scalar(e.getValueNode()));
                    }
                } else {
                    problem(en, p + ".env", "must be a mapping of NAME: value");
                }
            }
            String branch = str(m, p, "branch", "main", false);
            String image = str(m, p, "image", name, false);
            String container = str(m, p, "container", name, false);
            String backend = str(m, p, "backend", name, false);
            Node at = items.get(i);
            ownBy(
                    repositories,
                    repo == null ? null : repo.toLowerCase(Locale.ROOT) + " " + branch,
                    name,
                    m,
                    "repository",
                    p,
                    at,
                    "branch " + branch + " of repository " + repo);
            ownBy(images, image, name, m, "image", p, at, "image " + image);
            ownBy(containers, container, name, m, "container", p, at, "container " + container);
            ownBy(backends, backend, name, m, "backend", p, at, "backend " + backend);
            containerNodes.add(m.containsKey("container") ? m.get("container").getValueNode() : at);
            apps.add(
                    new App(
                            name,
                            repo,
                            branch,
                            image,
                            container,
                            port,
                            health,
                            str(m, p, "dockerfile", "Dockerfile", false),
                            str(m, p, "context", ".", false),
                            backend,
                            Map.copyOf(env),
                            releaseByPush(m, p),
                            buildLimits(m.get("build"), p + ".build"),
                            duration(m, p, "startGrace", App.DEFAULT_START_GRACE),
                            analysis(m.get("analysis"), p + ".analysis")));
        }
        // deploy-service keeps an app's previous containers as <container>-<12 hex digits>: no
        // other app's container may look like one of them (its swap would take it for its own)
        for (int i = 0; i < apps.size(); i++) {
            for (App other : apps) {
                String c = apps.get(i).container();
                if (c != null
                        && other != apps.get(i)
                        && other.container() != null
                        && c.startsWith(other.container() + "-")
                        && RETAINED_SUFFIX
                                .matcher(c.substring(other.container().length()))
                                .matches()) {
                    problem(
                            containerNodes.get(i),
                            "apps[" + i + "](" + apps.get(i).name() + ").container",
                            "'"
                                    + c
                                    + "' is the name deploy-service gives a retained container of"
                                    + " app '"
                                    + other.name()
                                    + "' ("
                                    + other.container()
                                    + "-<12 hex digits>)");
                }
            }
        }
        return List.copyOf(apps);
    }

    /** A retained container's suffix after the app's container name (deploy-service's). */
    private static final Pattern RETAINED_SUFFIX = Pattern.compile("-[0-9a-f]{12}");

    /**
     * Records that app {@code name} has {@code value} (its {@code field}); a second app with the
     * same value is a problem naming the first.
     */
    private void ownBy(
            Map<String, String> owners,
            String value,
            String name,
            Map<String, NodeTuple> m,
            String field,
            String p,
            Node app,
            String what) {
        if (value == null || name == null) return;
        String other = owners.putIfAbsent(value, name);
        if (other != null) {
            problem(
                    m.containsKey(field) ? m.get(field).getValueNode() : app,
                    p + "." + field,
                    what + " is already used by app '" + other + "' (each app needs its own)");
        }
    }

    /** {@code releaseByPush: [user, ...]}: registry user names (htpasswd), default nobody. */
    private List<String> releaseByPush(Map<String, NodeTuple> m, String p) {
        if (!m.containsKey("releaseByPush")) {
            return List.of();
        }
        List<Node> items = seq(m.get("releaseByPush").getValueNode(), p + ".releaseByPush");
        List<String> users = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String user = scalar(items.get(i));
            if (!user.matches("[A-Za-z0-9][A-Za-z0-9_.@-]*")) {
                problem(
                        items.get(i),
                        p + ".releaseByPush[" + i + "]",
                        "'" + user + "' is not a registry user name");
            } else {
                users.add(user);
            }
        }
        return List.copyOf(users);
    }

    private static final Pattern PERCENT = Pattern.compile("(\\d{1,3}(\\.\\d{1,3})?)%");

    /**
     * {@code apps[].analysis}: interval, minRequests, maxErrorRate (a percentage),
     * maxLatencyIncrease (a duration or a percentage), failureLimit; each has a default, and {@code
     * analysis: {}} takes them all.
     */
    private Optional<Analysis> analysis(NodeTuple t, String p) {
        if (t == null) {
            return Optional.empty();
        }
        Map<String, NodeTuple> m =
                keys(
                        t.getValueNode(),
                        p,
                        "interval",
                        "minRequests",
                        "maxErrorRate",
                        "maxLatencyIncrease",
                        "failureLimit",
                        "weights");
        Duration interval = duration(m, p, "interval", Analysis.DEFAULT_INTERVAL);
        if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
            problem(
                    m.get("interval").getValueNode(),
                    p + ".interval",
                    interval.toMillis() + "ms is too short: a window needs at least 1s of traffic");
            interval = Analysis.DEFAULT_INTERVAL;
        }
        int minRequests = integer(m, p, "minRequests", Analysis.DEFAULT_MIN_REQUESTS, 1, 1_000_000);
        double maxErrorRate = Analysis.DEFAULT_MAX_ERROR_RATE;
        String rate = str(m, p, "maxErrorRate", null, false);
        if (rate != null) {
            Double v = percentage(rate);
            if (v == null || v > 1) {
                problem(
                        m.get("maxErrorRate").getValueNode(),
                        p + ".maxErrorRate",
                        "'" + rate + "' is not a percentage from 0% to 100% such as 1% or 0.5%");
            } else {
                maxErrorRate = v;
            }
        }
        LatencyIncrease increase = Analysis.DEFAULT_MAX_LATENCY_INCREASE;
        String inc = str(m, p, "maxLatencyIncrease", null, false);
        if (inc != null) {
            Double share = percentage(inc);
            Matcher dm = DURATION.matcher(inc);
            if (share != null && share > 0) {
                increase = LatencyIncrease.share(share);
            } else if (dm.matches()
                    && !dm.group(2).equals("h")
                    && Long.parseLong(dm.group(1)) > 0) {
                long n = Long.parseLong(dm.group(1));
                increase =
                        LatencyIncrease.millis(
                                switch (dm.group(2)) {
                                    case "s" -> n * 1000;
                                    case "m" -> n * 60_000;
                                    default -> n;
                                });
            } else {
                problem(
                        m.get("maxLatencyIncrease").getValueNode(),
                        p + ".maxLatencyIncrease",
                        "'"
                                + inc
                                + "' is neither a duration above 0 such as 100ms or 1s nor a"
                                + " percentage of the baseline's median such as 25%");
            }
        }
        int failureLimit = integer(m, p, "failureLimit", Analysis.DEFAULT_FAILURE_LIMIT, 1, 1000);
        return Optional.of(
                new Analysis(
                        interval,
                        minRequests,
                        maxErrorRate,
                        increase,
                        failureLimit,
                        weights(m.get("weights"), p + ".weights")));
    }

    /**
     * {@code apps[].analysis.weights}: the canary's share of the backend's traffic at each weighted
     * step, percentages from 1% to 99% such as {@code [5%, 25%]}, each above the one before (a step
     * gives the canary more traffic, never less); at most 10 steps.
     */
    private List<Double> weights(NodeTuple t, String p) {
        if (t == null) {
            return List.of();
        }
        List<Node> items = seq(t.getValueNode(), p);
        if (t.getValueNode() instanceof SequenceNode && items.isEmpty()) {
            problem(
                    t.getValueNode(),
                    p,
                    "must list at least one share such as [5%, 25%] (leave weights out for an"
                            + " unweighted canary)");
        }
        if (items.size() > 10) {
            problem(t.getValueNode(), p, items.size() + " steps; at most 10");
        }
        List<Double> out = new ArrayList<>();
        double before = 0;
        for (int i = 0; i < items.size(); i++) {
            String s = scalar(items.get(i));
            Double share = percentage(s);
            String at = p + "[" + i + "]";
            if (share == null || share < 0.01 || share > 0.99) {
                problem(
                        items.get(i),
                        at,
                        "'"
                                + s
                                + "' is not the canary's share of the traffic, a percentage from"
                                + " 1% to 99% such as 5%");
                continue;
            }
            if (share <= before) {
                problem(
                        items.get(i),
                        at,
                        s
                                + " is not above the step before ("
                                + Fleet.percent(before)
                                + "): each step gives the canary more of the traffic");
            }
            before = Math.max(before, share);
            out.add(share);
        }
        return List.copyOf(out);
    }

    /** {@code 1%} → 0.01; null when {@code s} is not a percentage. */
    private static Double percentage(String s) {
        Matcher pm = PERCENT.matcher(s);
        return pm.matches() ? Double.parseDouble(pm.group(1)) / 100 : null;
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmg]?)", Pattern.CASE_INSENSITIVE);

    /** {@code apps[].build}: memory (e.g. 512m, 2g), cpus (e.g. 1, 0.5), pids, deadline. */
    private BuildLimits buildLimits(NodeTuple t, String p) {
        if (t == null) {
            return BuildLimits.DEFAULTS;
        }
        Map<String, NodeTuple> m = keys(t.getValueNode(), p, "memory", "cpus", "pids", "deadline");
        long memory = BuildLimits.DEFAULT_MEMORY;
        String mem = str(m, p, "memory", null, false);
        if (mem != null) {
            Matcher sm = SIZE.matcher(mem);
            long v = -1;
            if (sm.matches() && sm.group(1).length() < 12) {
                int shift =
                        switch (sm.group(2).toLowerCase(Locale.ROOT)) {
                            case "k" -> 10;
                            case "m" -> 20;
                            case "g" -> 30;
                            default -> 0;
                        };
                v = Long.parseLong(sm.group(1)) << shift;
            }
            if (v < (6L << 20)) {
                problem(
                        m.get("memory").getValueNode(),
                        p + ".memory",
                        "'" + mem + "' is not a size of at least 6m such as 512m or 2g");
            } else {
                memory = v;
            }
        }
        double cpus = BuildLimits.DEFAULT_CPUS;
        String c = str(m, p, "cpus", null, false);
        if (c != null) {
            try {
                cpus = Double.parseDouble(c);
            } catch (NumberFormatException e) {
                cpus = -1;
            }
            if (!(cpus >= 0.01 && cpus <= 1024)) {
                problem(
                        m.get("cpus").getValueNode(),
                        p + ".cpus",
                        "'" + c + "' is not a number of CPUs such as 0.5 or 2");
                cpus = BuildLimits.DEFAULT_CPUS;
            }
        }
        int pids = integer(m, p, "pids", BuildLimits.DEFAULT_PIDS, 8, 1 << 22);
        Duration deadline = duration(m, p, "deadline", null);
        return new BuildLimits(memory, cpus, pids, Optional.ofNullable(deadline));
    }

    private Rollout rollout(NodeTuple t, List<Host> hosts) {
        Node node = t == null ? null : t.getValueNode();
        Map<String, NodeTuple> m =
                node == null
                        ? Map.of()
                        : keys(
                                node,
                                "rollout",
                                "canary",
                                "steps",
                                "batchSize",
                                "maxUnavailable",
                                "minReady",
                                "deadlines",
                                "autoPromote",
                                "bakeTime");
        List<String> canary = new ArrayList<>();
        if (m.containsKey("canary")) {
            List<Node> items = seq(m.get("canary").getValueNode(), "rollout.canary");
            for (int i = 0; i < items.size(); i++) {
                String name = scalar(items.get(i));
                Optional<Host> h = hosts.stream().filter(x -> name.equals(x.name())).findFirst();
                if (h.isEmpty()) {
                    problem(
                            items.get(i),
                            "rollout.canary[" + i + "]",
                            "unknown host '" + name + "'");
                } else if (h.get().docker().isEmpty()) {
                    problem(
                            items.get(i),
                            "rollout.canary[" + i + "]",
                            "host '" + name + "' has no docker engine and cannot be a canary");
                } else {
                    canary.add(name);
                }
            }
        } else {
            hosts.stream().filter(h -> h.role() == Role.CANARY).forEach(h -> canary.add(h.name()));
        }
        boolean listed =
                m.containsKey("canary")
                        && m.get("canary").getValueNode() instanceof SequenceNode sn
                        && !sn.getValue().isEmpty();
        if (!listed && canary.isEmpty() && hosts.stream().anyMatch(h -> h.docker().isPresent())) {
            problems.add(
                    file
                            + ":"
                            + line(node)
                            + ": rollout.canary: no canary host (list one, or give a host role: canary)");
        }
        int batch = integer(m, "rollout", "batchSize", 1, 1, 10000);
        List<String> steps = new ArrayList<>();
        if (m.containsKey("steps")) {
            List<Node> items = seq(m.get("steps").getValueNode(), "rollout.steps");
            for (int i = 0; i < items.size(); i++) {
                String s = scalar(items.get(i));
                Matcher sm = STEP.matcher(s);
                if (!sm.matches()
                        || Integer.parseInt(sm.group(1)) == 0
                        || (!sm.group(2).isEmpty() && Integer.parseInt(sm.group(1)) > 100)) {
                    problem(
                            items.get(i),
                            "rollout.steps[" + i + "]",
                            "'" + s + "' is not a host count ≥ 1 or a percentage 1%..100%");
                }
                steps.add(s);
            }
            if (steps.isEmpty()) {
                problem(
                        m.get("steps").getValueNode(),
                        "rollout.steps",
                        "must list at least one step");
            }
        } else {
            steps.add(Integer.toString(batch));
        }
        int maxUnavailable = integer(m, "rollout", "maxUnavailable", 1, 1, 10000);
        int minReady = integer(m, "rollout", "minReady", 1, 0, 10000);
        long dockerHosts = hosts.stream().filter(h -> h.docker().isPresent()).count();
        if (minReady > 0 && dockerHosts > 0 && minReady >= dockerHosts) {
            problem(
                    m.containsKey("minReady") ? m.get("minReady").getValueNode() : node,
                    "rollout.minReady",
                    minReady
                            + " would leave no host to update among "
                            + dockerHosts
                            + " docker hosts");
        }
        Duration drain = Duration.ofSeconds(30),
                health = Duration.ofSeconds(30),
                enable = Duration.ofSeconds(30),
                promotion = Duration.ofMinutes(30);
        if (m.containsKey("deadlines")) {
            Map<String, NodeTuple> d =
                    keys(
                            m.get("deadlines").getValueNode(),
                            "rollout.deadlines",
                            "drain",
                            "health",
                            "enable",
                            "promotion");
            drain = duration(d, "rollout.deadlines", "drain", drain);
            health = duration(d, "rollout.deadlines", "health", health);
            enable = duration(d, "rollout.deadlines", "enable", enable);
            promotion = duration(d, "rollout.deadlines", "promotion", promotion);
        }
        // true (a timer after bakeTime), false, or analysis (the first passed analysis window)
        String autoValue = str(m, "rollout", "autoPromote", null, false);
        boolean onAnalysis = "analysis".equals(autoValue);
        boolean auto = "true".equals(autoValue);
        if (autoValue != null && !onAnalysis && !auto && !autoValue.equals("false")) {
            problem(
                    m.get("autoPromote").getValueNode(),
                    "rollout.autoPromote",
                    "'" + autoValue + "' is not true, false or analysis");
        }
        Duration bake = duration(m, "rollout", "bakeTime", Duration.ZERO);
        return new Rollout(
                List.copyOf(canary),
                List.copyOf(steps),
                batch,
                maxUnavailable,
                minReady,
                drain,
                health,
                enable,
                promotion,
                auto,
                bake,
                onAnalysis);
    }

    private String buildHost(NodeTuple t, List<Host> hosts) {
        String name = null;
        if (t != null) {
            Map<String, NodeTuple> m = keys(t.getValueNode(), "build", "host");
            name = str(m, "build", "host", null, true);
            if (name != null) {
                String n = name;
                Optional<Host> h = hosts.stream().filter(x -> n.equals(x.name())).findFirst();
                if (h.isEmpty()) {
                    problem(
                            m.get("host").getValueNode(),
                            "build.host",
                            "unknown host '" + name + "'");
                } else if (h.get().docker().isEmpty()
                        || h.get().docker().get().driver() != Driver.DOCKER_API) {
                    problem(
                            m.get("host").getValueNode(),
                            "build.host",
                            "host '" + name + "' has no docker-api engine to build on");
                }
            }
        } else {
            name =
                    hosts.stream()
                            .filter(
                                    h ->
                                            h.docker()
                                                    .map(d -> d.driver() == Driver.DOCKER_API)
                                                    .orElse(false))
                            .map(Host::name)
                            .findFirst()
                            .orElse(null);
        }
        return name;
    }

    // ---- node helpers ---------------------------------------------------------------------

    private Map<String, NodeTuple> keys(Node node, String path, String... allowed) {
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        if (!(node instanceof MappingNode mn)) {
            problem(node, path.isEmpty() ? "(root)" : path, "must be a mapping");
            return out;
        }
        List<String> allowedList = List.of(allowed);
        for (NodeTuple t : mn.getValue()) {
            String k = scalar(t.getKeyNode());
            if (!allowedList.contains(k)) {
                problem(
                        t.getKeyNode(),
                        join(path, k),
                        "unknown field (expected one of " + allowedList + ")");
            } else {
                out.put(k, t);
            }
        }
        return out;
    }

    private List<Node> seq(Node node, String path) {
        if (node instanceof SequenceNode sn) {
            return sn.getValue();
        }
        problem(node, path, "must be a list");
        return List.of();
    }

    private String str(
            Map<String, NodeTuple> m, String path, String key, String def, boolean required) {
        NodeTuple t = m.get(key);
        if (t == null) {
            if (required) {
                problems.add(file + ":" + lineOf(m) + ": " + join(path, key) + ": missing");
            }
            return def;
        }
        Node v = t.getValueNode();
        if (!(v instanceof ScalarNode) || scalar(v).isBlank()) {
            problem(v, join(path, key), "must be a non-empty value");
            return def;
        }
        return scalar(v);
    }

    private int integer(
            Map<String, NodeTuple> m, String path, String key, int def, int min, int max) {
        String s = str(m, path, key, null, false);
        if (s == null) {
            return def;
        }
        try {
            int v = Integer.parseInt(s);
            if (v < min || v > max) {
                problem(
                        m.get(key).getValueNode(),
                        join(path, key),
                        v + " is out of range (" + min + ".." + max + ")");
                return def;
            }
            return v;
        } catch (NumberFormatException e) {
            problem(
                    m.get(key).getValueNode(),
                    join(path, key),
                    "'" + s + "' is not a whole number");
            return def;
        }
    }

    private boolean bool(Map<String, NodeTuple> m, String path, String key, boolean def) {
        String s = str(m, path, key, null, false);
        if (s == null) return def;
        if (s.equals("true") || s.equals("false")) return Boolean.parseBoolean(s);
        problem(m.get(key).getValueNode(), join(path, key), "'" + s + "' is not true or false");
        return def;
    }

    private Duration duration(Map<String, NodeTuple> m, String path, String key, Duration def) {
        String s = str(m, path, key, null, false);
        if (s == null) return def;
        Matcher dm = DURATION.matcher(s);
        if (!dm.matches()) {
            problem(
                    m.get(key).getValueNode(),
                    join(path, key),
                    "'" + s + "' is not a duration such as 500ms, 30s, 10m, 1h");
            return def;
        }
        long n = Long.parseLong(dm.group(1));
        Duration d =
                switch (dm.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
        if (d.isZero() && !key.equals("bakeTime")) {
            problem(m.get(key).getValueNode(), join(path, key), "must be longer than 0");
            return def;
        }
        return d;
    }

    private Path existingFile(Map<String, NodeTuple> m, String path, String key, boolean required) {
        String s = str(m, path, key, null, required);
        if (s == null) return null;
        Path p = dir.resolve(s).normalize();
        if (!Files.isRegularFile(p)) {
            problem(m.get(key).getValueNode(), join(path, key), "file " + p + " does not exist");
        } else if (!Files.isReadable(p)) {
            problem(m.get(key).getValueNode(), join(path, key), "file " + p + " is not readable");
        }
        return p;
    }

    private static String scalar(Node n) {
        return n instanceof ScalarNode s ? s.getValue() : "";
    }

    private int lineOf(Map<String, NodeTuple> m) {
        return m.values().stream()
                .findFirst()
                .map(t -> t.getKeyNode().getStartMark().getLine() + 1)
                .orElse(1);
    }

    private static int line(Node n) {
        return n == null ? 1 : n.getStartMark().getLine() + 1;
    }

    private void problem(Node node, String path, String what) {
        problems.add(file + ":" + line(node) + ": " + path + ": " + what);
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
