package dev.canaryrelease.lb.domain;

/** A server of a backend: {@code <backend>/<server>} in HAProxy's words. */
public record ServerKey(String backend, String server) {
    @Override
    public String toString() {
        return backend + "/" + server;
    }
}
