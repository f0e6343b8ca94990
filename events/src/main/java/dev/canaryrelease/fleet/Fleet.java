package dev.canaryrelease.fleet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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

    /** Git access for builds: {@code insteadOf}-style URL rewrites and an optional token file. */
    public record Git(List<UrlRewrite> urlRewrites, Path tokenFile) {
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
            List<String> releaseByPush) {}

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
            Duration bakeTime) {}

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
