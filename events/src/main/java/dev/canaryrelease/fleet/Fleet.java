package dev.canaryrelease.fleet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The fleet (inventory): domain, hosts, load balancers, apps and the rollout policy. Loaded and
 * validated by {@link FleetLoader}; every relative path in the file is resolved against the file's
 * directory.
 */
public record Fleet(
        Path source,
        String domain,
        Registry registry,
        Dns dns,
        Git git,
        String buildHost,
        List<Host> hosts,
        List<LoadBalancer> loadBalancers,
        List<App> apps,
        Rollout rollout) {

    /**
     * The Docker registry: {@code address} prefixes image names, {@code url} is its HTTP API,
     * {@code ca} (nullable) the CA certificate (PEM) its TLS certificate is checked against.
     */
    public record Registry(String address, String url, Path ca) {
        /** {@code <address>/<repository>}. */
        public String imageName(String repository) {
            return address + "/" + repository;
        }
    }

    /** DNS: {@code bind} (RFC 2136 + TSIG) or {@code hosts-file} (over SSH). */
    public record Dns(
            String backend, String zone, String server, Tsig tsig, int ttl, String hostsFile) {}

    /** A TSIG key: name, algorithm (e.g. hmac-sha256) and a file holding the base64 secret. */
    public record Tsig(String name, String algorithm, Path secretFile) {}

    /**
     * Git access for builds: {@code insteadOf}-style URL rewrites, an optional token file and
     * {@code url}, the base URL of the git host the apps' repositories live on (default {@code
     * https://github.com/}, always ending in {@code /}). An app's clone URL is {@code
     * <url><repository>.git} after the rewrites; the token is sent only to the git host.
     */
    public record Git(List<UrlRewrite> urlRewrites, Path tokenFile, String url) {
        /** The base URL of the git host when none is configured. */
        public static final String DEFAULT_URL = "https://github.com/";

        /** The clone URL of {@code repository} ({@code owner/name}), before the rewrites. */
        public String cloneUrl(String repository) {
            return url + repository + ".git";
        }

        /**
         * The {@code scheme://host[:port]} the token belongs to: that of {@link #url()} after the
         * rewrites (so a rewrite of the whole host, e.g. to a local server, moves the token with
         * it, but a rewrite of one repository to another host does not).
         */
        public String tokenOrigin() {
            return origin(rewrite(url));
        }

        /** {@code scheme://host[:port]} of a URL (lower case), or "" if it has none. */
        public static String origin(String url) {
            int scheme = url.indexOf("://");
            if (scheme < 0) {
                return "";
            }
            int end = url.indexOf('/', scheme + 3);
            String authority = url.substring(scheme + 3, end < 0 ? url.length() : end);
            int at = authority.lastIndexOf('@');
            return (url.substring(0, scheme + 3) + authority.substring(at + 1))
                    .toLowerCase(Locale.ROOT);
        }

        /** Applies the longest matching rewrite, as git's {@code url.<base>.insteadOf} does. */
        public String rewrite(String url) {
            UrlRewrite best = null;
            for (UrlRewrite r : urlRewrites) {
                if (url.startsWith(r.insteadOf())
                        && (best == null || r.insteadOf().length() > best.insteadOf().length())) {
                    best = r;
                }
            }
            return best == null ? url : best.url() + url.substring(best.insteadOf().length());
        }
    }

    public record UrlRewrite(String insteadOf, String url) {}

    /** A machine of the fleet. {@code docker} is empty for hosts without an app engine. */
    public record Host(String name, String address, Role role, Optional<Docker> docker) {}

    public enum Role {
        CANARY,
        PRODUCTION,
        INFRA
    }

    /**
     * How to reach a host's Docker engine. {@code driver} {@code docker-api}: {@code endpoint} is
     * {@code tcp://host:port} (with {@code tls}) or {@code unix:///path}. {@code ssh}: the Docker
     * API through an SSH channel to the engine's socket on the host; {@code endpoint}, when set, is
     * that socket ({@code unix:///path}, default {@code unix:///var/run/docker.sock}) or a {@code
     * tcp://host:port} the host reaches.
     */
    public record Docker(Driver driver, String endpoint, Optional<Tls> tls, Optional<Ssh> ssh) {}

    public enum Driver {
        DOCKER_API,
        SSH
    }

    /** Client-certificate TLS material (PEM files). */
    public record Tls(Path ca, Path cert, Path key) {}

    /**
     * An SSH target with a private key and the known_hosts file its host key is checked against.
     */
    public record Ssh(String host, int port, String user, Path privateKey, Path knownHosts) {}

    /**
     * One HAProxy instance. {@code runtimeApi} is {@code unix:///path} or {@code ipv4@host:port};
     * {@code frontend} is the URL clients use.
     */
    public record LoadBalancer(String name, String runtimeApi, String frontend) {}

    /**
     * An application deployed on every docker host. {@code releaseByPush}: the registry users whose
     * push of an image without the release label starts a release (default: nobody).
     */
    public record App(
            String name,
            String repository,
            String branch,
            String image,
            String container,
            int port,
            String healthPath,
            String dockerfile,
            String context,
            String backend,
            Map<String, String> env,
            List<String> releaseByPush,
            BuildLimits build,
            Duration startGrace,
            Optional<Analysis> analysis) {
        /**
         * How long a new container may refuse connections on its port while it starts ({@code
         * apps[].startGrace}); after it, a refused connection is a definite health failure.
         */
        public static final Duration DEFAULT_START_GRACE = Duration.ofSeconds(5);
    }

    /**
     * How an app's canary is judged ({@code apps[].analysis}; absent: not analysed): one window of
     * HAProxy's numbers every {@code interval}, canary servers against baseline servers. A window
     * with fewer than {@code minRequests} requests (or latency samples) on either side is
     * inconclusive; a canary error rate (5xx, connection and response errors over requests) above
     * {@code maxErrorRate} (a fraction, 0.01 for {@code 1%}) fails it, and so does a significantly
     * slower canary whose median is more than {@code maxLatencyIncrease} above the baseline's.
     * {@code failureLimit} failed windows abort the release.
     *
     * <p>{@code weights} (empty: not weighted) are the weighted steps of the canary: its share of
     * the backend's traffic at each step (fractions, 0.05 for {@code 5%}), rising. lb-service sets
     * them through HAProxy's server weights; a window that passes moves the canary to the next
     * step, and a pass at the last step is the pass that promotes ({@code autoPromote: analysis}).
     */
    public record Analysis(
            Duration interval,
            int minRequests,
            double maxErrorRate,
            LatencyIncrease maxLatencyIncrease,
            int failureLimit,
            List<Double> weights) {
        public Analysis {
            weights = weights == null ? List.of() : List.copyOf(weights);
        }

        /** An unweighted analysis. */
        public Analysis(
                Duration interval,
                int minRequests,
                double maxErrorRate,
                LatencyIncrease maxLatencyIncrease,
                int failureLimit) {
            this(interval, minRequests, maxErrorRate, maxLatencyIncrease, failureLimit, List.of());
        }

        /** The canary's traffic is set step by step through server weights. */
        public boolean weighted() {
            return !weights.isEmpty();
        }

        /** The wanted share of weighted step {@code step} (1-based). */
        public double share(int step) {
            return weights.get(step - 1);
        }

        public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
        public static final int DEFAULT_MIN_REQUESTS = 50;
        public static final double DEFAULT_MAX_ERROR_RATE = 0.01;
        public static final LatencyIncrease DEFAULT_MAX_LATENCY_INCREASE =
                LatencyIncrease.millis(100);
        public static final int DEFAULT_FAILURE_LIMIT = 2;

        public static final Analysis DEFAULTS =
                new Analysis(
                        DEFAULT_INTERVAL,
                        DEFAULT_MIN_REQUESTS,
                        DEFAULT_MAX_ERROR_RATE,
                        DEFAULT_MAX_LATENCY_INCREASE,
                        DEFAULT_FAILURE_LIMIT);
    }

    /**
     * How much slower than the baseline a canary may be: an absolute shift of the median in
     * milliseconds ({@code 100ms}), or a share of the baseline's median ({@code 25%}, {@code
     * relative} with {@code value} 0.25).
     */
    public record LatencyIncrease(boolean relative, double value) {
        public static LatencyIncrease millis(long ms) {
            return new LatencyIncrease(false, ms);
        }

        public static LatencyIncrease share(double fraction) {
            return new LatencyIncrease(true, fraction);
        }

        /**
         * The largest median shift in milliseconds allowed over a baseline median of {@code ms}.
         */
        public double allowedMillis(double baselineMedianMs) {
            return relative ? value * baselineMedianMs : value;
        }

        @Override
        public String toString() {
            return relative ? percent(value) : ((long) value) + "ms";
        }
    }

    /**
     * A fraction as a percentage without needless digits: 0.01 → {@code 1%}, 0.005 → {@code 0.5%}.
     */
    public static String percent(double fraction) {
        return java.math.BigDecimal.valueOf(fraction * 100)
                        .setScale(3, java.math.RoundingMode.HALF_UP)
                        .stripTrailingZeros()
                        .toPlainString()
                + "%";
    }

    /**
     * The bounds of one app's build on the build engine ({@code apps[].build}): memory in bytes
     * (memory plus swap is the same, so no swap), CPUs (a CFS quota of that many cores), the
     * processes of a build step's user ({@code RLIMIT_NPROC}) and an optional deadline that
     * replaces the build-service's default.
     */
    public record BuildLimits(
            long memoryBytes, double cpus, int pids, Optional<Duration> deadline) {
        public static final long DEFAULT_MEMORY = 2L << 30;
        public static final double DEFAULT_CPUS = 1.0;
        public static final int DEFAULT_PIDS = 512;

        public static final BuildLimits DEFAULTS =
                new BuildLimits(DEFAULT_MEMORY, DEFAULT_CPUS, DEFAULT_PIDS, Optional.empty());
    }

    /**
     * The rollout policy. {@code steps} are absolute counts or percentages of the remaining hosts
     * (e.g. {@code [1, "50%", "100%"]}); a batch size is the step list {@code [n]} repeated.
     */
    public record Rollout(
            List<String> canary,
            List<String> steps,
            int batchSize,
            int maxUnavailable,
            int minReady,
            Duration drainTimeout,
            Duration healthTimeout,
            Duration enableTimeout,
            Duration promotionTimeout,
            boolean autoPromote,
            Duration bakeTime,
            boolean promoteOnAnalysis) {
        /**
         * {@code autoPromote: true}: promoted by a timer after {@code bakeTime}; {@code
         * autoPromote: analysis} ({@code promoteOnAnalysis}): promoted by the first window the
         * canary analysis passes once {@code bakeTime} is over, never by time alone.
         */
        public Rollout(
                List<String> canary,
                List<String> steps,
                int batchSize,
                int maxUnavailable,
                int minReady,
                Duration drainTimeout,
                Duration healthTimeout,
                Duration enableTimeout,
                Duration promotionTimeout,
                boolean autoPromote,
                Duration bakeTime) {
            this(
                    canary,
                    steps,
                    batchSize,
                    maxUnavailable,
                    minReady,
                    drainTimeout,
                    healthTimeout,
                    enableTimeout,
                    promotionTimeout,
                    autoPromote,
                    bakeTime,
                    false);
        }
    }

    public Optional<Host> host(String name) {
        return hosts.stream().filter(h -> h.name().equals(name)).findFirst();
    }

    public Optional<App> app(String name) {
        return apps.stream().filter(a -> a.name().equals(name)).findFirst();
    }

    /** The app configured for a GitHub repository ({@code owner/name}, case-insensitive). */
    public Optional<App> appForRepository(String fullName) {
        return apps.stream().filter(a -> a.repository().equalsIgnoreCase(fullName)).findFirst();
    }

    /** The app whose registry repository is {@code image}. */
    public Optional<App> appForImage(String image) {
        return apps.stream().filter(a -> a.image().equals(image)).findFirst();
    }

    /** Hosts that run apps (they have a Docker engine), in file order. */
    public List<Host> dockerHosts() {
        return hosts.stream().filter(h -> h.docker().isPresent()).toList();
    }

    /** Docker hosts that are not canaries, in file order. */
    public List<Host> productionHosts() {
        return dockerHosts().stream().filter(h -> !rollout.canary().contains(h.name())).toList();
    }
}
