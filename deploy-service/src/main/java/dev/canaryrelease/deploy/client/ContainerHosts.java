package dev.canaryrelease.deploy.client;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.github.dockerjava.api.model.AuthConfig;

import dev.canaryrelease.common.registry.RegistryLogin;
import dev.canaryrelease.deploy.config.DeployConfig;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.transport.HostResolver;

/** One {@link ContainerHost} per fleet host, with the driver the fleet names for it. */
@ApplicationScoped
public class ContainerHosts {
    private final Fleet fleet;
    private final DeployConfig config;
    private final AuthConfig pullAuth;
    private final Map<String, ContainerHost> hosts = new ConcurrentHashMap<>();

    /** The fleet's names through the suite's DNS (HostResolver.of). */
    private final HostResolver resolver;

    /** Hosts whose engines pull anonymously (tests of engines that need no registry). */
    public ContainerHosts(Fleet fleet, DeployConfig config) {
        this.fleet = fleet;
        this.config = config;
        this.resolver = HostResolver.of(fleet);
        this.pullAuth = null;
    }

    /** Hosts whose engines pull with deploy-service's registry credentials. */
    @Inject
    public ContainerHosts(Fleet fleet, DeployConfig config, RegistryLogin registryLogin) {
        this.fleet = fleet;
        this.config = config;
        this.resolver = HostResolver.of(fleet);
        this.pullAuth =
                registryLogin
                        .credentials()
                        .map(
                                c ->
                                        new AuthConfig()
                                                .withUsername(c.user())
                                                .withPassword(c.password())
                                                .withRegistryAddress(fleet.registry().address()))
                        .orElse(null);
    }

    public ContainerHost get(String hostName) {
        return hosts.computeIfAbsent(hostName, this::open);
    }

    private ContainerHost open(String hostName) {
        Fleet.Host host =
                fleet.host(hostName)
                        .orElseThrow(() -> new HostException(hostName + ": not in the fleet"));
        Fleet.Docker d =
                host.docker()
                        .orElseThrow(() -> new HostException(hostName + ": has no Docker engine"));
        return switch (d.driver()) {
            case DOCKER_API ->
                    new DockerApiHost(
                            host,
                            resolver,
                            config.connectTimeout(),
                            config.callTimeout(),
                            pullAuth);
            case SSH ->
                    DockerApiHost.overSsh(
                            host,
                            resolver,
                            config.connectTimeout(),
                            config.callTimeout(),
                            pullAuth);
        };
    }

    @PreDestroy
    void close() {
        hosts.values().forEach(ContainerHost::close);
        hosts.clear();
    }
}
