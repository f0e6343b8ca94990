package dev.canaryrelease.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The one place tests and benches get a fleet file from. {@link #reference()} is the reference
 * fleet's shape without its machines: hosts docker0 (canary, docker-api over TLS), docker1 (ssh)
 * and docker2, app {@code example} from {@code proserveau/example-app}, with placeholder TLS, SSH
 * and TSIG files; {@link #builder()} starts from nothing but the domain. A host, load balancer or
 * app given again by name replaces the one before, in its place. As a test resource it sets {@code
 * canary.fleet.path} to {@link #write(String) write("")}.
 */
public class TestFleet implements QuarkusTestResourceLifecycleManager {

    /** The reference fleet (with {@code extraYaml} appended) in a temporary folder; its path. */
    public static Path write(String extraYaml) {
        return reference().extra(extraYaml).write();
    }

    /**
     * For scripts (benches): {@code java -cp <test-support classpath>
     * dev.canaryrelease.testsupport.TestFleet <dir>} writes {@link #reference()} into {@code dir}
     * and prints the fleet's path.
     */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: TestFleet <dir>");
            System.exit(2);
        }
        System.out.println(reference().writeIn(Path.of(args[0])));
    }

    /** The reference fleet's shape on 127.0.0.x, with placeholder files. */
    public static Builder reference() {
        return builder()
                .placeholders(
                        "tls/ca.pem",
                        "tls/cert.pem",
                        "tls/key.pem",
                        "ssh/id",
                        "ssh/known_hosts",
                        "tsig.key")
                .registry("127.0.0.1:5000")
                .dns(
                        """
                        dns:
                          server: "127.0.0.1:5353"
                          tsig: {name: canary-release, secretFile: tsig.key}
                        """)
                .host("cfgmgr", "127.0.0.10")
                .host("docker0", "127.0.0.11", "canary", placeholderEngine("127.0.0.11"))
                .host(
                        "docker1",
                        "127.0.0.12",
                        null,
                        "{driver: ssh, ssh: {host: 127.0.0.12, port: 2222, privateKey: ssh/id,"
                                + " knownHosts: ssh/known_hosts}}")
                .host("docker2", "127.0.0.13", null, placeholderEngine("127.0.0.13"))
                .loadBalancer("cfgmgr", "unix:///tmp/haproxy-test.sock", "http://127.0.0.10:8000")
                .app("example", "repository: proserveau/example-app, port: 3000")
                .rollout("canary: [docker0]");
    }

    private static String placeholderEngine(String address) {
        return dockerApi("tcp://" + address + ":2376", "tls/ca.pem", "tls/cert.pem", "tls/key.pem");
    }

    /** A fleet of nothing but {@code domain: proserveau.local}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A host's {@code docker:} mapping for the docker-api driver over TLS. */
    public static String dockerApi(String endpoint, String ca, String cert, String key) {
        return "{driver: docker-api, endpoint: %s, tls: {ca: %s, cert: %s, key: %s}}"
                .formatted(scalar(endpoint), scalar(ca), scalar(cert), scalar(key));
    }

    /** Quotes a value only where YAML needs it, so the file reads like a hand-written one. */
    static String scalar(String v) {
        return v.matches("[A-Za-z0-9_./@-]+") ? v : "\"" + v + "\"";
    }

    /** A fleet file being put together; {@link #write} writes it. */
    public static final class Builder {
        private final Map<String, String> files = new LinkedHashMap<>();
        private String registry = "";
        private String dns = "";
        private String git = "";
        private String build = "";
        private final Map<String, String> hosts = new LinkedHashMap<>();
        private final Map<String, String> loadBalancers = new LinkedHashMap<>();
        private final Map<String, String> apps = new LinkedHashMap<>();
        private String rollout = "";
        private final List<String> extra = new ArrayList<>();

        private Builder() {}

        /** Files next to the fleet holding {@code placeholder} (kept if they exist). */
        public Builder placeholders(String... names) {
            for (String n : names) {
                files.putIfAbsent(n, null);
            }
            return this;
        }

        /** A file next to the fleet with {@code content}. */
        public Builder file(String name, String content) {
            files.put(name, content);
            return this;
        }

        public Builder registry(String address) {
            registry = "registry: {address: \"" + address + "\"}\n";
            return this;
        }

        /** The registry with its API: {@code url} and the CA file that signs it. */
        public Builder registry(String address, String url, String ca) {
            registry =
                    "registry: {address: \"%s\", url: \"%s\", ca: \"%s\"}\n"
                            .formatted(address, url, ca);
            return this;
        }

        /** The whole {@code dns} section, written from column 0 ({@code ""}: none). */
        public Builder dns(String section) {
            dns = block(section);
            return this;
        }

        /** The whole {@code git} section, written from column 0. */
        public Builder git(String section) {
            git = block(section);
            return this;
        }

        /** {@code build: {host: <host>}}. */
        public Builder build(String host) {
            build = "build: {host: " + host + "}\n";
            return this;
        }

        /** A host without an engine. */
        public Builder host(String name, String address) {
            hosts.put(name, "  - {name: %s, address: %s}\n".formatted(name, address));
            return this;
        }

        /** A host with an engine: {@code docker} is its mapping, {@code role} may be null. */
        public Builder host(String name, String address, String role, String docker) {
            hosts.put(
                    name,
                    "  - name: "
                            + name
                            + "\n    address: "
                            + address
                            + "\n"
                            + (role == null ? "" : "    role: " + role + "\n")
                            + "    docker: "
                            + docker
                            + "\n");
            return this;
        }

        /** Host entries as they are: YAML list items indented by 2 ({@code ""}: none). */
        public Builder hosts(String items) {
            if (!items.isBlank()) {
                hosts.put("\0" + hosts.size(), block(items));
            }
            return this;
        }

        /** A load balancer; {@code frontend} may be null. */
        public Builder loadBalancer(String name, String runtimeApi, String frontend) {
            loadBalancers.put(
                    name,
                    "  - {name: %s, runtimeApi: \"%s\"%s}\n"
                            .formatted(
                                    name,
                                    runtimeApi,
                                    frontend == null ? "" : ", frontend: \"" + frontend + "\""));
            return this;
        }

        /** An app: {@code fields} are the rest of its mapping after the name. */
        public Builder app(String name, String fields) {
            apps.put(name, "  - {name: %s, %s}\n".formatted(name, fields));
            return this;
        }

        /** App entries as they are: YAML list items indented by 2 ({@code ""}: none). */
        public Builder apps(String items) {
            if (!items.isBlank()) {
                apps.put("\0" + apps.size(), block(items));
            }
            return this;
        }

        /** No app (then name the ones wanted). */
        public Builder noApps() {
            apps.clear();
            return this;
        }

        /** The lines under {@code rollout:}, written from column 0. */
        public Builder rollout(String body) {
            rollout = "rollout:\n" + block(body).indent(2);
            return this;
        }

        /** YAML appended at the end as it is. */
        public Builder extra(String yaml) {
            if (!yaml.isEmpty()) {
                extra.add(yaml);
            }
            return this;
        }

        /** The file's text. */
        public String yaml() {
            StringBuilder y = new StringBuilder("domain: proserveau.local\n");
            y.append(registry).append(dns).append(git).append(build);
            section(y, "hosts", hosts);
            section(y, "loadBalancers", loadBalancers);
            section(y, "apps", apps);
            y.append(rollout);
            extra.forEach(y::append);
            return y.toString();
        }

        /** Writes {@code dir/fleet.yaml} and the files beside it; the fleet's path. */
        public Path writeIn(Path dir) {
            try {
                for (Map.Entry<String, String> f : files.entrySet()) {
                    Path p = dir.resolve(f.getKey());
                    Files.createDirectories(p.getParent());
                    if (f.getValue() != null) {
                        Files.writeString(p, f.getValue());
                    } else if (!Files.exists(p)) {
                        Files.writeString(p, "placeholder\n");
                    }
                }
                Path file = dir.resolve("fleet.yaml");
                Files.writeString(file, yaml());
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Writes the fleet in a new temporary folder; its path. */
        public Path write() {
            try {
                return writeIn(Files.createTempDirectory("fleet"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static void section(StringBuilder y, String key, Map<String, String> items) {
            if (!items.isEmpty()) {
                y.append(key).append(":\n");
                items.values().forEach(y::append);
            }
        }

        private static String block(String s) {
            return s.isEmpty() || s.endsWith("\n") ? s : s + "\n";
        }
    }

    @Override
    public Map<String, String> start() {
        return Map.of("canary.fleet.path", write("").toString());
    }

    @Override
    public void stop() {}
}
