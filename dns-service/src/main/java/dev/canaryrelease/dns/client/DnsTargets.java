package dev.canaryrelease.dns.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import dev.canaryrelease.dns.config.DnsConfig;
import dev.canaryrelease.dns.domain.DnsTarget;
import dev.canaryrelease.dns.domain.WantedRecords;
import dev.canaryrelease.fleet.Fleet;

/**
 * The targets of the fleet's DNS backend: {@code bind} → the zone's primary ({@code dns.server});
 * {@code hosts-file} → the hosts file of every host that has an SSH target ({@code docker.ssh});
 * hosts without one are listed as unmanaged.
 */
@ApplicationScoped
public class DnsTargets {
    private final List<DnsTarget> targets = new ArrayList<>();
    private final List<String> unmanaged = new ArrayList<>();
    private final String backend;

    public DnsTargets(Fleet fleet, DnsConfig config) {
        Fleet.Dns dns = fleet.dns();
        this.backend = dns.backend();
        String zone = WantedRecords.zone(fleet);
        if ("hosts-file".equals(dns.backend())) {
            for (Fleet.Host h : fleet.hosts()) {
                Optional<Fleet.Ssh> ssh = h.docker().flatMap(Fleet.Docker::ssh);
                if (ssh.isPresent()) {
                    targets.add(
                            new HostsFileClient(
                                    h.name(), ssh.get(), dns.hostsFile(), zone, config.timeout()));
                } else {
                    unmanaged.add(h.name() + ": no SSH target (hosts[].docker.ssh)");
                }
            }
        } else {
            targets.add(new BindClient(zone, dns.server(), dns.tsig(), config.timeout()));
        }
    }

    public String backend() {
        return backend;
    }

    public List<DnsTarget> targets() {
        return List.copyOf(targets);
    }

    /** Hosts whose hosts file is not kept, each with the reason. */
    public List<String> unmanaged() {
        return List.copyOf(unmanaged);
    }
}
