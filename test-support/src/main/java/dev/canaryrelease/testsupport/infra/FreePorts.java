package dev.canaryrelease.testsupport.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free TCP ports on loopback addresses. */
public final class FreePorts {
    private FreePorts() {}

    /** A TCP port that is free on 127.0.0.1 right now. */
    public static int pick() {
        return pickOn("127.0.0.1");
    }

    /** A TCP port that is free on {@code address} (a 127.x.y.z address) right now. */
    public static int pickOn(String address) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + address, e);
        }
    }
}
