package dev.canaryrelease.dns.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.canaryrelease.dns.domain.Change;
import dev.canaryrelease.dns.domain.DnsException;
import dev.canaryrelease.dns.domain.DnsTarget;
import dev.canaryrelease.dns.domain.RecordSet;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.transport.Ssh;

import net.schmizz.sshj.SSHClient;

/**
 * One host's hosts file, over SSH ({@link Ssh}: the host key is checked against the fleet's
 * known_hosts file). The marked block is rewritten atomically: the new content goes to a temporary
 * file in the same directory, which is then renamed over the hosts file with {@code mv}, and only
 * if the file is still what was read (sha-256 compared on the host). Lines outside the block are
 * never touched.
 */
public final class HostsFileClient implements DnsTarget {
    private final String host;
    private final Fleet.Ssh ssh;
    private final String path;
    private final String zone;
    private final Duration timeout;

    public HostsFileClient(String host, Fleet.Ssh ssh, String path, String zone, Duration timeout) {
        this.host = host;
        this.ssh = ssh;
        this.path = path;
        this.zone = zone;
        this.timeout = timeout;
    }

    @Override
    public String id() {
        return "hosts file " + path + " on " + host + " (" + ssh.host() + ":" + ssh.port() + ")";
    }

    @Override
    public boolean keepsTtl() {
        return false;
    }

    /** CNAMEs to names of the block become the target's addresses; other CNAMEs are dropped. */
    @Override
    public List<RecordSet> adapt(List<RecordSet> wanted) {
        List<RecordSet> out = new ArrayList<>();
        for (RecordSet r : wanted) {
            if (r.type().equals(RecordSet.A)) {
                out.add(new RecordSet(r.name(), RecordSet.A, r.values(), 0));
                continue;
            }
            String target = r.values().get(0);
            String suffix = "." + zone + ".";
            Optional<RecordSet> resolved =
                    target.endsWith(suffix)
                            ? wanted.stream()
                                    .filter(x -> x.type().equals(RecordSet.A))
                                    .filter(
                                            x ->
                                                    x.name()
                                                            .equals(
                                                                    target.substring(
                                                                            0,
                                                                            target.length()
                                                                                    - suffix
                                                                                            .length())))
                                    .findFirst()
                            : Optional.empty();
            resolved.ifPresent(a -> out.add(new RecordSet(r.name(), RecordSet.A, a.values(), 0)));
        }
        return out;
    }

    @Override
    public Map<String, List<RecordSet>> read(Set<String> names) throws DnsException {
        try (SSHClient client = connect()) {
            return HostsBlock.parse(readFile(client), zone);
        } catch (IOException e) {
            throw new DnsException(reason("read", e));
        }
    }

    @Override
    public List<Outcome> apply(List<Change> changes, List<RecordSet> all) {
        String reason = null;
        boolean stale = false;
        try (SSHClient client = connect()) {
            String before = readFile(client);
            String after = HostsBlock.rewrite(before, all, zone);
            if (!after.equals(before)) {
                replace(client, before, after);
            }
            String now = readFile(client);
            if (!now.equals(after)) {
                reason = id() + ": the file does not hold the new block after the rewrite";
            }
        } catch (DnsException e) {
            reason = e.getMessage();
            stale = e.prerequisiteFailed();
        } catch (IOException e) {
            reason = reason("rewrite", e);
        }
        List<Outcome> out = new ArrayList<>();
        for (Change c : changes) {
            out.add(new Outcome(c, reason, stale));
        }
        return out;
    }

    private SSHClient connect() throws IOException {
        // short-lived: a host that stops answering ends the connection after the timeout
        return Ssh.connect(ssh, timeout, timeout, timeout);
    }

    private String readFile(SSHClient client) throws IOException, DnsException {
        Ssh.Result r = exec(client, "cat -- " + quote(path), null);
        if (r.exit() != 0) {
            throw new DnsException(id() + ": cannot read: " + r.err().strip());
        }
        return r.out();
    }

    private void replace(SSHClient client, String before, String after)
            throws IOException, DnsException {
        String script =
                String.join(
                        "\n",
                        "set -e",
                        "f=" + quote(path),
                        "cur=$(sha256sum < \"$f\" | cut -d' ' -f1)",
                        "if [ \"$cur\" != " + quote(sha256(before)) + " ]; then",
                        "  echo 'the file changed while it was being rewritten' >&2; exit 3",
                        "fi",
                        "tmp=$(mktemp \"$f.canary-release.XXXXXX\")",
                        "trap 'rm -f \"$tmp\"' EXIT",
                        "cat > \"$tmp\"",
                        "chmod --reference=\"$f\" \"$tmp\" 2>/dev/null || chmod 644 \"$tmp\"",
                        "chown --reference=\"$f\" \"$tmp\" 2>/dev/null || true",
                        "mv -f \"$tmp\" \"$f\"",
                        "");
        Ssh.Result r = exec(client, "sh -c " + quote(script), after);
        if (r.exit() != 0) {
            throw new DnsException(id() + ": not rewritten: " + r.err().strip(), r.exit() == 3);
        }
    }

    private Ssh.Result exec(SSHClient client, String command, String stdin) throws IOException {
        return Ssh.exec(
                client,
                command,
                stdin == null ? null : stdin.getBytes(StandardCharsets.ISO_8859_1),
                timeout);
    }

    private String reason(String what, IOException e) {
        String why;
        if (e instanceof ConnectException) {
            why = "unreachable: connection refused";
        } else if (e instanceof SocketTimeoutException) {
            why = "unreachable: no answer within " + timeout;
        } else if (Ssh.failure(e) == Ssh.Failure.LOGIN_REFUSED) {
            why = "SSH authentication as " + ssh.user() + " refused";
        } else if (Ssh.failure(e) == Ssh.Failure.HOST_KEY_REFUSED) {
            why = "host key not accepted (not the one in " + ssh.knownHosts() + ")";
        } else {
            why = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        return id() + ": cannot " + what + ": " + why;
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(text.getBytes(StandardCharsets.ISO_8859_1)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
