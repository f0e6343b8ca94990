package dev.canaryrelease.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 POST over a plain socket, as an attacker's script sends it: the headers, then the
 * whole body at once (no {@code Expect: 100-continue}) from a second thread, while this thread
 * reads the answer. So an answer the server gives before reading the body is seen even when the
 * server then closes the connection under the writer (which a regular client reports as a broken
 * pipe instead). The body is {@code prefix} followed by {@code 'x'} up to {@code length} bytes,
 * written from one small buffer: the flood costs the test JVM (the gateway's own) nothing.
 */
final class RawPost {
    /** What the sender saw: the status (0 = none before the connection closed) and the body. */
    record Answer(int status, Map<String, String> headers, String body, long bytesSent) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private RawPost() {}

    static Answer send(
            int port,
            String path,
            Map<String, String> headers,
            byte[] prefix,
            long length,
            boolean chunked)
            throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(60_000);
            StringBuilder head = new StringBuilder();
            head.append("POST ").append(path).append(" HTTP/1.1\r\n");
            head.append("Host: 127.0.0.1:").append(port).append("\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            if (chunked) {
                head.append("Transfer-Encoding: chunked\r\n");
            } else {
                head.append("Content-Length: ").append(length).append("\r\n");
            }
            head.append("\r\n");
            OutputStream out = s.getOutputStream();
            AtomicLong sent = new AtomicLong();
            Thread writer =
                    new Thread(
                            () -> {
                                try {
                                    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
                                    writeBody(out, prefix, length, chunked, sent);
                                    out.flush();
                                } catch (IOException e) {
                                    // the server closed the connection: what it answered counts
                                }
                            },
                            "raw-post-writer");
            writer.setDaemon(true);
            writer.start();
            Answer a = read(s.getInputStream(), sent);
            writer.interrupt();
            return a;
        }
    }

    private static void writeBody(
            OutputStream out, byte[] prefix, long length, boolean chunked, AtomicLong sent)
            throws IOException {
        byte[] filler = new byte[64 * 1024];
        Arrays.fill(filler, (byte) 'x');
        long left = length;
        if (prefix.length > 0) {
            chunk(out, prefix, prefix.length, chunked);
            sent.addAndGet(prefix.length);
            left -= prefix.length;
        }
        while (left > 0) {
            int n = (int) Math.min(filler.length, left);
            chunk(out, filler, n, chunked);
            sent.addAndGet(n);
            left -= n;
        }
        if (chunked) {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void chunk(OutputStream out, byte[] b, int n, boolean chunked)
            throws IOException {
        if (chunked) {
            out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        out.write(b, 0, n);
        if (chunked) {
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static Answer read(InputStream in, AtomicLong sent) throws IOException {
        String status;
        try {
            status = line(in);
        } catch (IOException e) {
            return new Answer(0, Map.of(), e.toString(), sent.get());
        }
        if (status == null) {
            return new Answer(0, Map.of(), "closed without an answer", sent.get());
        }
        String[] parts = status.split(" ", 3);
        int code = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        String l;
        while ((l = line(in)) != null && !l.isEmpty()) {
            int c = l.indexOf(':');
            headers.put(
                    l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String len = headers.get("content-length");
        try {
            if (len != null) {
                byte[] b = in.readNBytes(Integer.parseInt(len));
                body.write(b);
            } else {
                in.transferTo(body);
            }
        } catch (IOException e) {
            // a reset after the answer: keep what arrived
        }
        return new Answer(code, headers, body.toString(StandardCharsets.UTF_8), sent.get());
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.US_ASCII);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
    }
}
