package dev.canaryrelease.lb.client;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import org.jboss.logging.Logger;

import dev.canaryrelease.events.analysis.LatencyHistogram;
import dev.canaryrelease.lb.domain.ServerKey;

/**
 * A small syslog receiver (UDP, loopback only) for HAProxy's per-request log lines: HAProxy's own
 * time averages cover only its last 1024 requests, so lb-service counts every request's {@code %Tr}
 * itself. HAProxy needs {@code log 127.0.0.1:<port> local0 info} in {@code global} and, where the
 * app's frontend logs, {@code log global} and {@code log-format "}{@value #LOG_FORMAT}{@code "}.
 *
 * <p>Each line is RFC 3164 ({@code <134>Dec 3 08:00:00 haproxy[42]: canary-analysis example docker0
 * 2 3 200}); only the fields after the marker are read. A request without a server ({@code
 * <NOSRV>}) or without a response ({@code %Tr} of -1: its failure is in the counters) adds no time.
 * {@link #take()} hands over and clears what came since the last call, and says how many lines it
 * could not read: a window with unread lines is told so, not judged as if complete.
 */
public final class HaproxyLogReceiver implements AutoCloseable {
    /** The marker, the backend, the server, {@code %Tr} (ms), {@code %Ta} (ms), the status. */
    public static final String LOG_FORMAT = "canary-analysis %b %s %Tr %Ta %ST";

    static final String MARKER = "canary-analysis ";
    private static final Logger LOG = Logger.getLogger(HaproxyLogReceiver.class);

    /** What came in since the last {@link #take()}: times per server, and lines not understood. */
    public record Taken(Map<ServerKey, LatencyHistogram> latency, long unreadable) {}

    private final DatagramSocket socket;
    private final Thread thread;
    private Map<ServerKey, TreeMap<Long, Long>> counts = new HashMap<>();
    private long unreadable;

    private HaproxyLogReceiver(DatagramSocket socket) {
        this.socket = socket;
        this.thread = new Thread(this::run, "haproxy-log-receiver");
        this.thread.setDaemon(true);
    }

    /** Listens on 127.0.0.1:{@code port} (0: a free port). */
    public static HaproxyLogReceiver start(int port) throws SocketException {
        DatagramSocket s =
                new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        s.setReceiveBufferSize(4 << 20);
        HaproxyLogReceiver r = new HaproxyLogReceiver(s);
        r.thread.start();
        return r;
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** Where HAProxy sends its lines: the {@code log} target of its {@code global} section. */
    public String target() {
        return "127.0.0.1:" + port();
    }

    private void run() {
        byte[] buf = new byte[8192];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!socket.isClosed()) {
            try {
                socket.receive(p);
                accept(
                        new String(
                                p.getData(), p.getOffset(), p.getLength(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    LOG.warnf("HAProxy log receiver on %s: %s", target(), e.getMessage());
                }
            }
        }
    }

    /** Reads one syslog line (package-private for tests). */
    synchronized void accept(String line) {
        int at = line.indexOf(MARKER);
        if (at < 0) {
            return; // another log line of HAProxy (a server going down, a reload): not ours
        }
        String[] f = line.substring(at + MARKER.length()).strip().split(" ");
        if (f.length < 3) {
            unreadable++;
            return;
        }
        long tr;
        try {
            tr = Long.parseLong(f[2]);
        } catch (NumberFormatException e) {
            unreadable++;
            return;
        }
        if (tr < 0 || f[1].startsWith("<")) {
            return;
        }
        counts.computeIfAbsent(new ServerKey(f[0], f[1]), k -> new TreeMap<>())
                .merge(tr, 1L, Long::sum);
    }

    /** Everything since the last call, and starts counting again. */
    public synchronized Taken take() {
        Map<ServerKey, LatencyHistogram> out = new HashMap<>();
        counts.forEach((k, v) -> out.put(k, LatencyHistogram.of(v)));
        Taken t = new Taken(Map.copyOf(out), unreadable);
        counts = new HashMap<>();
        unreadable = 0;
        return t;
    }

    @Override
    public void close() {
        socket.close();
    }
}
