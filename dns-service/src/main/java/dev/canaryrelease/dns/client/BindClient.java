package dev.canaryrelease.dns.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jboss.logging.Logger;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

import dev.canaryrelease.dns.domain.Change;
import dev.canaryrelease.dns.domain.Diff;
import dev.canaryrelease.dns.domain.DnsException;
import dev.canaryrelease.dns.domain.DnsTarget;
import dev.canaryrelease.dns.domain.RecordSet;
import dev.canaryrelease.fleet.Fleet;

/**
 * The zone's primary, driven with RFC 2136 dynamic updates signed with TSIG, over TCP (dnsjava).
 * Each change is one UPDATE whose prerequisites are the name's A and CNAME RRsets exactly as they
 * were read: the server applies it whole or not at all, and refuses it if someone changed the name
 * meanwhile. Every change is verified by querying the server afterwards. The TSIG secret file is
 * read for every update, so a rotated key needs no restart.
 */
public final class BindClient implements DnsTarget {
    private static final Logger LOG = Logger.getLogger(BindClient.class);
    private static final Pattern KEYGEN_SECRET = Pattern.compile("secret\\s+\"([^\"]+)\"");

    private final Name zone;
    private final String server;
    private final Fleet.Tsig tsig;
    private final Duration timeout;

    public BindClient(String zone, String server, Fleet.Tsig tsig, Duration timeout) {
        try {
            this.zone = Name.fromString(zone.endsWith(".") ? zone : zone + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("zone '" + zone + "' is not a DNS name", e);
        }
        this.server = server;
        this.tsig = tsig;
        this.timeout = timeout;
    }

    @Override
    public String id() {
        return "named " + server;
    }

    @Override
    public boolean keepsTtl() {
        return true;
    }

    @Override
    public Map<String, List<RecordSet>> read(Set<String> names) throws DnsException {
        SimpleResolver resolver = resolver(false);
        Map<String, List<RecordSet>> out = new LinkedHashMap<>();
        for (String name : names) {
            List<RecordSet> sets = readName(resolver, name);
            if (!sets.isEmpty()) {
                out.put(name, sets);
            }
        }
        return out;
    }

    private List<RecordSet> readName(SimpleResolver resolver, String name) throws DnsException {
        List<RecordSet> sets = new ArrayList<>();
        for (int type : new int[] {Type.A, Type.CNAME}) {
            Message q =
                    Message.newQuery(
                            org.xbill.DNS.Record.newRecord(absolute(name), type, DClass.IN));
            Message r = send(resolver, q, "query of " + name);
            int rcode = r.getRcode();
            if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
                throw new DnsException(
                        id()
                                + " answered "
                                + Rcode.string(rcode)
                                + " to a query of "
                                + name
                                + "."
                                + zone
                                + ": it does not serve the zone");
            }
            if (!r.getHeader().getFlag(Flags.AA)) {
                throw new DnsException(
                        id()
                                + " is not authoritative for "
                                + zone
                                + ": it does not serve the zone");
            }
            List<String> values = new ArrayList<>();
            long ttl = 0;
            for (org.xbill.DNS.Record rec : r.getSection(Section.ANSWER)) {
                if (rec.getType() != type || !rec.getName().equals(absolute(name))) {
                    continue;
                }
                ttl = rec.getTTL();
                if (rec instanceof ARecord a) {
                    values.add(a.getAddress().getHostAddress());
                } else if (rec instanceof CNAMERecord c) {
                    values.add(c.getTarget().toString());
                }
            }
            if (!values.isEmpty()) {
                sets.add(new RecordSet(name, Type.string(type), values, ttl));
            }
        }
        return sets;
    }

    @Override
    public List<Outcome> apply(List<Change> changes, List<RecordSet> all) {
        List<Outcome> out = new ArrayList<>();
        for (Change c : changes) {
            try {
                update(c);
                out.add(new Outcome(c, null));
            } catch (DnsException e) {
                out.add(new Outcome(c, e.getMessage(), e.prerequisiteFailed()));
            }
        }
        return out;
    }

    /** One UPDATE: prerequisites = what was read, then delete A and CNAME, then add the wanted. */
    void update(Change c) throws DnsException {
        Name name = absolute(c.name());
        Update u = new Update(zone);
        for (int type : new int[] {Type.A, Type.CNAME}) {
            RecordSet seen =
                    c.observed().stream()
                            .filter(s -> s.type().equals(Type.string(type)))
                            .findFirst()
                            .orElse(null);
            if (seen == null) {
                u.absent(name, type);
            } else {
                for (String v : seen.values()) {
                    u.present(record(name, type, 0, v));
                }
            }
        }
        u.delete(name, Type.A);
        u.delete(name, Type.CNAME);
        if (c.wanted() != null) {
            int type = Type.value(c.wanted().type());
            for (String v : c.wanted().values()) {
                u.add(record(name, type, c.wanted().ttl(), v));
            }
        }
        SimpleResolver resolver = resolver(true);
        Message r = send(resolver, u, "update of " + c.name());
        int rcode = r.getRcode();
        TSIGRecord sig = r.getTSIG();
        if (rcode != Rcode.NOERROR) {
            throw new DnsException(refusal(c, rcode, sig), isPrerequisite(rcode));
        }
        if (!r.isVerified()) {
            throw new DnsException(
                    id()
                            + " answered the update of "
                            + c.name()
                            + " without a valid TSIG signature of key '"
                            + tsig.name()
                            + "'");
        }
        List<RecordSet> now = readName(resolver(false), c.name());
        if (!Diff.matches(c.wanted(), now, true)) {
            throw new DnsException(
                    id()
                            + " accepted the update of "
                            + c.name()
                            + " but answers "
                            + (now.isEmpty() ? "nothing" : now.toString()));
        }
        LOG.debugf("%s: %s verified", id(), c.name());
    }

    private String refusal(Change c, int rcode, TSIGRecord sig) {
        String code = Rcode.string(rcode);
        String what = "update of " + c.name() + "." + zone + " ";
        if (rcode == Rcode.NOTAUTH) {
            String tsigError = sig == null ? null : Rcode.TSIGstring(sig.getError());
            if (sig != null && sig.getError() != Rcode.NOERROR) {
                return what
                        + "refused: NOTAUTH/"
                        + tsigError
                        + " (the server rejects TSIG key '"
                        + tsig.name()
                        + "': wrong secret, algorithm or clock)";
            }
            return what + "refused: NOTAUTH (the server is not authoritative or rejects the key)";
        }
        if (rcode == Rcode.REFUSED) {
            return what
                    + "refused: REFUSED (the zone does not allow updates with key '"
                    + tsig.name()
                    + "')";
        }
        if (isPrerequisite(rcode)) {
            return what
                    + "not applied: prerequisite failed ("
                    + code
                    + "), the name changed meanwhile";
        }
        if (rcode == Rcode.NOTZONE) {
            return what + "refused: NOTZONE (the name is outside zone " + zone + ")";
        }
        return what + "failed: " + code;
    }

    private static boolean isPrerequisite(int rcode) {
        return rcode == Rcode.NXRRSET
                || rcode == Rcode.YXRRSET
                || rcode == Rcode.YXDOMAIN
                || rcode == Rcode.NXDOMAIN;
    }

    private Message send(SimpleResolver resolver, Message m, String what) throws DnsException {
        try {
            return resolver.send(m);
        } catch (ConnectException e) {
            throw new DnsException(
                    "DNS server " + server + " unreachable (" + what + "): connection refused");
        } catch (SocketTimeoutException e) {
            throw new DnsException(
                    "DNS server "
                            + server
                            + " unreachable ("
                            + what
                            + "): no answer within "
                            + timeout);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (e.getCause() instanceof ConnectException) {
                msg = "connection refused";
            }
            throw new DnsException("DNS server " + server + " unreachable (" + what + "): " + msg);
        }
    }

    private SimpleResolver resolver(boolean signed) throws DnsException {
        int colon = server.lastIndexOf(':');
        String host = colon < 0 ? server : server.substring(0, colon);
        int port = colon < 0 ? 53 : Integer.parseInt(server.substring(colon + 1));
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new DnsException("DNS server " + server + ": unknown host " + host);
        }
        SimpleResolver r = new SimpleResolver(new InetSocketAddress(address, port));
        r.setTCP(true);
        r.setTimeout(timeout);
        if (signed) {
            r.setTSIGKey(key());
        }
        return r;
    }

    private TSIG key() throws DnsException {
        if (tsig == null) {
            throw new DnsException("no TSIG key configured (dns.tsig): updates must be signed");
        }
        String secret = readSecret(tsig.secretFile());
        try {
            return new TSIG(
                    TSIG.algorithmToName(tsig.algorithm()),
                    Name.fromString(tsig.name().endsWith(".") ? tsig.name() : tsig.name() + "."),
                    secret);
        } catch (TextParseException | IllegalArgumentException e) {
            throw new DnsException(
                    "TSIG key '"
                            + tsig.name()
                            + "' is not usable: "
                            + e.getClass().getSimpleName());
        }
    }

    /** A base64 secret alone, or the output of {@code tsig-keygen} ({@code secret "..."}). */
    static String readSecret(Path file) throws DnsException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new DnsException("cannot read the TSIG secret file " + file);
        }
        Matcher m = KEYGEN_SECRET.matcher(text);
        String secret = m.find() ? m.group(1) : text.strip();
        if (secret.isEmpty()) {
            throw new DnsException("the TSIG secret file " + file + " is empty");
        }
        return secret;
    }

    private Name absolute(String name) throws DnsException {
        try {
            return Name.fromString(name, zone);
        } catch (TextParseException e) {
            throw new DnsException("'" + name + "' is not a DNS name");
        }
    }

    private static org.xbill.DNS.Record record(Name name, int type, long ttl, String value)
            throws DnsException {
        try {
            if (type == Type.A) {
                return new ARecord(name, DClass.IN, ttl, InetAddress.getByName(value));
            }
            return new CNAMERecord(name, DClass.IN, ttl, Name.fromString(value));
        } catch (UnknownHostException | TextParseException e) {
            throw new DnsException(
                    "'" + value + "' is not a valid " + Type.string(type) + " value");
        }
    }
}
