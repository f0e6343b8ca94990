package dev.canaryrelease.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;

/**
 * An HTTP server on 127.0.0.1 standing for a git host an attacker controls (or the fleet's git host
 * in a test of where the token goes): it records every request (path and {@code Authorization}
 * header) and answers as a git host that wants credentials: 401 with a Basic challenge without an
 * {@code Authorization} header, 404 with one.
 */
final class RecordingGitServer implements AutoCloseable {
    /** One request: its path and its Authorization header (null if none). */
    record Request(String path, String authorization) {}

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    RecordingGitServer() {
        try {
            server =
                    HttpServer.create(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext(
                "/",
                ex -> {
                    String auth = ex.getRequestHeaders().getFirst("Authorization");
                    requests.add(new Request(ex.getRequestURI().toString(), auth));
                    ex.getRequestBody().readAllBytes();
                    if (auth == null) {
                        ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
                        ex.sendResponseHeaders(401, -1);
                    } else {
                        ex.sendResponseHeaders(404, -1);
                    }
                    ex.close();
                });
        server.start();
    }

    /** {@code http://127.0.0.1:<port>/}. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
