package dev.canaryrelease.gateway.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** When the gateway refuses to start: plain HTTP on an address other than loopback. */
class PlainHttpGuardTest {
    @ParameterizedTest(name = "{0}, tls={1}, insecure-requests={2}, plain-http={3}: refused={4}")
    @CsvSource({
        "127.0.0.1, false, enabled, false, false",
        "localhost, false, enabled, false, false",
        "::1, false, enabled, false, false",
        "0.0.0.0, false, enabled, false, true",
        "10.0.0.5, false, enabled, false, true",
        "cfgmgr.example.com, false, enabled, false, true",
        "0.0.0.0, true, enabled, false, true",
        "0.0.0.0, true, disabled, false, false",
        "0.0.0.0, true, redirect, false, false",
        "0.0.0.0, false, enabled, true, false",
    })
    void plainHttpOffLoopbackIsRefused(
            String host, boolean tls, String insecure, boolean plainAllowed, boolean refused) {
        Optional<String> refusal = PlainHttpGuard.check(host, tls, insecure, plainAllowed);

        assertEquals(refused, refusal.isPresent(), refusal.toString());
        refusal.ifPresent(
                r -> {
                    assertEquals(
                            "the gateway binds "
                                    + host
                                    + " and would answer plain HTTP there (webhooks and operators'"
                                    + " tokens in clear): serve HTTPS with"
                                    + " quarkus.http.ssl.certificate.files and"
                                    + " quarkus.http.ssl.certificate.key-files and set"
                                    + " quarkus.http.insecure-requests=disabled, or set"
                                    + " canary.gateway.plain-http=true if a proxy on this machine"
                                    + " terminates TLS",
                            r);
                });
    }
}
