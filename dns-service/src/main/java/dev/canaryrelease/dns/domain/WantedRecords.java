package dev.canaryrelease.dns.domain;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.canaryrelease.fleet.Fleet;

/**
 * What the zone should hold, computed from the fleet and the live canaries (pure):
 *
 * <ul>
 *   <li>an A record for every host (its {@code address});
 *   <li>{@code swarm} CNAME to {@code docker1} when the fleet has a docker host of that name (the
 *       reference architecture), otherwise to the first production docker host;
 *   <li>for every app, its name pointing at the first load balancer's front end: an A record when
 *       the front end's host is an IPv4 address, a CNAME otherwise (to {@code <host>.<zone>.} when
 *       it names a fleet host, to {@code <host>.} when not);
 *   <li>{@code canary.<app>}: A records of the canary hosts while a canary of the app is live.
 * </ul>
 *
 * A name already taken by a host wins over {@code swarm} and app names.
 */
public final class WantedRecords {
    public static final String SWARM = "swarm";
    public static final String SWARM_HOST = "docker1";
    private static final Pattern IPV4 =
            Pattern.compile("((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)");

    private WantedRecords() {}

    /** {@code canary.<app>}. */
    public static String canaryName(String app) {
        return "canary." + app;
    }

    public static boolean isIpv4(String s) {
        return s != null && IPV4.matcher(s).matches();
    }

    /** Every name this service keeps in the zone (present or not). */
    public static Set<String> ownedNames(Fleet fleet) {
        Set<String> names = new LinkedHashSet<>();
        fleet.hosts().forEach(h -> names.add(h.name()));
        names.add(SWARM);
        for (Fleet.App app : fleet.apps()) {
            names.add(app.name());
            names.add(canaryName(app.name()));
        }
        return names;
    }

    /** The records to keep, by name, in fleet order. */
    public static Map<String, RecordSet> compute(Fleet fleet, Collection<LiveCanary> live) {
        long ttl = fleet.dns().ttl();
        String zone = zone(fleet);
        Map<String, RecordSet> out = new LinkedHashMap<>();
        for (Fleet.Host h : fleet.hosts()) {
            out.put(h.name(), pointer(h.name(), h.address(), ttl, fleet, zone));
        }
        swarmTarget(fleet)
                .ifPresent(
                        t ->
                                out.putIfAbsent(
                                        SWARM,
                                        new RecordSet(
                                                SWARM,
                                                RecordSet.CNAME,
                                                List.of(t + "." + zone + "."),
                                                ttl)));
        Optional<String> frontend = frontendHost(fleet);
        for (Fleet.App app : fleet.apps()) {
            frontend.ifPresent(
                    f -> out.putIfAbsent(app.name(), pointer(app.name(), f, ttl, fleet, zone)));
        }
        for (LiveCanary c : live) {
            if (fleet.app(c.app()).isEmpty()) {
                continue;
            }
            List<String> addresses = new ArrayList<>();
            for (String host : c.hosts()) {
                fleet.host(host).map(Fleet.Host::address).ifPresent(addresses::add);
            }
            if (!addresses.isEmpty() && addresses.stream().allMatch(WantedRecords::isIpv4)) {
                String name = canaryName(c.app());
                out.put(name, new RecordSet(name, RecordSet.A, addresses, ttl));
            }
        }
        return out;
    }

    /** The zone without a trailing dot. */
    public static String zone(Fleet fleet) {
        String z = fleet.dns().zone() == null ? fleet.domain() : fleet.dns().zone();
        return z.endsWith(".") ? z.substring(0, z.length() - 1) : z;
    }

    /** docker1 if the fleet has that docker host, else the first production docker host. */
    static Optional<String> swarmTarget(Fleet fleet) {
        Optional<Fleet.Host> docker1 = fleet.host(SWARM_HOST).filter(h -> h.docker().isPresent());
        if (docker1.isPresent()) {
            return Optional.of(SWARM_HOST);
        }
        return fleet.productionHosts().stream().map(Fleet.Host::name).findFirst();
    }

    static Optional<String> frontendHost(Fleet fleet) {
        if (fleet.loadBalancers().isEmpty() || fleet.loadBalancers().get(0).frontend() == null) {
            return Optional.empty();
        }
        String f = fleet.loadBalancers().get(0).frontend();
        try {
            String host = URI.create(f.contains("://") ? f : "http://" + f).getHost();
            return Optional.ofNullable(host).filter(h -> !h.isBlank());
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static RecordSet pointer(
            String name, String target, long ttl, Fleet fleet, String zone) {
        if (isIpv4(target)) {
            return new RecordSet(name, RecordSet.A, List.of(target), ttl);
        }
        String absolute =
                fleet.host(target).isPresent()
                        ? target + "." + zone + "."
                        : (target.endsWith(".") ? target : target + ".");
        return new RecordSet(name, RecordSet.CNAME, List.of(absolute), ttl);
    }
}
