package dev.canaryrelease.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

import org.xbill.DNS.ARecord;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import dev.canaryrelease.fleet.Fleet;

/**
 * The fleet's host names resolved through the suite's own DNS server (the fleet's {@code
 * dns.server}, BIND of the {@code bind} backend), not through this machine's resolver: the names of
 * the fleet's zone ({@code docker0.proserveau.local}) exist there, and cfgmgr's {@code
 * /etc/resolv.conf} need not know them (Java 17's resolver asks only that). A name outside the
 * zone, and every name of a fleet without a BIND server, goes to the system resolver; an address is
 * used as it is.
 *
 * <p>The address comes back carrying the name ({@link InetAddress#getHostName()} is the name asked
 * for, never a reverse lookup), so what verifies the peer (known_hosts, a certificate) checks the
 * name and not the address. Every lookup asks the server again (no cache): a record dns-service
 * changed is seen at the next connection.
 */
public final class HostResolver {
    /** How long the DNS server has to answer one lookup. */
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /** The system resolver for every name. */
    public static final HostResolver SYSTEM = new HostResolver(null, null);

    private final String server;
    private final String zone;

    /**
     * Names of {@code zone} (and the zone itself) through the DNS server {@code server} ({@code
     * host:port}, port 53 when absent); both null: the system resolver for every name.
     */
    public HostResolver(String server, String zone) {
        this.server = server;
        this.zone = zone == null ? null : trimDot(zone).toLowerCase(Locale.ROOT);
    }

    /** The fleet's BIND server for the names of its zone, or {@link #SYSTEM} without one. */
    public static HostResolver of(Fleet fleet) {
        Fleet.Dns dns = fleet.dns();
        if (dns == null || !"bind".equals(dns.backend()) || dns.server() == null) return SYSTEM;
        return new HostResolver(dns.server(), dns.zone() == null ? fleet.domain() : dns.zone());
    }

    /** True when {@code host} is an IPv4 or IPv6 address, not a name. */
    public static boolean isAddress(String host) {
        return IPV4.matcher(host).matches() || host.contains(":");
    }

    /** True when {@code host} is asked of the suite's DNS server. */
    public boolean bySuiteDns(String host) {
        if (server == null || isAddress(host)) return false;
        String h = trimDot(host).toLowerCase(Locale.ROOT);
        return h.equals(zone) || h.endsWith("." + zone);
    }

    /**
     * The address of {@code host}, carrying {@code host} as its name.
     *
     * @throws UnknownHostException naming the host and the server asked, and what it answered
     */
    public InetAddress resolve(String host) throws UnknownHostException {
        if (isAddress(host)) return InetAddress.getByName(host);
        if (!bySuiteDns(host)) return InetAddress.getByName(host);
        Lookup lookup;
        try {
            lookup = new Lookup(Name.fromString(trimDot(host) + "."), Type.A);
        } catch (TextParseException e) {
            throw new UnknownHostException(host + ": not a DNS name (" + e.getMessage() + ")");
        }
        try {
            SimpleResolver r = new SimpleResolver(serverAddress());
            r.setTimeout(TIMEOUT);
            lookup.setResolver(r);
        } catch (IOException e) {
            throw new UnknownHostException("DNS server " + server + ": " + e.getMessage());
        }
        lookup.setCache(null);
        Record[] answers = lookup.run();
        if (answers != null) {
            for (Record rec : answers) {
                if (rec instanceof ARecord a) {
                    return InetAddress.getByAddress(trimDot(host), a.getAddress().getAddress());
                }
            }
        }
        throw new UnknownHostException(
                host
                        + ": no address at DNS server "
                        + server
                        + " ("
                        + lookup.getErrorString()
                        + ")");
    }

    /**
     * A {@code tcp://host:port} endpoint whose host is a name of the suite's DNS, resolved: the URI
     * by address, and the name the peer's certificate must carry. Every other endpoint (an address,
     * a name outside the zone, {@code unix://}) comes back as it is, without a name: the transport
     * resolves and verifies it as it always does.
     */
    public Endpoint endpoint(String endpoint) throws UnknownHostException {
        URI uri = URI.create(endpoint);
        if (!"tcp".equals(uri.getScheme()) || uri.getHost() == null || !bySuiteDns(uri.getHost())) {
            return new Endpoint(uri, null);
        }
        InetAddress a = resolve(uri.getHost());
        String host = a.getHostAddress();
        if (host.contains(":")) host = "[" + host + "]";
        URI byAddress =
                URI.create("tcp://" + host + (uri.getPort() < 0 ? "" : ":" + uri.getPort()));
        return new Endpoint(byAddress, uri.getHost());
    }

    /**
     * A resolved endpoint: {@code uri} by address; {@code serverName} the host name the endpoint
     * named (the name TLS verifies), or null.
     */
    public record Endpoint(URI uri, String serverName) {}

    /** {@code dns 127.0.0.1:5353 for proserveau.local}, or {@code system resolver}. */
    public String describe() {
        return server == null ? "system resolver" : "dns " + server + " for " + zone;
    }

    private InetSocketAddress serverAddress() throws UnknownHostException {
        String host = server;
        int port = 53;
        int colon = server.lastIndexOf(':');
        if (colon > 0 && server.indexOf(':') == colon) {
            host = server.substring(0, colon);
            port = Integer.parseInt(server.substring(colon + 1));
        }
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    private static String trimDot(String s) {
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
